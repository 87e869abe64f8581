"""The weights screen (`w`) at 80x24: every line can be read whole (issue 9, item 10).

Before, the last-update line ("last update, largest change: synapse_0 1.23e-02  ...")
was 90 columns wide and cut at the screen's edge, in the middle of synapse_h's number.
The test opens the screen in the real app under Pilot, scrolls it from top to bottom,
and checks that every line of the screen's text appears on some screen row in full.
"""

from __future__ import annotations

import numpy as np
import pytest
from screen import screen_lines, workers_done
from textual.pilot import Pilot
from textual.widgets import Static

from model.config import RNNConfig
from model.network import RNN
from model.stepper import Stepper
from model.trainer import train
from tui.app import RNNApp
from tui.session import Session
from tui.widgets.weights import WeightsScreen, network_weights_text

SIZE = (80, 24)
NUMBER = r"(?:\d\.\d\de[+-]\d\d|nan|inf)"


async def rows_seen_while_scrolling(pilot: Pilot) -> list[str]:
    """Every row the weights screen shows, paging from its top to its bottom."""
    seen: list[str] = []
    for _ in range(40):
        rows = screen_lines(pilot.app)
        seen += rows
        await pilot.press("pagedown")
        await pilot.pause()
        if screen_lines(pilot.app) == rows:
            return seen
    raise AssertionError("the weights screen never reached its end")


def content_lines(app: RNNApp) -> list[str]:
    screen = app.screen
    assert isinstance(screen, WeightsScreen)
    return [line.rstrip() for line in screen.text.plain.splitlines() if line.strip()]


@pytest.mark.parametrize("hidden", [16, 2, 30])
async def test_every_line_of_the_weights_screen_is_shown_whole_at_80x24(hidden: int) -> None:
    app = RNNApp(RNN(RNNConfig(hidden=hidden)))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"n" * 17)  # forward, backward and the update of one iteration
        await workers_done(app)
        await pilot.press("w")
        await pilot.pause()
        rows = await rows_seen_while_scrolling(pilot)
        lines = content_lines(app)
        assert any(line.startswith("last update") for line in lines)
        cut = [line for line in lines if not any(line in row for row in rows)]
        assert cut == [], f"cut at 80 columns: {cut}"


def test_the_last_update_names_all_three_matrices_with_whole_numbers() -> None:
    net = RNN(RNNConfig())
    update = {"synapse_0": 1.2345e-2, "synapse_1": 9.87e-5, "synapse_h": np.nan}
    text = network_weights_text(net, update, []).plain
    assert "synapse_0 1.23e-02" in text
    assert "synapse_1 9.87e-05" in text
    assert "synapse_h nan" in text
    widest = max(len(line) for line in text.splitlines())
    assert widest <= 74  # 80 columns less the border, the padding and the scrollbar


async def test_the_screen_text_is_not_wrapped_or_clipped_in_the_widget() -> None:
    app = RNNApp(RNN(RNNConfig()))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"n" * 17)
        await workers_done(app)
        await pilot.press("w")
        await pilot.pause()
        static = app.screen.query_one(Static)
        assert static.content_region.width >= max(len(line) for line in content_lines(app))


def test_an_all_zero_block_says_its_largest_weight_is_zero() -> None:
    from tui.widgets.weights import matrix_lines

    title = matrix_lines("bias[z]", np.zeros((1, 16)))[0].plain
    assert title.endswith("max |w| 0"), title
    assert matrix_lines("w", np.full((2, 2), -0.5))[0].plain.endswith("max |w| 0.5")
    diverged = np.array([[np.inf, np.nan, 1.0, -2.0]])
    assert matrix_lines("w", diverged)[0].plain.endswith("max |w| inf")
    assert matrix_lines("w", np.full((1, 3), np.nan))[0].plain.endswith("max |w| nan")


