"""What a measurement of a network's adding covers and counts, for every cell.

Timestep t reads bit t of each operand (LSB first); the predicted bit is layer_2 > 0.5.
Operands range over 0..2^(bits-1)-1, so their top bit is 0 and the sum has `bits` bits.
Up to 10 bits every pair is evaluated; beyond, or for very large hidden sizes, a fixed
seeded sample. An `Ablation` is a lesion applied while measuring.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.serial import matmul as _matmul

EXHAUSTIVE_MAX_PAIRS = 1 << 18  # all pairs up to this many (bits <= 10), else a sample
SAMPLE_SIZE = 16384
SAMPLE_SEED = 12345
# Work is sliced into chunks of about this many hidden states (512 KB of float64 at H=16):
# such temporaries stay in cache and in malloc's heap, while fresh multi-megabyte arrays
# are mmapped and page-faulted on every call, which cost more than half of an 8-bit
# evaluation on this machine. Big hidden sizes still get products of thousands of rows.
_CHUNK_STATES = 4096

# the four input bit pairs (a_bit, b_bit), as rows; row index = 2 * a_bit + b_bit
_BIT_PAIRS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])


def percent(fraction: float, decimals: int = 2) -> str:
    """A share as a percentage to `decimals` places, never rounded to 100% unless it is
    all, nor to 0% unless it is none: 16,383 sums right of 16,384 is 99.99%, not 100.00%."""
    text = f"{fraction:.{decimals}%}"
    step = 10.0**-decimals
    if fraction < 1 and float(text[:-1]) >= 100:
        return f"{100 - step:.{decimals}f}%"
    if fraction > 0 and float(text[:-1]) <= 0:
        return f"{step:.{decimals}f}%"
    return text


@dataclass(frozen=True)
class Ablation:
    """A lesion applied during evaluation.

    clamped_unit: that hidden unit's activation is forced to 0 after every timestep, so it
    feeds neither the recurrence nor the output. cut_recurrence: synapse_h acts as zeros
    (the recurrent term is dropped, so each timestep sees only its own input bits).
    """

    clamped_unit: int | None = None
    cut_recurrence: bool = False
    clamped_state: str = "h"  # the LSTM may clamp a unit of c instead (h = o*tanh(0) too)


NONE = Ablation()


@dataclass(frozen=True)
class Accuracy:
    """How well the network adds; plain Python numbers only."""

    exact: float  # fraction of sums with every bit right
    per_bit: float  # fraction of output bits right
    count: int  # sums evaluated
    sampled: bool  # True: a fixed seeded sample, not every pair
    bits: int


def _sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-x)), in place on `x` (a temporary), as the tutorial computes it."""
    np.negative(x, out=x)
    np.exp(x, out=x)
    x += 1.0
    np.reciprocal(x, out=x)
    return x


WORK_BUDGET = 1 << 28  # multiply-adds a sampled measurement may spend (~0.1 s)
EXHAUSTIVE_MAX_WORK = 1 << 32  # beyond this (hidden > ~300 at 8 bits) sample instead
MIN_SAMPLE = 256


def _is_exhaustive(bits: int, hidden: int) -> bool:
    states = sum(4**t for t in range(1, bits)) + 4 ** (bits - 1)  # distinct prefix states
    return 4 ** (bits - 1) <= EXHAUSTIVE_MAX_PAIRS and states * hidden * hidden <= (
        EXHAUSTIVE_MAX_WORK
    )


def sample_size(bits: int, hidden: int) -> int:
    """Pairs in the seeded sample: fewer for big networks, so a measurement stays quick."""
    return max(MIN_SAMPLE, min(SAMPLE_SIZE, WORK_BUDGET // (bits * hidden * hidden)))


def _pairs(bits: int, hidden: int) -> tuple[np.ndarray, np.ndarray]:
    """The operand pairs a probe covers: every pair, or the fixed seeded sample. (n,), (n,)"""
    limit = 1 << (bits - 1)
    if _is_exhaustive(bits, hidden):
        grid = np.arange(limit, dtype=np.int64)
        return np.repeat(grid, limit), np.tile(grid, limit)
    rng = np.random.default_rng(SAMPLE_SEED)
    drawn = rng.integers(0, limit, size=(2, sample_size(bits, hidden)), dtype=np.int64)
    return drawn[0], drawn[1]


def _correct(layer_2: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Right predictions (bool); NaN outputs are wrong whatever the true bit."""
    return np.where(truth.astype(bool), layer_2 > 0.5, layer_2 <= 0.5)


def _correct_from_logits(logit: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """`_correct(sigmoid(logit), truth)` without the sigmoid: same booleans, fewer exps.

    sigmoid(z) > 0.5 exactly when z > 0, except for 0 < z < ~1e-16 where exp(-z) rounds
    to 1 and sigmoid(z) is 0.5; those rare logits get the real sigmoid.
    """
    above = logit > 0.0
    tiny = above & (logit < 1e-8)
    if tiny.any():
        above[tiny] = _sigmoid(logit[tiny]) > 0.5
    return (above == truth.astype(bool)) & ~np.isnan(logit)


def _accuracy(correct: np.ndarray, bits: int, sampled: bool) -> Accuracy:
    count = correct.shape[0]
    return Accuracy(
        exact=float(np.count_nonzero(correct.all(axis=1)) / count),
        per_bit=float(np.count_nonzero(correct) / correct.size),
        count=int(count),
        sampled=sampled,
        bits=int(bits),
    )


__all__ = ["NONE", "Ablation", "Accuracy", "_matmul", "sample_size"]
