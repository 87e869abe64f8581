"""The cell inspector (`i`) for the LSTM and the GRU in the real App under Pilot at 80x24, by
real keys: for the state or gate `v` chose, the value printed is the kernel's number to 4
digits, the printed terms recombine to it, and going backward the delta into the carried
state (dh, the LSTM's dc) is the kernel's."""

from __future__ import annotations

import math
import re

import pytest
from screen import screen_text, workers_done
from textual.pilot import Pilot

from model.accuracy import Ablation
from model.config import RNNConfig
from model.explain import agrees, sigmoid
from model.network import RNN
from model.stepper import ProbeStepper
from tui.app import RNNApp
from tui.screens.inspect import InspectScreen
from tui.widgets.inspector import InspectorPanel, Pointed, cell_statement

VALUE = re.compile(r"^(d?[a-z])\[t=(\d+)\]\[([a-z])(\d+)\] = (-?[\d.e+-]+)$")
NUMBER = r"(-?\d+\.\d+)"
GATE_SUM = re.compile(rf"^= (sigmoid|tanh)\({NUMBER} \+ {NUMBER} \+ {NUMBER}\)$")
PRODUCT = re.compile(rf"^= {NUMBER}×{NUMBER} = {NUMBER}$")
TWO_PARTS = re.compile(rf"^= {NUMBER} \+ {NUMBER} = {NUMBER}$")
STATES = {"lstm": ("h", "c", "i", "f", "o", "g"), "gru": ("h", "z", "r", "n")}


async def settle(pilot: Pilot) -> None:
    await workers_done(pilot.app)
    await pilot.pause()


def statement(app: RNNApp) -> list[str]:
    return app.screen.query_one(InspectorPanel).text.splitlines()


def first_line(app: RNNApp) -> tuple[str, int, str, int, float]:
    lines = statement(app)
    found = VALUE.match(lines[0])
    assert found, lines
    name, t, letter, unit, value = found.groups()
    return name, int(t), letter, int(unit), float(value)


def squash(name: str, x: float) -> float:
    return math.tanh(x) if name == "tanh" else sigmoid(x)


def check_forward(app: RNNApp, state: str) -> None:
    """The first line is the kernel's number; the printed terms recombine to it."""
    screen = app.screen
    assert isinstance(screen, InspectScreen)
    name, t, letter, unit, value = first_line(app)
    assert (name, t, unit) == (state, screen.cursor[1], screen.cursor[0])
    assert letter == state  # the unit as the heatmap's row names it: h3, c3, i3
    kernel = app.session.view().states[state][t]
    assert kernel is not None and value == round(kernel[unit], 4)
    lines = statement(app)
    text = " ".join(lines)
    assert "differs" not in text
    if state in ("h", "c"):
        combined = [PRODUCT.match(line) or TWO_PARTS.match(line) for line in lines]
        found = [m for m in combined if m]
        assert found, lines
        a, b, result = (float(g) for g in found[-1].groups())
        together = a * b if found[-1].re is PRODUCT else a + b
        assert abs(together - result) <= 2e-4 and abs(result - value) <= 1e-4
    else:
        gate = next(m for m in map(GATE_SUM.match, lines) if m)
        kind, *terms = gate.groups()
        assert kind == ("tanh" if state in ("g", "n") else "sigmoid")
        assert abs(squash(kind, sum(float(x) for x in terms)) - value) <= 1e-4
        source = "(r*h_prev)" if state == "n" and app.session.net.cell == "gru" else "h_prev"
        assert (
            f"= {kind}(x·synapse_0[{state}][:,{unit}] + {source}·synapse_h[{state}][:,{unit}]"
            f" + bias[{state}][{unit}])"
        ) in text
    assert f"{state}[t={t}][{letter}{unit}] = {kernel[unit]:.4f}" in screen_text(app).replace(
        "\n", ""
    )


@pytest.mark.parametrize("cell", ["lstm", "gru"])
async def test_every_state_and_gate_v_chooses_is_the_kernels_number(cell: str) -> None:
    app = RNNApp(RNN(RNNConfig(cell=cell)))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"n" * 5)  # forward t=4
        await settle(pilot)
        await pilot.press("i")
        await pilot.pause()
        for index, state in enumerate(STATES[cell]):
            if index:
                await pilot.press("v")
            assert app.session.shown_state == state
            # right is an earlier bit, left a later one: t=4, another unit, t=3 and t=0
            for keys in (("right",) * 8 + ("left",) * 4, ("up",), ("right",), ("right",) * 3):
                await pilot.press(*keys)
                check_forward(app, state)
            assert app.screen.cursor[1] == 0  # type: ignore[attr-defined]


@pytest.mark.parametrize("cell", ["lstm", "gru"])
async def test_going_backward_it_shows_the_delta_into_the_carried_state(cell: str) -> None:
    app = RNNApp(RNN(RNNConfig(cell=cell)))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"n" * 8)
        await settle(pilot)
        await pilot.press("i", "n")  # backward t=7: the future terms are zeros
        lines = statement(app)
        future = "future_dz" if cell == "lstm" else "future_dh"
        assert f"{future}: zeros at the last timestep (t=7)" in lines
        for t in (6, 5):
            await pilot.press("n")
            name, shown_t, letter, unit, value = first_line(app)
            delta = app.session.view().deltas["h"][t]
            assert delta is not None
            assert (name, shown_t, letter) == ("dh", t, "h") and agrees(value, delta[unit])
            text = " ".join(statement(app))
            assert f"{future} from t={t + 1}:" in text and "differs" not in text
            assert "layer_2_delta = (y - layer_2)*layer_2*(1-layer_2)" in text
        forward = [line for line in statement(app) if line.startswith("forward: h[t=5]")]
        state = app.session.view().states["h"][5]
        assert state is not None and forward == [f"forward: h[t=5][h{unit}] = {state[unit]:.4f}"]
        if cell == "lstm":
            await pilot.press("v")  # c: the delta into c
            name, shown_t, letter, unit, value = first_line(app)
            delta = app.session.view().deltas["c"][5]
            assert delta is not None
            assert (name, shown_t, letter) == ("dc", 5, "c") and agrees(value, delta[unit])
            assert "= dh*o*(1-tanh(c)^2) + future_dc*future_f" in statement(app)
        else:
            await pilot.press("v")  # z: still the delta into h, then z's own value
            name, *_ = first_line(app)
            assert name == "dh" and statement(app)[-1].startswith("forward: z[t=5]")


@pytest.mark.parametrize(("cell", "state"), [("lstm", "h"), ("lstm", "c"), ("gru", "h")])
def test_a_clamped_unit_is_said_and_agrees_with_the_kernel(cell: str, state: str) -> None:
    net = RNN(RNNConfig(cell=cell))
    probe = ProbeStepper(net, 90, 37, clamped_unit=3, clamped_state=state)
    snap = probe.run_forward()
    ablation = Ablation(clamped_unit=3, clamped_state=state)
    for shown in ("h", state):
        lines = [
            line.plain
            for line in cell_statement(Pointed(snap, 3, 4, net.weights, ablation, state=shown))
        ]
        letter = "c" if shown == "c" else "h"
        assert lines[0] == f"{shown}[t=4][{letter}3] = 0.0000"
        assert any(line.startswith("then clamped to 0 by the ablation") for line in lines)
        assert not any("differs" in line for line in lines)
    unclamped = cell_statement(Pointed(snap, 2, 4, net.weights, ablation, state="h"))
    assert not any("clamped" in line.plain or "differs" in line.plain for line in unclamped)
