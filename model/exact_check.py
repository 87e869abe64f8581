"""Does a network get every sum exactly right? The evaluator's answer, found sooner.

A sweep asks this after every K iterations of every run, and the answer is almost always
no: an untrained network is wrong at the first timestep's outputs already. This walks
the same prefix-sharing levels as the evaluators (model/rnn_probes.py for the RNN,
model/prefix.py for the others), with their own functions and arithmetic, and stops at
the first wrong output bit. Every level-t prefix state is reached by some pair, so a wrong
bit anywhere means a sum that is not exact; hence `every_sum_exact(net)` is
`evaluate_net(net).exact == 1.0`, only cheaper (tests/test_sweep_engine.py checks it).
"""

from __future__ import annotations

import numpy as np

from model.accuracy import NONE, _correct_from_logits, _is_exhaustive, _matmul
from model.network import Network


def every_sum_exact(net: Network) -> bool:
    bits, hidden = net.bits, net.hidden
    with np.errstate(all="ignore"):
        if net.cell == "rnn":
            if not _is_exhaustive(bits, hidden):
                return _sampled_exact(net)
            return _rnn_exact(net)
        from model.prefix import _Cell

        runner = _Cell(net.cell, net.weights, NONE)
        if not _is_exhaustive(bits, hidden * len(runner.info.carried)):
            return _sampled_exact(net)
        return _cell_exact(runner, bits)


def _sampled_exact(net: Network) -> bool:
    from model.probes import evaluate_net

    return evaluate_net(net).exact == 1.0


def _sums(a_low: np.ndarray, width: int) -> np.ndarray:
    return a_low[:, None] + np.arange(width, dtype=np.int64)[None, :]


def _rnn_exact(net: Network) -> bool:
    from model.rnn_probes import _final_logits, _walk_levels

    s0, s1, sh, bits = net.synapse_0, net.synapse_1, net.synapse_h, net.bits
    hidden, n_op = net.hidden, bits - 1
    for level in _walk_levels(s0, sh, bits, NONE):
        t, states = level.t, level.states
        rows, width = states.shape[0], states.shape[1]
        flat = states.reshape(-1, hidden)
        sums = _sums(level.a_low, width)
        logit = _matmul(flat, s1).reshape(rows, width)
        if not _correct_from_logits(logit, (sums >> t) & 1).all():
            return False
        if t == n_op - 1:
            logit = _final_logits(flat, s0, s1, sh, NONE).reshape(rows, width)
            if not _correct_from_logits(logit, (sums >> n_op) & 1).all():
                return False
    return True


def _cell_exact(runner: object, bits: int) -> bool:
    from model.prefix import _Cell, walk_levels

    assert isinstance(runner, _Cell)
    hidden, n_op = runner.hidden, bits - 1
    s1 = runner.weights["synapse_1"]
    for level in walk_levels(runner, bits):
        t, h = level.t, level.states[0]
        rows, width = h.shape[0], h.shape[1]
        sums = _sums(level.a_low, width)
        logit = _matmul(h.reshape(-1, hidden), s1).reshape(rows, width)
        if not _correct_from_logits(logit, (sums >> t) & 1).all():
            return False
        if t == n_op - 1:
            flat = tuple(s.reshape(-1, hidden) for s in level.states)
            last = runner.step(flat, runner.zero_input)[0]
            logit = _matmul(last, s1).reshape(rows, width)
            if not _correct_from_logits(logit, (sums >> n_op) & 1).all():
                return False
    return True