async def test_end_pressed_before_the_wider_sums_arrive_ends_at_them(monkeypatch) -> None:
    import threading

    import tui.widgets.weights as weights

    measured, release = weights.wider_accuracy_net, threading.Event()

    def held(net: RNN) -> list[tuple[int, float, bool]]:
        release.wait(30)  # the user's End comes first, however fast the measurement is
        return measured(net)

    monkeypatch.setattr(weights, "wider_accuracy_net", held)
    app = RNNApp(RNN(RNNConfig()))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("w")
        await pilot.pause()
        await pilot.press("end")
        await pilot.pause()
        assert "measuring" in " ".join(screen_lines(app))
        release.set()
        await workers_done(app)
        for _ in range(3):
            await pilot.pause()
        shown = " ".join(screen_lines(app))
        assert "32-bit sums:" in shown and "measuring" not in shown


def _largest_changes(net: RNN, before: np.ndarray) -> dict[str, float]:
    spec = net.spec
    return dict(zip(spec.names, spec.max_abs(net.params - before), strict=True))


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_the_last_update_is_the_one_that_made_the_weights(cell: str) -> None:
    """Stepped, trained with t, trained on a typed sum with o: the sizes are those of the
    iteration that made the weights on show, as their difference to the weights before
    it says (to rounding); restored weights have none."""
    net = RNN(RNNConfig(cell=cell, hidden=4))
    stepper = Stepper(net)
    assert stepper.last_update_sizes() is None
    before = net.params.copy()
    stepper.finish_iteration()
    assert stepper.last_update_sizes() == pytest.approx(_largest_changes(net, before), rel=1e-9)
    twin = net.copy()
    stepper.train(1200)
    train_twin = RNN(RNNConfig(cell=cell, hidden=4))
    train(train_twin, net.iteration - 1)
    before = train_twin.params.copy()
    train(train_twin, 1)
    assert np.array_equal(train_twin.params, net.params)
    assert stepper.last_update_sizes() == pytest.approx(_largest_changes(net, before), rel=1e-9)
    before = net.params.copy()
    stepper.train_on(5, 7)
    assert stepper.last_update_sizes() == pytest.approx(_largest_changes(net, before), rel=1e-9)
    session = Session(twin)  # weights that no update of this session made
    assert session.stepper.last_update_sizes() is None


async def test_the_weights_screen_shows_the_update_training_made() -> None:
    app = RNNApp(RNN(RNNConfig()))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"n" * 17)  # one iteration stepped through
        await workers_done(app)
        await pilot.press("t")
        await workers_done(app)
        for _ in range(3):
            await pilot.pause()
        assert app.session.net.iteration == 1001
        await pilot.press("w")
        await pilot.pause()
        text = "\n".join(content_lines(app))
        assert "last update (iteration 1,000's, which made these), largest change:" in text
        expected = app.session.stepper.last_update_sizes()
        assert expected is not None
        assert f"synapse_h {expected['synapse_h']:.2e}" in text


def test_going_back_within_an_iteration_keeps_the_last_update() -> None:
    """enter, n, n, b: the stepper is made again at the same iteration, by the same
    weights; the update that made them is still the one on record."""
    session = Session(RNN(RNNConfig()))
    session.finish_iteration()
    made = session.stepper.last_update_sizes()
    assert made is not None
    session.step()  # the next example drawn
    session.step()  # forward t=0
    session.back()
    assert session.stepper.last_update_sizes() == made
    session.back()  # into the update again: its own update on show
    assert session.stepper.phase == "update"
    assert session.stepper.last_update_sizes() == made
    session.back()  # before it: the initial weights, which no update made
    assert session.stepper.last_update_sizes() is None


def test_the_initial_weights_say_no_update_made_them() -> None:
    net = RNN(RNNConfig())
    text = network_weights_text(net, None, []).plain
    assert "last update: none yet: these are the initial weights" in text
    net.iteration = 500  # weights a jump or a load restored
    text = network_weights_text(net, None, []).plain
    assert "last update: unknown, the weights were restored (step through one with n)" in text
