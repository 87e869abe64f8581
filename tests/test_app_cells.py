"""The LSTM and GRU in the app, from the keyboard at 80x24: gates, deltas, gradients, weights."""

from __future__ import annotations

import numpy as np
import pytest
from screen import screen_lines, screen_text, workers_done
from textual.pilot import Pilot

from model.config import RNNConfig
from model.network import RNN
from model.trainer import train
from tui.app import RNNApp
from tui.widgets.gradients import GradientScreen

SIZE = (80, 24)


async def settle(pilot: Pilot) -> None:
    await workers_done(pilot.app)
    await pilot.pause()


def row(lines: list[str], start: str) -> str:
    return next(line for line in lines if line.startswith(start))


async def test_lstm_opens_on_its_published_first_example_and_v_shows_the_cell_state() -> None:
    app = RNNApp(RNN(RNNConfig(cell="lstm")))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f")
        await settle(pilot)
        text = screen_text(app)
        assert "10 + 74 = 0" in text and "overallError = 3.92740023" in text  # DESIGN.md
        assert "h hidden" in text and "v: h c i f o g" in text
        await pilot.press("v")
        await settle(pilot)
        lines = screen_lines(app)
        assert "c cell state" in screen_text(app)
        c = app.session.view().states["c"]
        assert any(value < 0 for step in c if step is not None for value in step)
        # signed: each cell of the c heatmap carries its sign (an exact 0, none), the
        # last timestep on the left
        cells = row(lines, "c0 ").split("▏")[0][9:33]
        unit_0 = [step[0] for step in reversed(c) if step is not None]
        signs = ["-" if v < 0 else "+" if v > 0 else " " for v in unit_0]
        assert [cells[i] for i in range(0, 24, 3)] == signs and " " in signs  # t=0: x=[0,0]
        for name in ("i input gate", "f forget gate", "o output gate", "g candidate", "h hidden"):
            await pilot.press("v")
            await pilot.pause()
            assert name in screen_text(app)


async def test_gru_backward_shows_the_deltas_into_h() -> None:
    app = RNNApp(RNN(RNNConfig(cell="gru")))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f", "n", "n")
        await settle(pilot)
        text = screen_text(app)
        assert "26 + 115 = 12" in text and "backward t=6" in text
        assert "delta into h" in text
        assert "v: h z r n" in text


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
async def test_d_shows_bptt_beside_numerical_gradients(cell: str) -> None:
    app = RNNApp(RNN(RNNConfig(cell=cell, hidden=8)))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n", "d")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, GradientScreen)
        await workers_done(app)  # the check runs in a worker: wait for its answer
        await pilot.pause()
        assert screen.check is not None and screen.check.ok
        text = screen_text(app)
        assert "max relative error all below 1e-06" in text
        assert "synapse_h" in text
        if cell == "lstm":
            assert "synapse_h[f]" in text
        await pilot.press("escape")
        assert not isinstance(app.screen, GradientScreen)


async def test_a_trained_lstm_trains_steps_back_and_measures_in_the_app() -> None:
    net = RNN(RNNConfig(cell="lstm"))
    train(net, 3000)  # seed 0's LSTM is exact from 3,000 iterations on (README)
    app = RNNApp(net)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "exact 100.00%" in screen_text(app)
        await pilot.press("minus", "minus", "t")  # N = 10, trained in the app
        await settle(pilot)
        reference = RNN(RNNConfig(cell="lstm"))
        train(reference, 3010)
        assert np.array_equal(app.session.net.params, reference.params)
        for _ in range(20):
            await pilot.press("b")
        await settle(pilot)
        reference = RNN(RNNConfig(cell="lstm"))
        train(reference, 3009)
        assert np.array_equal(app.session.net.params, reference.params)
        assert "carry" in screen_text(app)


async def test_the_lstm_weights_screen_shows_each_gate_block() -> None:
    app = RNNApp(RNN(RNNConfig(cell="lstm", hidden=4)))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("w")
        await settle(pilot)
        text = screen_text(app)
        for block in ("synapse_0[i]", "synapse_h[f]", "synapse_h[g]"):
            assert block in text


async def test_clamping_a_unit_of_the_lstm_cell_state() -> None:
    app = RNNApp(RNN(RNNConfig(cell="lstm")))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await pilot.press("ctrl+a", "ctrl+k", *"c2", "enter")
        await settle(pilot)
        assert "ABLATION c2=0" in screen_text(app)
        await pilot.press("f", "v")  # the heatmap on c: the clamped unit is all zero
        await settle(pilot)
        c = app.session.view().states["c"]
        assert all(step is not None and step[2] == 0.0 for step in c)
