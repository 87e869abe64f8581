"""model.explain against the model: every term recomputed from the weights and the states
gives the number the stepper computed (all units, all timesteps, forward and backward),
and the inspector's text prints those numbers."""

from __future__ import annotations

import re

import numpy as np
import pytest

from model.config import RNNConfig
from model.encoding import bits_lsb_first
from model.explain import agrees, rnn_backward, rnn_forward, sigmoid
from model.network import RNN
from model.probes import Ablation
from model.stepper import ProbeStepper, Snapshot, Stepper
from model.trainer import train
from tui.widgets.inspector import Pointed, cell_statement


def weights(net: RNN) -> dict[str, np.ndarray]:
    return {"synapse_0": net.synapse_0, "synapse_1": net.synapse_1, "synapse_h": net.synapse_h}


def forward_of(snap: Snapshot, net: RNN, t: int, u: int, **kwargs: bool) -> float:
    x = (bits_lsb_first(snap.a, snap.bits)[t], bits_lsb_first(snap.b, snap.bits)[t])
    previous = snap.layer_1[t - 1] if t > 0 else None
    return rnn_forward(net.synapse_0, net.synapse_h, x, previous, u, **kwargs).value


@pytest.mark.parametrize("trained", [0, 3000])
def test_forward_terms_give_every_layer_1_value(trained: int) -> None:
    net = RNN(RNNConfig())
    train(net, trained)
    stepper = Stepper(net)
    for _ in range(net.bits):
        stepper.step()
    snap = stepper.snapshot()
    for t in range(net.bits):
        state = snap.layer_1[t]
        assert state is not None
        for u in range(net.hidden):
            assert forward_of(snap, net, t, u) == pytest.approx(state[u], rel=1e-12, abs=1e-15)


def test_the_first_example_by_hand() -> None:
    """layer_1[t=0][h2] of 9 + 60: x = [1, 0], no previous state."""
    net = RNN(RNNConfig())
    terms = rnn_forward(net.synapse_0, net.synapse_h, (1, 0), None, 2)
    assert terms.input_term == pytest.approx(net.synapse_0[0, 2])
    assert terms.recurrent_term == 0.0
    assert terms.value == pytest.approx(1 / (1 + np.exp(-net.synapse_0[0, 2])))


@pytest.mark.parametrize("trained", [0, 3000])
def test_backward_terms_give_every_layer_1_delta(trained: int) -> None:
    net = RNN(RNNConfig())
    train(net, trained)
    stepper = Stepper(net)
    for _ in range(2 * net.bits):  # forward and the whole backward pass
        stepper.step()
    snap = stepper.snapshot()
    for t in range(net.bits):
        delta, state, out = snap.layer_1_delta[t], snap.layer_1[t], snap.layer_2[t]
        assert delta is not None and state is not None and out is not None
        future = snap.layer_1_delta[t + 1] if t < net.bits - 1 else None
        for u in range(net.hidden):
            terms = rnn_backward(
                net.synapse_1, net.synapse_h, future, snap.true_bits[t], out, state, u
            )
            assert terms.value == pytest.approx(delta[u], rel=1e-9, abs=1e-15)


def test_ablations_cut_recurrence_and_clamped_units() -> None:
    net = RNN(RNNConfig())
    train(net, 2000)
    cut = ProbeStepper(net, 9, 60, cut_recurrence=True).run_forward()
    clamped = ProbeStepper(net, 9, 60, clamped_unit=3).run_forward()
    for t in range(net.bits):
        state = cut.layer_1[t]
        assert state is not None
        for u in range(net.hidden):
            value = forward_of(cut, net, t, u, cut_recurrence=True)
            assert value == pytest.approx(state[u], rel=1e-12)
        state = clamped.layer_1[t]
        assert state is not None and state[3] == 0.0
        for u in (0, 5, 15):  # the others read the clamped 0 in the previous state
            assert forward_of(clamped, net, t, u) == pytest.approx(state[u], rel=1e-12)


def numbers(text: str) -> list[float]:
    return [float(v) for v in re.findall(r"-?\d+\.\d+(?:e[+-]\d+)?", text)]


def test_the_statement_prints_the_models_numbers() -> None:
    net = RNN(RNNConfig())
    stepper = Stepper(net)
    for _ in range(4):  # forward t=0..3
        stepper.step()
    snap = stepper.snapshot()
    text = "\n".join(line.plain for line in cell_statement(Pointed(snap, 2, 3, weights(net))))
    state = snap.layer_1[3]
    assert state is not None
    assert text.startswith(f"layer_1[t=3][h2] = {state[2]:.4f}")
    assert "= sigmoid(x·synapse_0[:,2] + prev·synapse_h[:,2])" in text
    x = (bits_lsb_first(9, 8)[3], bits_lsb_first(60, 8)[3])
    terms = rnn_forward(net.synapse_0, net.synapse_h, x, snap.layer_1[2], 2)
    assert (
        f"= sigmoid({terms.input_term:.4f} + {terms.recurrent_term:.4f})"
        f"\n= sigmoid({terms.total:.4f}) = {state[2]:.4f}"
    ) in text
    assert "differs" not in text


def test_the_backward_statement_prints_the_models_numbers() -> None:
    net = RNN(RNNConfig())
    stepper = Stepper(net)
    for _ in range(8 + 3):  # backward t=7, 6, 5
        stepper.step()
    snap = stepper.snapshot()
    delta = snap.layer_1_delta[5]
    assert delta is not None
    text = "\n".join(line.plain for line in cell_statement(Pointed(snap, 4, 5, weights(net))))
    first = text.splitlines()[0]
    assert first.startswith("layer_1_delta[t=5][h4] = ")
    assert agrees(numbers(first)[-1], delta[4])
    assert "future_layer_1_delta = layer_1_delta[t=6]" in text
    assert "differs" not in text


def test_a_clamped_unit_says_so_and_a_mismatch_would_be_said() -> None:
    net = RNN(RNNConfig())
    probe = ProbeStepper(net, 9, 60, clamped_unit=2)
    for _ in range(3):
        probe.step()
    snap = probe.snapshot()
    pointed = Pointed(snap, 2, 1, weights(net), Ablation(2, False))
    text = "\n".join(line.plain for line in cell_statement(pointed))
    assert text.startswith("layer_1[t=1][h2] = 0.0000")
    assert "clamped to 0" in text and "differs" not in text
    # weights the states were not made with: the recomputed number disagrees, and says so
    other = RNN(RNNConfig(seed=1))
    text = "\n".join(line.plain for line in cell_statement(Pointed(snap, 4, 1, weights(other))))
    assert "differs from the value shown" in text


def test_without_weights_the_value_is_shown_and_why() -> None:
    net = RNN(RNNConfig())
    stepper = Stepper(net)
    stepper.step()
    snap = stepper.snapshot()
    pointed = Pointed(snap, 0, 0, None, why_no_weights="training is running")
    lines = [line.plain for line in cell_statement(pointed)]
    state = snap.layer_1[0]
    assert state is not None
    assert lines[0] == f"layer_1[t=0][h0] = {state[0]:.4f}"
    assert lines[-1] == "training is running"
    not_yet = [line.plain for line in cell_statement(Pointed(snap, 0, 5, weights(net)))]
    assert not_yet[0] == "layer_1[t=5][h0]: not computed yet"


def test_sigmoid_and_agrees() -> None:
    assert sigmoid(0.0) == 0.5
    assert sigmoid(-1000.0) == 0.0
    assert agrees(0.30791, 0.30790) and not agrees(0.3079, 0.3081)
    assert agrees(0.001495, 0.0014954) and not agrees(0.001493, 0.0014954)
