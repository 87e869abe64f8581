"""The tutorial's RNN measured fast: exhaustive accuracy and the carry unit.

Everything here reads the three weight matrices and never changes them:

    layer_1[t] = sigmoid(x_t @ synapse_0 + layer_1[t-1] @ synapse_h)   # (n, H), layer_1[-1] = 0
    layer_2[t] = sigmoid(layer_1[t] @ synapse_1)                        # (n, 1)

Timestep t reads bit t of each operand (LSB first); the predicted bit is layer_2 > 0.5.
Operands range over 0..2^(bits-1)-1, so their top bit is 0 and the sum has `bits` bits.

Prefix sharing (what makes `evaluate` fast): after timesteps 0..t the hidden state depends
only on the low t+1 bits of a and b, so level t has just 4^(t+1) distinct states, not one
per pair; the last timestep reads (0, 0) and adds no new combinations. For 8-bit sums that
is ~38k hidden states in all instead of 8 x 16,384 = 131k, and the true sum bit t (bit t
of a_low + b_low) and the carry out of position t also depend on the prefix only. Two
more savings: a level's exps are taken on its parent's states (exp(-(r + x)) =
exp(-r) * exp(-x), a quarter as many), and the last level, whose outputs are only needed
for their sign, is screened in float32 with float64 recomputation of any logit closer to
the threshold than a rigorous error bound. tests/probe_reference.py holds the plain
reference; the tests check that both give the same predictions, hence the same numbers.

Shapes: H hidden units, B = bits timesteps, n_op = B - 1 operand bits. A level-t state
array is (A, 2^(t+1), H): A rows for a selection of a-prefixes (`a_low`, explicit) and one
column per b-prefix 0..2^(t+1)-1 (natural order). Large levels are split along the rows
into chunks of about `_CHUNK_STATES` states, so memory stays bounded (hidden sizes go up
to 1024) and temporaries stay in cache.

Pure numpy: the UI hands the returned frozen dataclasses (plain floats/ints) between
threads.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from model.accuracy import (
    _BIT_PAIRS,
    _CHUNK_STATES,
    NONE,
    Ablation,
    Accuracy,
    _accuracy,
    _correct,
    _correct_from_logits,
    _is_exhaustive,
    _matmul,
    _pairs,
    _sigmoid,
)
from model.carry import CarryProbe, _Moments


def _check(
    synapse_0: np.ndarray,
    synapse_1: np.ndarray | None,
    synapse_h: np.ndarray,
    bits: int,
    ablation: Ablation = NONE,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray, int]:
    s0 = np.asarray(synapse_0, dtype=np.float64)
    sh = np.asarray(synapse_h, dtype=np.float64)
    if s0.ndim != 2 or s0.shape[0] != 2:
        raise ValueError(f"synapse_0 must have shape (2, H), got {s0.shape}")
    hidden = s0.shape[1]
    if sh.shape != (hidden, hidden):
        raise ValueError(f"synapse_h must have shape ({hidden}, {hidden}), got {sh.shape}")
    s1 = None
    if synapse_1 is not None:
        s1 = np.asarray(synapse_1, dtype=np.float64)
        if s1.shape != (hidden, 1):
            raise ValueError(f"synapse_1 must have shape ({hidden}, 1), got {s1.shape}")
    if isinstance(bits, bool) or not isinstance(bits, (int, np.integer)) or not 2 <= bits <= 32:
        raise ValueError(f"bits must be a whole number between 2 and 32, got {bits!r}")
    unit = ablation.clamped_unit
    if unit is not None and not 0 <= unit < hidden:
        raise ValueError(f"clamped_unit must be between 0 and {hidden - 1}, got {unit}")
    return s0, s1, sh, hidden


def _outputs(states: np.ndarray, s1: np.ndarray) -> np.ndarray:
    """layer_2 for a stack of states (..., H) -> (...)."""
    shape = states.shape[:-1]
    return _sigmoid(_matmul(states.reshape(-1, states.shape[-1]), s1)).reshape(shape)


def _forward_batches(
    s0: np.ndarray,
    sh: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    bits: int,
    ablation: Ablation,
) -> Iterator[tuple[slice, int, np.ndarray]]:
    """(pair slice, t, layer_1[t] (m, H)) for every timestep, pairs in memory-bounded chunks."""
    hidden = s0.shape[1]
    step = _CHUNK_STATES
    unit = ablation.clamped_unit
    for start in range(0, a.shape[0], step):
        rows = slice(start, start + step)
        a_part, b_part = a[rows], b[rows]
        state = np.zeros((a_part.shape[0], hidden))  # layer_1[-1]
        for t in range(bits):
            x = np.stack([(a_part >> t) & 1, (b_part >> t) & 1], axis=1).astype(np.float64)
            pre = _matmul(x, s0)  # (m, H)
            if t > 0 and not ablation.cut_recurrence:
                pre += _matmul(state, sh)
            state = _sigmoid(pre)
            if unit is not None:
                state[:, unit] = 0.0
            yield rows, t, state


def _pair_correct(
    s0: np.ndarray,
    s1: np.ndarray,
    sh: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    bits: int,
    ablation: Ablation,
) -> np.ndarray:
    """Right/wrong of every output bit of every pair: (n, bits) bool."""
    correct = np.empty((a.shape[0], bits), dtype=bool)
    total = a + b
    for rows, t, state in _forward_batches(s0, sh, a, b, bits, ablation):
        truth = (total[rows] >> t) & 1
        correct[rows, t] = _correct(_outputs(state, s1), truth)
    return correct


@dataclass
class _Level:
    """One chunk of the states after timestep t, shared by all pairs with these low bits."""

    t: int  # 0..n_op-1: the timesteps that read operand bits
    states: np.ndarray  # (A, 2^(t+1), H): rows a_low (below), columns b_low = 0..2^(t+1)-1
    a_low: np.ndarray  # (A,) the a-prefix of each row
    parent_rows: slice  # rows of the previous level's latest chunk this chunk grew from


def _walk_levels(s0: np.ndarray, sh: np.ndarray, bits: int, ablation: Ablation) -> Iterator[_Level]:
    """Depth-first walk of the levels t = 0..bits-2, in chunks of about `_CHUNK_STATES` states.

    A chunk of level t is yielded before the chunks of level t+1 grown from it, so a
    consumer can keep the most recent chunk of each level and index it with `parent_rows`.
    Level t+1 row a_bit * A + i grows from parent row i, column b_bit * w + j from column j.
    """
    hidden = s0.shape[1]
    n_op = bits - 1
    unit = ablation.clamped_unit
    recurrent = not ablation.cut_recurrence
    neg_sh = -sh  # negation is exact: x @ -W == -(x @ W), and sigmoid needs -x
    neg_inputs = -(_BIT_PAIRS @ s0).reshape(2, 2, hidden)  # [a_bit, b_bit] -> -(x @ synapse_0)
    exp_inputs = np.exp(neg_inputs)  # (2, 2, H)
    # exp(-(r + x)) = exp(-r) * exp(-x) up to an ulp or two, so the exps need only be taken
    # on the parent's states, a quarter of the child's. The product can be inf * 0 = NaN
    # where the plain exp is not; inputs that large only come from diverged weights, which
    # take the plain route.
    factored = bool(np.all(np.isfinite(exp_inputs) & (exp_inputs > 0.0)))

    def grow(parent: np.ndarray, a_low: np.ndarray, t: int) -> Iterator[_Level]:
        rows, width = parent.shape[0], parent.shape[1]  # parent: (rows, width, H)
        if 4 * rows * width > _CHUNK_STATES and rows > 1:
            half = rows // 2
            for part in (slice(0, half), slice(half, rows)):
                for level in grow(parent[part], a_low[part], t):
                    if level.t == t:  # re-base the child's parent rows on the whole parent
                        inner = level.parent_rows
                        level.parent_rows = slice(part.start + inner.start, part.start + inner.stop)
                    yield level
            return
        if recurrent:
            neg_carried = _matmul(parent.reshape(-1, hidden), neg_sh).reshape(rows, width, hidden)
        else:
            neg_carried = np.zeros((rows, width, hidden))
        # child index [a_bit, row, b_bit, column]: a_low + a_bit * 2^t, b_low + b_bit * 2^t
        if factored:
            np.exp(neg_carried, out=neg_carried)
            pre = neg_carried[None, :, None, :, :] * exp_inputs[:, None, :, None, :]
        else:
            pre = neg_carried[None, :, None, :, :] + neg_inputs[:, None, :, None, :]
            np.exp(pre, out=pre)
        pre += 1.0
        states = np.reciprocal(pre, out=pre).reshape(2 * rows, 2 * width, hidden)
        if unit is not None:
            states[..., unit] = 0.0
        a_next = np.concatenate([a_low, a_low + (1 << t)])
        yield _Level(t, states, a_next, slice(0, rows))
        if t + 1 < n_op:
            yield from grow(states, a_next, t + 1)

    first = 1.0 / (1.0 + exp_inputs)  # level 0: (2, 2, H), [a_bit, b_bit]
    if unit is not None:
        first[..., unit] = 0.0
    a_first = np.array([0, 1], dtype=np.int64)
    yield _Level(0, first, a_first, slice(0, 1))
    if n_op > 1:
        yield from grow(first, a_first, 1)


_U32 = 2.0**-24  # unit roundoff of float32


def _final_logits(
    states: np.ndarray, s0: np.ndarray, s1: np.ndarray, sh: np.ndarray, ablation: Ablation
) -> np.ndarray:
    """layer_2 logits of the last timestep (input (0, 0)) from the states before it.

    states: (m, H) -> (m,). This is the largest level and every state needs its own exps,
    so it is done in float32 first; a logit whose float32 value is within a rigorous error
    bound of the decision threshold (or NaN) is recomputed in float64, so the signs (hence
    the predictions) are those of the float64 computation. The returned values are only
    good for their sign.
    """
    hidden = s0.shape[1]
    neg_in = -(_BIT_PAIRS[0] @ s0)  # (H,) -(0 @ synapse_0): zeros, or NaN for broken weights
    if ablation.cut_recurrence:
        neg_pre = np.broadcast_to(neg_in, states.shape).copy()
    else:
        neg_pre = _matmul(states, -sh)  # (m, H)
        neg_pre += neg_in
    unit = ablation.clamped_unit
    h32 = neg_pre.astype(np.float32)
    np.exp(h32, out=h32)
    h32 += np.float32(1.0)
    np.reciprocal(h32, out=h32)
    if unit is not None:
        h32[:, unit] = 0.0
    logit = _matmul(h32, s1.astype(np.float32)).astype(np.float64).reshape(-1)
    # |float32 logit - float64 logit| <= sum|synapse_1| * u32 * (~4 sigmoid + 1 rounding of
    # synapse_1 + ~H dot product), taken twice over; beyond 1e-8 the sign alone decides.
    bound = float(np.abs(s1).sum()) * _U32 * (8 + 2 * hidden)
    margin = max(bound, 1e-8) if np.isfinite(bound) else np.inf
    unsure = np.flatnonzero(~(np.abs(logit) > margin))
    if unsure.size:
        h = neg_pre[unsure]
        np.exp(h, out=h)
        h += 1.0
        np.reciprocal(h, out=h)
        if unit is not None:
            h[:, unit] = 0.0
        logit[unsure] = _matmul(h, s1).reshape(-1)
    return logit


def _evaluate_prefix(
    s0: np.ndarray, s1: np.ndarray, sh: np.ndarray, bits: int, ablation: Ablation
) -> Accuracy:
    n_op = bits - 1
    hidden = s0.shape[1]
    all_right: dict[int, np.ndarray] = {}  # t -> (A, w) every bit so far right, latest chunk
    right_bits = 0  # output bits right, each state weighted by the pairs it stands for
    exact = 0
    for level in _walk_levels(s0, sh, bits, ablation):
        t, states = level.t, level.states
        rows, width = states.shape[0], states.shape[1]
        flat = states.reshape(-1, hidden)  # (A * w, H)
        sums = level.a_low[:, None] + np.arange(width, dtype=np.int64)[None, :]  # (A, w)
        logit = _matmul(flat, s1).reshape(rows, width)  # (A, w)
        correct = _correct_from_logits(logit, (sums >> t) & 1)
        if t > 0:
            before = all_right[t - 1][level.parent_rows]  # (A / 2, w / 2)
            tiled = np.broadcast_to(before[None, :, None, :], (2, rows // 2, 2, width // 2))
            correct_so_far = correct & tiled.reshape(rows, width)
        else:
            correct_so_far = correct
        all_right[t] = correct_so_far
        right_bits += int(np.count_nonzero(correct)) * 4 ** (n_op - (t + 1))  # pairs per state
        if t == n_op - 1:  # the last timestep: one state per pair, bit n_op of the sum
            logit = _final_logits(flat, s0, s1, sh, ablation).reshape(rows, width)
            correct = _correct_from_logits(logit, (sums >> n_op) & 1)
            right_bits += int(np.count_nonzero(correct))
            exact += int(np.count_nonzero(correct & correct_so_far))
    count = 4**n_op
    return Accuracy(
        exact=exact / count,
        per_bit=right_bits / (count * bits),
        count=count,
        sampled=False,
        bits=int(bits),
    )


def evaluate(
    synapse_0: np.ndarray,
    synapse_1: np.ndarray,
    synapse_h: np.ndarray,
    bits: int,
    ablation: Ablation = NONE,
) -> Accuracy:
    """Accuracy over every pair of operands (bits <= 10), else over a fixed seeded sample.

    Exhaustive widths use prefix sharing (see the module docstring): all 16,384 8-bit sums
    in a few milliseconds. Diverged weights give no warnings; NaN outputs count as wrong.
    """
    s0, s1, sh, hidden = _check(synapse_0, synapse_1, synapse_h, bits, ablation)
    assert s1 is not None
    with np.errstate(all="ignore"):
        if _is_exhaustive(bits, hidden):
            return _evaluate_prefix(s0, s1, sh, bits, ablation)
        a, b = _pairs(bits, hidden)
        return _accuracy(_pair_correct(s0, s1, sh, a, b, bits, ablation), bits, sampled=True)


def carry_probe(
    synapse_0: np.ndarray,
    synapse_1: np.ndarray,
    synapse_h: np.ndarray,
    bits: int,
) -> CarryProbe:
    """Which hidden unit carries the carry: Pearson's r of layer_1[t] with the carry out of t.

    Pooled over every pair (bits <= 10; else the same seeded sample as `evaluate`) and the
    timesteps 1..bits-2 (see `CarryProbe` for why those).
    synapse_1 is accepted for symmetry with `evaluate` and only shape-checked.
    """
    s0, _, sh, hidden = _check(synapse_0, synapse_1, synapse_h, bits)
    n_op = bits - 1
    first = 1 if bits >= 3 else 0
    moments = _Moments(hidden)
    with np.errstate(all="ignore"):
        if _is_exhaustive(bits, hidden):
            for level in _walk_levels(s0, sh, bits, NONE):
                t, states = level.t, level.states
                if t < first:
                    continue
                b_low = np.arange(states.shape[1], dtype=np.int64)
                carry_out = ((level.a_low[:, None] + b_low[None, :]) >> (t + 1)) & 1  # (A, w)
                weight = 4 ** (n_op - (t + 1))
                moments.add(states.reshape(-1, hidden), carry_out.reshape(-1), weight)
        else:
            a, b = _pairs(bits, hidden)
            carries = (a + b) ^ a ^ b  # bit t+1: carry out of position t
            for rows, t, state in _forward_batches(s0, sh, a, b, bits, NONE):
                if first <= t < n_op:
                    moments.add(state, (carries[rows] >> (t + 1)) & 1, 1.0)
        r = moments.correlations()
    best = int(np.argmax(np.abs(r)))
    return CarryProbe(
        unit=best,
        correlation=float(r[best]),
        correlations=tuple(float(v) for v in r),
    )
