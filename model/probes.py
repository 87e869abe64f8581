"""Probes of a trained network: exhaustive accuracy, ablations and the carry unit.

One import for callers; the work is split by concern:

* model/accuracy.py   which pairs a measurement covers, what counts as right, `Ablation`;
* model/rnn_probes.py the RNN's fast prefix-sharing evaluator and carry probe, taking
                      the three weight matrices (`evaluate`, `carry_probe`);
* model/prefix.py     the same prefix-sharing walk for any cell, through its batched step;
* model/carry.py      the true carries and the correlation bookkeeping.

`evaluate_net` and `carry_probes` take a network of any cell.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from model.accuracy import (
    _BIT_PAIRS,
    _CHUNK_STATES,
    EXHAUSTIVE_MAX_PAIRS,
    NONE,
    SAMPLE_SEED,
    SAMPLE_SIZE,
    Ablation,
    Accuracy,
    _accuracy,
    _correct_from_logits,
    _is_exhaustive,
    _matmul,
    _pairs,
    sample_size,
)
from model.carry import CarryProbe, _Moments, carry_into
from model.rnn_probes import carry_probe, evaluate

if TYPE_CHECKING:
    from model.network import Network

__all__ = [
    "EXHAUSTIVE_MAX_PAIRS",
    "NONE",
    "SAMPLE_SEED",
    "SAMPLE_SIZE",
    "_BIT_PAIRS",
    "_CHUNK_STATES",
    "Ablation",
    "Accuracy",
    "CarryProbe",
    "_Moments",
    "_accuracy",
    "_correct_from_logits",
    "_is_exhaustive",
    "_matmul",
    "_pairs",
    "carry_into",
    "carry_probe",
    "carry_probes",
    "evaluate",
    "evaluate_net",
    "sample_size",
]


def evaluate_net(net: Network, ablation: Ablation = NONE) -> Accuracy:
    """`evaluate` for a network of any cell (the RNN takes the fast route above)."""
    if net.cell == "rnn":
        if ablation.clamped_state != "h":
            raise ValueError("the RNN carries only h")
        return evaluate(net.synapse_0, net.synapse_1, net.synapse_h, net.bits, ablation)
    from model.prefix import evaluate_cell

    return evaluate_cell(net.cell, net.weights, net.bits, ablation)


def carry_probes(net: Network) -> dict[str, CarryProbe]:
    """The carry unit of each carried state of any cell: {"h": ...} (and "c" for the LSTM)."""
    if net.cell == "rnn":
        return {"h": carry_probe(net.synapse_0, net.synapse_1, net.synapse_h, net.bits)}
    from model.prefix import carry_probe_cell

    return carry_probe_cell(net.cell, net.weights, net.bits)
