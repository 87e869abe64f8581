"""The cell inspector (`i`) in the real App under Pilot, at 80x24 and 120x40, by real keys:
the value it prints for a cell is the model's number to 4 digits, the arrows move it, and
stepping inside it updates it (forward and backward)."""

from __future__ import annotations

import re

import pytest
from screen import PacedTraining, screen_text, workers_done
from textual.pilot import Pilot

from model.config import RNNConfig
from model.explain import agrees
from model.network import RNN
from tui.app import RNNApp
from tui.screens.inspect import TRAINING, UPDATED, InspectScreen
from tui.screens.main import MainScreen
from tui.widgets.focus_hidden import FocusHidden
from tui.widgets.inspector import InspectorPanel

SIZES = [(80, 24), (120, 40)]
IDS = ["80x24", "120x40"]
VALUE = re.compile(r"^(layer_1(?:_delta)?)\[t=(\d+)\]\[h(\d+)\] = (-?[\d.e+-]+)$")


async def settle(pilot: Pilot) -> None:
    await workers_done(pilot.app)
    await pilot.pause()


def inspector(app: RNNApp) -> InspectScreen:
    screen = app.screen
    assert isinstance(screen, InspectScreen)
    return screen


def first_line(app: RNNApp) -> tuple[str, int, int, float]:
    text = app.screen.query_one(InspectorPanel).text
    found = VALUE.match(text.splitlines()[0])
    assert found, text
    return found.group(1), int(found.group(2)), int(found.group(3)), float(found.group(4))


@pytest.mark.parametrize("size", SIZES, ids=IDS)
async def test_the_inspected_value_is_the_models_to_4_digits(size: tuple[int, int]) -> None:
    app = RNNApp(RNN(RNNConfig()))
    async with app.run_test(size=size) as pilot:
        await pilot.press(*"n" * 4)  # forward t=3
        await settle(pilot)
        await pilot.press("i")
        await pilot.pause()
        screen = inspector(app)
        unit, t = screen.cursor
        assert t == 3 and unit == app.main.carry_unit  # the step's timestep, the carry unit
        name, shown_t, shown_unit, value = first_line(app)
        state = app.session.view().layer_1[3]
        assert state is not None
        assert (name, shown_t, shown_unit) == ("layer_1", 3, unit)
        assert value == round(state[unit], 4)
        text = screen.query_one(InspectorPanel).text
        assert f"sigmoid(x·synapse_0[:,{unit}] + prev·synapse_h[:,{unit}])" in text.replace(
            "\n", " "
        )
        assert "differs" not in text
        assert f"layer_1[t=3][h{unit}] = {state[unit]:.4f}" in screen_text(app).replace("\n", "")


@pytest.mark.parametrize("size", SIZES, ids=IDS)
async def test_arrows_move_the_cursor_over_the_cells(size: tuple[int, int]) -> None:
    app = RNNApp(RNN(RNNConfig()))
    async with app.run_test(size=size) as pilot:
        await pilot.press(*"n" * 8)
        await settle(pilot)
        await pilot.press("i")
        screen = inspector(app)
        start_unit = screen.cursor[0]
        await pilot.press("right", "right", "down")  # two bits less significant, one unit down
        assert screen.cursor == (min(start_unit + 1, 15), 5)
        snap = app.session.view()
        for keys, cell in (
            (("up",) * 20, (0, 5)),
            (("left",) * 9, (0, 7)),
            (("down",) * 3, (3, 7)),
        ):
            await pilot.press(*keys)
            assert screen.cursor == cell
            _, t, unit, value = first_line(app)
            state = snap.layer_1[cell[1]]
            assert state is not None
            assert (t, unit) == (cell[1], cell[0]) and value == round(state[cell[0]], 4)
        assert screen.query_one(FocusHidden).cursor == (3, 7)


@pytest.mark.parametrize("size", SIZES, ids=IDS)
async def test_stepping_inside_the_inspector_updates_it(size: tuple[int, int]) -> None:
    app = RNNApp(RNN(RNNConfig()))
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("i")
        screen = inspector(app)
        assert screen.cursor[1] == 0
        text = screen.query_one(InspectorPanel).text
        assert text.startswith(f"layer_1[t=0][h{screen.cursor[0]}]: not computed yet")
        for t in range(8):
            await pilot.press("n")  # the cursor follows the step
            name, shown_t, unit, value = first_line(app)
            state = app.session.view().layer_1[t]
            assert state is not None
            assert (name, shown_t) == ("layer_1", t) and value == round(state[unit], 4)
        await pilot.press("up")  # another unit, then backward t=7, 6
        for t in (7, 6):
            await pilot.press("space")
            name, shown_t, unit, value = first_line(app)
            delta = app.session.view().layer_1_delta[t]
            assert delta is not None
            assert (name, shown_t) == ("layer_1_delta", t)
            assert agrees(value, delta[unit])
        text = screen.query_one(InspectorPanel).text
        assert "future_layer_1_delta = layer_1_delta[t=7]" in text
        assert "layer_2_delta = (y - layer_2)*layer_2*(1-layer_2)" in text
        await pilot.press("left")  # t=7's delta, whose future is zeros
        assert "future_layer_1_delta: zeros at the last timestep (t=7)" in (
            screen.query_one(InspectorPanel).text
        )
        await pilot.press("b", "b")  # back through backward t=7 to forward t=7
        name, shown_t, _, _ = first_line(app)
        assert (name, shown_t) == ("layer_1", 7)
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_after_the_update_and_while_training_it_says_why_there_are_no_terms(
    monkeypatch,
) -> None:
    paced = PacedTraining(monkeypatch)
    app = RNNApp(RNN(RNNConfig()))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")  # through the update: the weights have moved on
        await settle(pilot)
        await pilot.press("i")
        panel = app.screen.query_one(InspectorPanel)
        assert UPDATED in panel.text.replace("\n", " ")
        _, t, unit, value = first_line(app)  # the value is still shown
        state = app.session.view().layer_1[t]
        assert state is not None and value == round(state[unit], 4)
        await pilot.press("plus", "plus", "t")
        await paced.take(pilot)  # held after this frame: still training
        assert app.main.training is not None
        assert TRAINING in panel.text.replace("\n", " ")
        await pilot.press("t")
        await settle(pilot)
        assert app.main.training is None
        text = panel.text
        assert TRAINING not in text and UPDATED not in text and "sigmoid(" in text


async def test_i_from_focus_opens_the_inspector_and_escape_returns_to_focus() -> None:
    from tui.screens.focus import FocusScreen

    app = RNNApp(RNN(RNNConfig()))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"n" * 2, "z", "z", "i")
        assert isinstance(app.screen, InspectScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, FocusScreen) and app.screen.panel == "hidden"
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)
        assert app.main.followers == []
