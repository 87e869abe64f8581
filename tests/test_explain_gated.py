"""model.explain_gated: the LSTM's and GRU's statements recombine to the kernels' own numbers,
for every state and gate, unit and timestep of a walk, forward and backward, under ablations."""

from __future__ import annotations

import math

import numpy as np
import pytest

from model.config import RNNConfig
from model.encoding import bits_lsb_first
from model.explain import agrees
from model.explain_gated import (
    GruHidden,
    LstmCell,
    LstmHidden,
    block,
    gate_terms,
    gru_hidden_delta,
    lstm_cell_delta,
    lstm_hidden_delta,
)
from model.network import RNN
from model.stepper import ProbeStepper, Snapshot, Stepper

GATES = {"lstm": ("i", "f", "o", "g"), "gru": ("z", "r", "n")}


def walked(cell: str, steps: int, iterations: int = 0, seed: int = 0) -> tuple[RNN, Snapshot]:
    net = RNN(RNNConfig(cell=cell, seed=seed))
    stepper = Stepper(net)
    for _ in range(iterations):
        stepper.finish_iteration()
        stepper.step()  # the next example
    snap = stepper.snapshot()
    for _ in range(steps):
        snap = stepper.step()
    return net, snap


def gate_of(net: RNN, snap: Snapshot, gate: str, t: int, unit: int, cut: bool = False) -> float:
    x = (bits_lsb_first(snap.a, snap.bits)[t], bits_lsb_first(snap.b, snap.bits)[t])
    source = snap.states["h"][t - 1] if t > 0 else None
    if snap.cell == "gru" and gate == "n" and source is not None:
        r = snap.states["r"][t]
        assert r is not None
        source = tuple(a * b for a, b in zip(r, source, strict=True))
    terms = gate_terms(snap.cell, net.spec, net.weights, gate, x, source, unit, cut_recurrence=cut)
    assert math.isclose(terms.total, terms.input_term + terms.recurrent_term + terms.bias_term)
    return terms.value


def at(snap: Snapshot, state: str, t: int) -> tuple[float, ...]:
    row = snap.states[state][t]
    assert row is not None
    return row


def test_blocks_come_from_the_layout() -> None:
    net = RNN(RNNConfig(cell="lstm", hidden=3))
    label, columns = block(net.spec, "synapse_h", "o")
    assert label == "synapse_h[o]" and columns.tolist() == [6, 7, 8]  # block 2 of i, f, o, g
    label, columns = block(RNN(RNNConfig(cell="gru", hidden=2)).spec, "bias", "n")
    assert label == "bias[n]" and columns.tolist() == [4, 5]


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("iterations", [0, 300])  # the bias is zero at first, then not
def test_every_gate_and_state_recombines_to_the_kernels_number(cell: str, iterations: int) -> None:
    net, snap = walked(cell, 8, iterations)
    if iterations:
        assert np.abs(net.weights["bias"]).max() > 0
    for t in range(8):
        for unit in range(net.hidden):
            for gate in GATES[cell]:
                value = gate_of(net, snap, gate, t, unit)
                kernel = at(snap, gate, t)[unit]
                assert agrees(value, kernel) and math.isclose(value, kernel, rel_tol=1e-9)
            prev_h = at(snap, "h", t - 1)[unit] if t > 0 else 0.0
            if cell == "lstm":
                c_prev = at(snap, "c", t - 1)[unit] if t > 0 else 0.0
                c = LstmCell(
                    at(snap, "f", t)[unit], c_prev, at(snap, "i", t)[unit], at(snap, "g", t)[unit]
                )
                assert math.isclose(c.value, at(snap, "c", t)[unit], rel_tol=1e-9, abs_tol=1e-15)
                h = LstmHidden(at(snap, "o", t)[unit], at(snap, "c", t)[unit]).value
            else:
                h = GruHidden(at(snap, "z", t)[unit], at(snap, "n", t)[unit], prev_h).value
            assert math.isclose(h, at(snap, "h", t)[unit], rel_tol=1e-9, abs_tol=1e-15)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("iterations", [0, 300])
def test_the_deltas_into_the_carried_states_are_the_kernels(cell: str, iterations: int) -> None:
    net, snap = walked(cell, 16, iterations)  # the whole backward pass
    explain = lstm_hidden_delta if cell == "lstm" else gru_hidden_delta
    for t in range(8):
        layer_2 = snap.layer_2[t]
        assert layer_2 is not None
        for unit in range(net.hidden):
            terms = explain(
                net.spec, net.weights, snap.states, snap.deltas, snap.true_bits[t], layer_2, t, unit
            )
            kernel = snap.deltas["h"][t]
            assert kernel is not None
            assert math.isclose(terms.value, kernel[unit], rel_tol=1e-9, abs_tol=1e-15)
            assert (len(terms.future) == 0) == (t == 7)
            assert math.isclose(
                terms.value, terms.output.value + sum(p.amount for p in terms.future)
            )
            if cell == "lstm":
                dc = lstm_cell_delta(snap.states, snap.deltas, t, unit)
                kernel_c = snap.deltas["c"][t]
                assert kernel_c is not None
                assert math.isclose(dc.value, kernel_c[unit], rel_tol=1e-9, abs_tol=1e-15)
                assert math.isclose(dc.dh, kernel[unit])


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_a_cut_recurrence_drops_the_recurrent_term(cell: str) -> None:
    net = RNN(RNNConfig(cell=cell))
    probe = ProbeStepper(net, 90, 37, cut_recurrence=True)
    snap = probe.run_forward()
    for t in (0, 3, 7):
        for gate in GATES[cell]:
            value = gate_of(net, snap, gate, t, 5, cut=True)
            assert math.isclose(value, at(snap, gate, t)[5], rel_tol=1e-9)
        if t > 0:  # with the recurrence the number would be another one
            assert not math.isclose(
                gate_of(net, snap, GATES[cell][0], t, 5),
                at(snap, "i" if cell == "lstm" else "z", t)[5],
            )
