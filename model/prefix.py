"""Exhaustive evaluation and the carry probe for any cell, by prefix sharing.

After timesteps 0..t the carried state of every cell (h, and c for the LSTM) depends
only on the low t+1 bits of a and b, so level t has 4^(t+1) distinct states, not one per
pair; the last timestep reads (0, 0) and adds no new combinations (see model/rnn_probes.py,
whose RNN evaluator applies the same walk with RNN-only shortcuts). Each cell supplies
one batched timestep, `advance(weights, carried, inputs)` in its module under
model/cells/; this driver is the same for all of them.

A level-t chunk holds, for each carried state, an array (A, 2^(t+1), H): A rows for a
selection of a-prefixes (`a_low`) and one column per b-prefix 0..2^(t+1)-1. Large levels
are split along the rows into chunks of about `_CHUNK_STATES` states, so memory stays
bounded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from model.accuracy import (
    _BIT_PAIRS,
    _CHUNK_STATES,
    NONE,
    Ablation,
    Accuracy,
    _accuracy,
    _correct_from_logits,
    _is_exhaustive,
    _matmul,
    _pairs,
)
from model.carry import CarryProbe, _Moments
from model.cells import cell_info, cell_module

Advance = Callable[
    [dict[str, np.ndarray], tuple[np.ndarray, ...], np.ndarray], tuple[np.ndarray, ...]
]


@dataclass
class Level:
    t: int
    states: tuple[np.ndarray, ...]  # carried states, each (A, 2^(t+1), H); h first
    a_low: np.ndarray  # (A,)
    parent_rows: slice


class _Cell:
    """One cell's batched timestep under an ablation, on given weights."""

    def __init__(self, cell: str, weights: dict[str, np.ndarray], ablation: Ablation) -> None:
        self.info = cell_info(cell)
        self.advance: Advance = cell_module(cell).advance
        self.weights = dict(weights)
        if ablation.cut_recurrence:
            self.weights["synapse_h"] = np.zeros_like(weights["synapse_h"])
        self.hidden = weights["synapse_1"].shape[0]
        self.unit = ablation.clamped_unit
        self.clamped = getattr(ablation, "clamped_state", "h")
        # x @ synapse_0 of the four bit pairs, laid out [a_bit, 1, b_bit, 1, G*H] so that
        # children come out in the level layout [a_bit, row, b_bit, column] directly
        inputs = _BIT_PAIRS @ weights["synapse_0"]  # (4, G*H), row 2 * a_bit + b_bit
        self.inputs = inputs.reshape(2, 1, 2, 1, -1)
        self.zero_input = inputs[0]  # the last timestep's (0, 0)

    def zeros(self) -> tuple[np.ndarray, ...]:
        return tuple(np.zeros((1, 1, 1, 1, self.hidden)) for _ in self.info.carried)

    def step(self, carried: tuple[np.ndarray, ...], inputs: np.ndarray) -> tuple[np.ndarray, ...]:
        states = self.advance(self.weights, carried, inputs)
        if self.unit is not None:
            for name, state in zip(self.info.carried, states, strict=True):
                if name == "h" or name == self.clamped:
                    state[..., self.unit] = 0.0
            if self.clamped == "c" and len(states) > 1:
                states[0][..., self.unit] = 0.0  # h = o * tanh(0)
        return states


def walk_levels(cell: _Cell, bits: int) -> Iterator[Level]:
    """Depth-first walk of the levels t = 0..bits-2 (see model/rnn_probes._walk_levels)."""
    hidden, n_op = cell.hidden, bits - 1

    def children(parent: tuple[np.ndarray, ...], rows: int, width: int) -> tuple[np.ndarray, ...]:
        spread = tuple(p.reshape(1, rows, 1, width, hidden) for p in parent)
        kids = cell.step(spread, cell.inputs)  # each (2, rows, 2, width, H)
        return tuple(k.reshape(2 * rows, 2 * width, hidden) for k in kids)

    def grow(parent: tuple[np.ndarray, ...], a_low: np.ndarray, t: int) -> Iterator[Level]:
        rows, width = parent[0].shape[0], parent[0].shape[1]
        if 4 * rows * width > _CHUNK_STATES and rows > 1:
            half = rows // 2
            for part in (slice(0, half), slice(half, rows)):
                for level in grow(tuple(p[part] for p in parent), a_low[part], t):
                    if level.t == t:
                        inner = level.parent_rows
                        level.parent_rows = slice(part.start + inner.start, part.start + inner.stop)
                    yield level
            return
        states = children(parent, rows, width)
        a_next = np.concatenate([a_low, a_low + (1 << t)])
        yield Level(t, states, a_next, slice(0, rows))
        if t + 1 < n_op:
            yield from grow(states, a_next, t + 1)

    first = tuple(s.reshape(2, 2, hidden) for s in cell.step(cell.zeros(), cell.inputs))
    a_first = np.array([0, 1], dtype=np.int64)
    yield Level(0, first, a_first, slice(0, 1))
    if n_op > 1:
        yield from grow(first, a_first, 1)


