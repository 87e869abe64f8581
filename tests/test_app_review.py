"""What a new user's first session found wanting, checked from the keyboard at 80x24: the
status names the cell and the init range, `b` goes back past where a run was loaded, a
sum trained with `o` is there when stepping back into it."""

from __future__ import annotations

import numpy as np
from screen import PacedTraining, screen_lines, screen_text, workers_done
from textual.pilot import Pilot

from model.config import RNNConfig
from model.network import RNN
from model.trainer import train
from tui.app import RNNApp
from tui.session import Position, steps_per_iteration

SIZE = (80, 24)


async def settle(pilot: Pilot) -> None:
    await workers_done(pilot.app)
    await pilot.pause()


def messages(app: RNNApp) -> str:
    return "\n".join(str(n.message) for n in app._notifications)


async def test_the_status_names_the_cell_and_the_init_range() -> None:
    app = RNNApp(RNN(RNNConfig(cell="gru", init=(0.0, 1.0))))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        side = "\n".join(line.split("▏")[-1] for line in screen_lines(app)[:5])
        assert "GRU seed 0" in side and "init 0,1" in side, side


async def test_back_at_a_loaded_runs_start_replays_it_from_the_seed() -> None:
    net = RNN(RNNConfig())
    train(net, 300)
    app = RNNApp(net)  # as --load or --resume start: the history begins at 300
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.session.timeline.start == 300
        await pilot.press("b")
        await settle(pilot)
        assert app.session.position == Position(299, steps_per_iteration(8) - 1)
        assert "replayed from its seed" in messages(app)
        assert "phase update" in screen_text(app)
        twin = RNN(RNNConfig())
        train(twin, 300)
        assert np.array_equal(app.session.net.params, twin.params)
        await pilot.press("g", *"0", "enter")
        await settle(pilot)
        assert app.session.net.iteration == 0
        assert np.array_equal(app.session.net.params, RNN(RNNConfig()).params)


async def test_a_refused_replay_says_why_and_not_that_it_stopped() -> None:
    net = RNN(RNNConfig())
    train(net, 300)
    net.params[0] += 1e-9  # as if trained on a typed sum: the replay from the seed differs
    app = RNNApp(net)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        assert "are not what seed 0 trains to" in messages(app)
        app.clear_notifications()  # the toast covers the code panel, where a note is shown
        await pilot.pause()
        assert "stopped on the way" not in screen_text(app) and app.main.note == ""
        assert app.session.net.iteration == 300


async def test_a_sum_trained_with_o_is_shown_when_stepping_back_into_it() -> None:
    app = RNNApp(RNN(RNNConfig()))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("e", *"5+7", "enter", "o", "escape")
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        pred = next(line for line in screen_lines(app) if line.startswith("pred"))
        assert "5 + 7 =" in pred, pred
        await pilot.press(*"b" * (steps_per_iteration(8) - 1))
        await settle(pilot)
        text = screen_text(app)
        assert "your sum" in text and "randint" not in text


def test_the_help_keeps_brackets_and_wraps_under_its_own_column() -> None:
    from rich.console import Console

    from tui.widgets.help import help_text

    console = Console(width=76, record=True, color_system=None)
    console.print(help_text())
    lines = console.export_text().splitlines()
    assert any("[t] marks the current timestep" in line for line in lines)  # not markup
    at = next(i for i, line in enumerate(lines) if line.startswith("m         convergence"))
    assert lines[at + 1].startswith(" " * 10) and lines[at + 1].strip()  # under its column


async def test_the_weights_screen_measures_the_wider_sums_in_the_background() -> None:
    app = RNNApp(RNN(RNNConfig(cell="lstm", hidden=4)))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("w")
        await settle(pilot)  # the screen's own worker measured 16 and 32 bits
        screen = app.screen
        text = screen.text.plain  # type: ignore[attr-defined]
        assert "Weights at iteration 0: LSTM, seed 0, hidden 4" in text
        assert "same weights on 16-bit sums: " in text and "% exact" in text
        assert "measuring" not in text


async def test_the_init_range_stays_on_screen_with_a_large_n(monkeypatch) -> None:
    """At N 100,000 "N 100,000  hidden 16" left no room for the init range, and while
    training the progress bar took the line below: N is written in thousands there."""
    paced = PacedTraining(monkeypatch)
    app = RNNApp(RNN(RNNConfig()))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)

        def side() -> str:
            return "\n".join(line.split("▏")[-1] for line in screen_lines(app)[:5])

        await pilot.press("plus")
        await pilot.pause()
        assert "N 10,000 hidden 16 init -1,1" in side(), side()
        await pilot.press("plus")
        await pilot.pause()
        assert "N 100k  hidden 16 init -1,1" in side(), side()
        await pilot.press("t")
        await paced.take(pilot)
        assert "%" in side() and "N 100k  hidden 16 init -1,1" in side(), side()
        await pilot.press("escape")
        await settle(pilot)
        assert "N 100k  hidden 16 init -1,1" in side(), side()


async def test_go_to_counts_iterations_as_the_status_line_does() -> None:
    """During an update the status names the iteration being updated; `g` said one more."""
    from tui.widgets.prompt import PromptScreen

    app = RNNApp(RNN(RNNConfig()))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press(*"n" * 17)  # the update of the tutorial's iteration 0
        await settle(pilot)
        assert "iteration 0" in screen_text(app) and "update" in screen_text(app)
        await pilot.press("g")
        await pilot.pause()
        assert isinstance(app.screen, PromptScreen)
        assert app.screen.hint.startswith("now at 0;"), app.screen.hint
        await pilot.press("escape")
        await pilot.press("n")  # the next example: iteration 1
        await settle(pilot)
        await pilot.press("g")
        await pilot.pause()
        assert isinstance(app.screen, PromptScreen)
        assert app.screen.hint.startswith("now at 1;"), app.screen.hint
