"""The tutorial's training program, restated as a callable reference.

This follows Trask's published code operation for operation (same numpy calls,
same array shapes, same order of accumulation) so that its floating-point
results are the yardstick the fast model is compared against. It is slow on
purpose: it is the specification, not the implementation.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np


def _squash(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def _slope_from_output(out: np.ndarray) -> np.ndarray:
    return out * (1 - out)


@dataclass
class ReferenceRun:
    synapse_0: np.ndarray
    synapse_1: np.ndarray
    synapse_h: np.ndarray
    rng: np.random.RandomState
    blocks: list[str] = field(default_factory=list)
    errors: list[float] = field(default_factory=list)


def _bits_msb_first(value: int, width: int) -> np.ndarray:
    # the tutorial's int2binary table, generalised past 8 bits
    return np.array([(value >> (width - 1 - i)) & 1 for i in range(width)], dtype=np.uint8)


def run_tutorial(
    iterations: int,
    seed: int = 0,
    hidden: int = 16,
    alpha: float = 0.1,
    bits: int = 8,
    log_every: int = 1000,
) -> ReferenceRun:
    """Train exactly as the tutorial does and record its printed blocks."""
    rng = np.random.RandomState(seed)
    width = bits
    w_in = 2 * rng.random_sample((2, hidden)) - 1
    w_out = 2 * rng.random_sample((hidden, 1)) - 1
    w_rec = 2 * rng.random_sample((hidden, hidden)) - 1
    acc_in = np.zeros_like(w_in)
    acc_out = np.zeros_like(w_out)
    acc_rec = np.zeros_like(w_rec)
    run = ReferenceRun(w_in, w_out, w_rec, rng)
    half = pow(2, width) / 2
    # the tutorial looks bit rows up in a precomputed int2binary table; do the same
    # where it fits, so the reference also runs at the tutorial's speed
    table = {v: _bits_msb_first(v, width) for v in range(2**width)} if width <= 12 else None

    def encode(value: int) -> np.ndarray:
        return table[value] if table is not None else _bits_msb_first(value, width)

    for j in range(iterations):
        a_int = rng.randint(half)
        b_int = rng.randint(half)
        a = encode(a_int)
        b = encode(b_int)
        c_int = a_int + b_int
        c = encode(c_int)
        guess = np.zeros_like(c)
        total_error = 0
        out_deltas = []
        hidden_states = [np.zeros(hidden)]

        for pos in range(width):
            x = np.array([[a[width - pos - 1], b[width - pos - 1]]])
            y = np.array([[c[width - pos - 1]]]).T
            h = _squash(np.dot(x, w_in) + np.dot(hidden_states[-1], w_rec))
            o = _squash(np.dot(h, w_out))
            miss = y - o
            out_deltas.append(miss * _slope_from_output(o))
            total_error += np.abs(miss[0])
            guess[width - pos - 1] = np.round(o[0][0])
            hidden_states.append(copy.deepcopy(h))

        future = np.zeros(hidden)
        for pos in range(width):
            x = np.array([[a[pos], b[pos]]])
            h = hidden_states[-pos - 1]
            h_prev = hidden_states[-pos - 2]
            o_delta = out_deltas[-pos - 1]
            h_delta = (future.dot(w_rec.T) + o_delta.dot(w_out.T)) * _slope_from_output(h)
            acc_out += np.atleast_2d(h).T.dot(o_delta)
            acc_rec += np.atleast_2d(h_prev).T.dot(h_delta)
            acc_in += x.T.dot(h_delta)
            future = h_delta

        w_in += acc_in * alpha
        w_out += acc_out * alpha
        w_rec += acc_rec * alpha
        acc_in *= 0
        acc_out *= 0
        acc_rec *= 0

        run.errors.append(float(total_error[0]))
        if j % log_every == 0:
            value = 0
            for index, bit in enumerate(reversed(guess)):
                value += int(bit) * pow(2, index)
            run.blocks.append(
                f"Error:{total_error}\nPred:{guess}\nTrue:{c}\n"
                f"{a_int} + {b_int} = {value}\n------------"
            )
    return run
