"""Plain references for the RNN's probes (test-only): no prefix sharing, no shortcuts."""

from __future__ import annotations

import numpy as np

from model.accuracy import NONE, Ablation, Accuracy, _accuracy, _is_exhaustive, _pairs
from model.rnn_probes import _check, _pair_correct


def evaluate_naive(
    synapse_0: np.ndarray,
    synapse_1: np.ndarray,
    synapse_h: np.ndarray,
    bits: int,
    ablation: Ablation = NONE,
) -> Accuracy:
    """Accuracy by the obvious route: a batched forward pass over every pair (the reference).

    Covers the same pairs as `evaluate` (all of them, or the same seeded sample).
    """
    s0, s1, sh, hidden = _check(synapse_0, synapse_1, synapse_h, bits, ablation)
    assert s1 is not None
    a, b = _pairs(bits, hidden)
    with np.errstate(all="ignore"):
        correct = _pair_correct(s0, s1, sh, a, b, bits, ablation)
    return _accuracy(correct, bits, sampled=not _is_exhaustive(bits, hidden))


def hidden_states_for(
    synapse_0: np.ndarray, synapse_h: np.ndarray, a: int, b: int, bits: int
) -> np.ndarray:
    """layer_1 of one sum, computed as the tutorial does (rows of (1, H)): (bits, H).

    Reads the weights only; nothing is trained.
    """
    s0 = np.asarray(synapse_0, dtype=np.float64)
    sh = np.asarray(synapse_h, dtype=np.float64)
    hidden = s0.shape[1]
    layer_1 = np.zeros((bits, hidden))
    prev = np.zeros((1, hidden))
    with np.errstate(all="ignore"):
        for t in range(bits):
            x = np.array([[(int(a) >> t) & 1, (int(b) >> t) & 1]], dtype=np.float64)  # (1, 2)
            prev = 1 / (1 + np.exp(-(np.dot(x, s0) + np.dot(prev, sh))))  # (1, H)
            layer_1[t] = prev[0]
    return layer_1