def _evaluate_prefix(cell: _Cell, bits: int) -> Accuracy:
    n_op, hidden = bits - 1, cell.hidden
    s1 = cell.weights["synapse_1"]
    all_right: dict[int, np.ndarray] = {}
    right_bits = exact = 0
    for level in walk_levels(cell, bits):
        t, h = level.t, level.states[0]
        rows, width = h.shape[0], h.shape[1]
        sums = level.a_low[:, None] + np.arange(width, dtype=np.int64)[None, :]
        logit = _matmul(h.reshape(-1, hidden), s1).reshape(rows, width)
        correct = _correct_from_logits(logit, (sums >> t) & 1)
        if t > 0:
            before = all_right[t - 1][level.parent_rows]
            tiled = np.broadcast_to(before[None, :, None, :], (2, rows // 2, 2, width // 2))
            so_far = correct & tiled.reshape(rows, width)
        else:
            so_far = correct
        all_right[t] = so_far
        right_bits += int(np.count_nonzero(correct)) * 4 ** (n_op - (t + 1))
        if t == n_op - 1:  # the last timestep reads (0, 0): one more state per pair
            flat = tuple(s.reshape(-1, hidden) for s in level.states)
            last = cell.step(flat, cell.zero_input)[0]  # (m, H)
            logit = _matmul(last, s1).reshape(rows, width)
            correct = _correct_from_logits(logit, (sums >> n_op) & 1)
            right_bits += int(np.count_nonzero(correct))
            exact += int(np.count_nonzero(correct & so_far))
    count = 4**n_op
    return Accuracy(exact / count, right_bits / (count * bits), count, False, int(bits))


def forward_pairs(
    cell: _Cell, a: np.ndarray, b: np.ndarray, bits: int
) -> Iterator[tuple[slice, int, tuple[np.ndarray, ...]]]:
    """(pair slice, t, carried states after t, each (m, H)) for every timestep, in chunks."""
    s0 = cell.weights["synapse_0"]
    for start in range(0, a.shape[0], _CHUNK_STATES):
        rows = slice(start, start + _CHUNK_STATES)
        a_part, b_part = a[rows], b[rows]
        states = tuple(np.zeros((a_part.shape[0], cell.hidden)) for _ in cell.info.carried)
        for t in range(bits):
            x = np.stack([(a_part >> t) & 1, (b_part >> t) & 1], axis=1).astype(np.float64)
            states = cell.step(states, x @ s0)
            yield rows, t, states


def evaluate_cell(
    cell: str, weights: dict[str, np.ndarray], bits: int, ablation: Ablation = NONE
) -> Accuracy:
    """Accuracy of any cell over every pair (bits <= 10), else the fixed seeded sample."""
    hidden = weights["synapse_1"].shape[0]
    if ablation.clamped_unit is not None and not 0 <= ablation.clamped_unit < hidden:
        raise ValueError(f"clamped_unit must be between 0 and {hidden - 1}")
    runner = _Cell(cell, weights, ablation)
    with np.errstate(all="ignore"):
        if _is_exhaustive(bits, hidden * len(runner.info.carried)):
            return _evaluate_prefix(runner, bits)
        a, b = _pairs(bits, hidden)
        correct = np.empty((a.shape[0], bits), dtype=bool)
        total = a + b
        s1 = weights["synapse_1"]
        for rows, t, states in forward_pairs(runner, a, b, bits):
            logit = _matmul(states[0], s1).reshape(-1)
            correct[rows, t] = _correct_from_logits(logit, (total[rows] >> t) & 1)
        return _accuracy(correct, bits, sampled=True)


def carry_probe_cell(cell: str, weights: dict[str, np.ndarray], bits: int) -> dict[str, CarryProbe]:
    """For each carried state (h, and c for the LSTM): the unit that best tracks the carry
    (Pearson's r with the carry out of position t, pooled as model.rnn_probes.carry_probe)."""
    runner = _Cell(cell, weights, NONE)
    hidden, n_op = runner.hidden, bits - 1
    first = 1 if bits >= 3 else 0
    moments = [_Moments(hidden) for _ in runner.info.carried]
    with np.errstate(all="ignore"):
        if _is_exhaustive(bits, hidden * len(runner.info.carried)):
            for level in walk_levels(runner, bits):
                if level.t < first:
                    continue
                width = level.states[0].shape[1]
                b_low = np.arange(width, dtype=np.int64)
                carry = ((level.a_low[:, None] + b_low[None, :]) >> (level.t + 1)) & 1
                weight = 4 ** (n_op - (level.t + 1))
                for m, s in zip(moments, level.states, strict=True):
                    m.add(s.reshape(-1, hidden), carry.reshape(-1), weight)
        else:
            a, b = _pairs(bits, hidden)
            carries = (a + b) ^ a ^ b
            for rows, t, states in forward_pairs(runner, a, b, bits):
                if first <= t < n_op:
                    for m, s in zip(moments, states, strict=True):
                        m.add(s, (carries[rows] >> (t + 1)) & 1, 1.0)
        found = {}
        for name, m in zip(runner.info.carried, moments, strict=True):
            r = m.correlations()
            best = int(np.argmax(np.abs(r)))
            found[name] = CarryProbe(best, float(r[best]), tuple(float(v) for v in r))
    return found
