"""The real App, driven by Pilot at 80x24 as a user drives it from the keyboard."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import run_cli
from screen import run_in_pty, screen_lines, screen_text, workers_done
from textual.pilot import Pilot

from model.checkpoint import load_checkpoint
from model.config import RNNConfig
from model.network import RNN
from model.probes import carry_into
from tui.app import RNNApp

SIZE = (80, 24)


def fresh_app(**config: object) -> RNNApp:
    return RNNApp(RNN(RNNConfig(**config)))  # type: ignore[arg-type]


def row(lines: list[str], start: str) -> str:
    return next(line for line in lines if line.startswith(start))


async def settle(pilot: Pilot) -> None:
    await workers_done(pilot.app)
    await pilot.pause()


async def test_opens_on_the_tutorials_first_example() -> None:
    app = fresh_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        lines = screen_lines(app)
        assert row(lines, "a ").split("▏")[0].split() == ["a", "9", *"00001001"]
        assert row(lines, "b ").split("▏")[0].split() == ["b", "60", *"00111100"]
        assert "true  69" in row(lines, "true")
        assert "example drawn" in screen_text(app)


async def test_eight_steps_predict_1_against_69() -> None:
    app = fresh_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"n" * 8)
        await settle(pilot)
        lines = screen_lines(app)
        assert "9 + 60 = 1" in row(lines, "pred")
        assert row(lines, "pred").startswith("pred   1")
        assert "true  69" in row(lines, "true") and "2 bits wrong" in row(lines, "true")
        assert "forward t=7" in screen_text(app)
        assert "overallError = 3.45638663" in screen_text(app)
        # the two wrong bits (positions 6 and 2) are crossed, the others ticked
        assert row(lines, "pred").count("✗") == 2 and row(lines, "pred").count("✓") == 6


async def test_backward_steps_and_update_change_the_phase() -> None:
    app = fresh_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"n" * 8)
        for t in range(7, -1, -1):
            await pilot.press("space")
            assert f"backward t={t}" in screen_text(app)
            assert "layer_1_delta" in screen_text(app)
        await pilot.press("n")
        await settle(pilot)
        text = screen_text(app)
        assert "phase update" in text and "iteration 1" in text
        assert "synapse_h" in text
        await pilot.press("n")
        assert "28" not in row(screen_lines(app), "a ")  # next example drawn: 91 + 111
        assert "example drawn" in screen_text(app)


async def test_training_1000_matches_the_command_line(tmp_path) -> None:
    saved = tmp_path / "cli.npz"
    assert run_cli("train", "--iterations", "1000", "--quiet", "--save", str(saved)).returncode == 0
    app = fresh_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "iteration 0" in screen_text(app)
        assert "no iteration finished yet" in screen_text(app)
        await pilot.press("t")
        await settle(pilot)
        text = screen_text(app)
        assert "iteration 1,000" in text
        assert "last 1,000 it" in text  # the sparkline now covers the 1000 iterations
        assert any(ch in text for ch in "▁▂▃▄▅▆▇█")
        assert len(app.errors) == 1000
    reference = load_checkpoint(saved)
    assert np.array_equal(app.stepper.net.params, reference.params)


async def test_escape_stops_training() -> None:
    app = fresh_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("plus", "plus")  # N = 100,000: long enough to interrupt
        assert "N 100,000" in screen_text(app)
        await pilot.press("t")
        await pilot.pause(0.5)
        assert app.training is not None
        await pilot.press("escape")
        await settle(pilot)
        assert app.training is None
        done = app.stepper.net.iteration
        assert 0 < done < 100_000
        assert f"iteration {done:,}" in screen_text(app)


async def test_while_training_the_panels_show_one_and_the_same_example() -> None:
    app = fresh_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("plus", "plus", "t")
        seen = set()
        for _ in range(10):
            await pilot.pause(0.3)
            lines = screen_lines(app)
            a = int(row(lines, "a ").split()[1])
            b = int(row(lines, "b ").split()[1])
            carry = row(lines, "carry").split("▏")[0].split()[1:9]
            expected = carry_into(np.array([a]), np.array([b]), 8)[0][::-1]  # MSB first
            assert carry == [str(c) for c in expected], (a, b, carry)
            seen.add((a, b))
        assert app.training is not None
        assert len(seen) > 1  # and the example does move on
        await pilot.press("escape")
        await settle(pilot)


async def test_a_crashed_training_worker_ends_training_and_says_so(monkeypatch) -> None:
    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("tui.app.run_training", crash)
    app = fresh_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        assert app.training is None
        assert any("Training stopped: boom" in str(n.message) for n in app._notifications)
        assert "phase training" not in screen_text(app)
        await pilot.press("n")  # the app still steps
        await pilot.pause()
        assert "forward t=0" in screen_text(app)


async def test_keys_that_change_the_model_are_refused_while_training() -> None:
    app = fresh_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("plus", "plus", "t")
        await pilot.pause(0.3)
        await pilot.press("n")
        await pilot.pause(0.1)
        assert any("stop it before stepping" in str(n.message) for n in app._notifications)
        await pilot.press("t")
        await settle(pilot)
        assert app.training is None


async def test_reset_restores_the_initial_weights() -> None:
    app = fresh_app()
    initial = RNN(RNNConfig()).params.copy()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("minus", "minus")  # N = 10
        await pilot.press("t")
        await settle(pilot)
        assert not np.array_equal(app.stepper.net.params, initial)
        await pilot.press("r")
        await settle(pilot)
        assert np.array_equal(app.stepper.net.params, initial)
        assert app.stepper.net.iteration == 0
        assert row(screen_lines(app), "a ").split()[1] == "9"


async def test_n_changes_by_factors_of_ten_within_bounds() -> None:
    app = fresh_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*["plus"] * 5)
        assert app.train_count == 100_000
        await pilot.press(*["minus"] * 9)
        assert app.train_count == 1
        assert "N 1 " in screen_text(app)


async def test_too_small_terminal_shows_the_enlarge_message_and_recovers() -> None:
    app = fresh_app()
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        assert "Enlarge the terminal to at least 80x24" in screen_text(app)
        assert "pred" not in screen_text(app)
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert "Enlarge" not in screen_text(app)
        assert "pred" in screen_text(app)


async def test_help_screen_lists_keys_and_panels() -> None:
    app = fresh_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        text = screen_text(app)
        for word in ("space", "escape", "ctrl+c", "your own sum", "ablations", "screenshot"):
            assert word in text
        await pilot.press("end")  # the panels are further down at 80x24
        await pilot.pause()
        text = screen_text(app)
        for word in ("inputs", "hidden", "layer_1_delta", "overallError"):
            assert word in text
        await pilot.press("n", "t")  # keys of the main screen do nothing behind the help
        assert app.stepper.snapshot().phase == "ready" and app.training is None
        await pilot.press("escape")
        assert "Keys" not in screen_text(app)


async def test_footer_shows_the_keys() -> None:
    app = fresh_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        footer = screen_lines(app)[-1]
        for label in ("Step", "Train N", "Reset", "Help", "Quit"):
            assert label in footer


@pytest.mark.parametrize(
    "env",
    [
        {"TERM": "xterm-256color"},
        {"TERM": "linux", "TEXTUAL_COLOR_SYSTEM": "standard"},
        {"TERM": "xterm-256color", "NO_COLOR": "1"},
        {"TERM": "dumb"},
    ],
    ids=["256", "16-colours", "no-color", "dumb"],
)
def test_starts_and_quits_in_real_terminals(env: dict[str, str]) -> None:
    status, output = run_in_pty(["--seed", "0"], env, keys=b"nnnnnnnnq")
    assert status == 0, output[-2000:]
    assert b"Traceback" not in output
    assert b"60" in output and b"pred" in output


def test_bad_option_before_any_screen() -> None:
    status, output = run_in_pty(["--hidden", "0"], {"TERM": "xterm-256color"}, keys=b"")
    assert status == 2
    assert b"rnn-tui: error: argument --hidden" in output
    assert b"\x1b[?1049h" not in output  # the alternate screen was never entered
