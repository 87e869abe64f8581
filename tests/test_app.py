"""The real App, driven by Pilot at 80x24 as a user drives it from the keyboard."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import ROOT, run_cli
from screen import (
    PacedTraining,
    run_in_pty,
    screen_lines,
    screen_text,
    without_controls,
    workers_done,
)
from textual.pilot import Pilot

from model.checkpoint import load_checkpoint
from model.config import RNNConfig
from model.encoding import carry_out
from model.network import RNN
from model.trainer import train
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
        # the update of the tutorial's j = 0, though one iteration is complete by then
        assert "phase update" in text and "iteration 0" in text and "iteration 1" not in text
        assert app.session.net.iteration == 1
        assert "synapse_h" in text
        await pilot.press("n")
        assert "28" not in row(screen_lines(app), "a ")  # next example drawn: 91 + 111
        assert "example drawn" in screen_text(app) and "iteration 1" in screen_text(app)


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
        assert "it 0 .. 1,000" in text  # the sparkline covers the 1000 iterations
        assert any(ch in text for ch in "▁▂▃▄▅▆▇█")
        assert len(app.session.errors) == 1000
        # how fast that t went stays in the status panel: the speed of this kernel here
        last = app.main.last_training
        assert last is not None and last.done == 1000 and last.rate > 0
        assert f"last t: {last.rate:,.0f} it/s" in text
        trained = app.session.stepper.net.params.copy()
        await pilot.press("R")  # a new network: the figures were the old one's
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert "last t:" not in screen_text(app)
    reference = load_checkpoint(saved)
    assert np.array_equal(trained, reference.params)


async def test_escape_stops_training(monkeypatch) -> None:
    paced = PacedTraining(monkeypatch)
    app = fresh_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("plus", "plus")  # N = 100,000, shown as 100k beside the settings
        assert "N 100k" in screen_text(app)
        await pilot.press("t")
        await paced.take(pilot)
        await paced.take(pilot)  # two frames in, held: it cannot have finished
        assert app.main.training is not None
        await pilot.press("escape")
        await settle(pilot)
        assert app.main.training is None
        done = app.session.stepper.net.iteration
        assert 0 < done < 100_000
        assert f"iteration {done:,}" in screen_text(app)


async def test_while_training_the_panels_show_one_and_the_same_example(monkeypatch) -> None:
    paced = PacedTraining(monkeypatch)
    app = fresh_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("plus", "plus", "t")
        seen = set()
        for _ in range(400):  # progress messages, not seconds: however slow the machine
            await paced.take(pilot)
            if app.main.training is None:
                break
            lines = screen_lines(app)
            a = int(row(lines, "a ").split()[1])
            b = int(row(lines, "b ").split()[1])
            carry = row(lines, "carry").split("▏")[0].split()[1:9]
            expected = carry_out(a, b, 8)[::-1]  # MSB first
            assert carry == [str(c) for c in expected], (a, b, carry)
            seen.add((a, b))
            if len(seen) > 2:
                break
        assert app.main.training is not None
        assert len(seen) > 2  # and the example does move on
        await pilot.press("escape")
        await settle(pilot)


async def test_a_crashed_training_worker_ends_training_and_says_so(monkeypatch) -> None:
    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("tui.screens.main.run_training", crash)
    app = fresh_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        assert app.main.training is None
        assert any("Training stopped: boom" in str(n.message) for n in app._notifications)
        assert "phase training" not in screen_text(app)
        await pilot.press("n")  # the app still steps
        await pilot.pause()
        assert "forward t=0" in screen_text(app)


async def test_keys_that_change_the_model_are_refused_while_training(monkeypatch) -> None:
    paced = PacedTraining(monkeypatch)
    app = fresh_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("plus", "plus", "t")
        await paced.take(pilot)  # held at its first frame: still training
        await pilot.press("n")
        await pilot.pause()
        assert any("stop it before stepping" in str(n.message) for n in app._notifications)
        await pilot.press("t")
        await settle(pilot)
        assert app.main.training is None


async def test_reset_restores_the_initial_weights_and_u_undoes_it() -> None:
    app = fresh_app()
    initial = RNN(RNNConfig()).params.copy()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("minus", "minus")  # N = 10
        await pilot.press("t")
        await settle(pilot)
        trained = app.session.net.params.copy()
        assert not np.array_equal(trained, initial)
        await pilot.press("r")
        await settle(pilot)
        assert np.array_equal(app.session.stepper.net.params, initial)
        assert app.session.stepper.net.iteration == 0
        assert row(screen_lines(app), "a ").split()[1] == "9"
        assert any("u brings back" in str(n.message) for n in app._notifications)
        await pilot.press("u")
        await settle(pilot)
        assert np.array_equal(app.session.net.params, trained)
        assert "iteration 10" in screen_text(app)


async def test_n_changes_by_factors_of_ten_within_bounds() -> None:
    app = fresh_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*["plus"] * 5)
        assert app.session.train_count == 100_000
        await pilot.press(*["minus"] * 9)
        assert app.session.train_count == 1
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


async def help_read_through(pilot: Pilot, pages: int) -> str:
    """Open the help and read it page by page (at 80x24 it scrolls): all the text seen."""
    await pilot.press("question_mark")
    seen = screen_text(pilot.app)
    for _ in range(pages):
        await pilot.press("pagedown")
        await pilot.pause()
        seen += screen_text(pilot.app)
    return seen


async def test_help_screen_lists_keys_and_panels() -> None:
    app = fresh_app()
    async with app.run_test(size=SIZE) as pilot:
        seen = await help_read_through(pilot, 3)
        for word in ("space", "step back", "finish the forward pass", "go to an iteration"):
            assert word in seen
        for word in (
            "undo the last r",
            "convergence map",
            "escape",
            "ctrl+c",
            "your own sum",
            "ablations",
        ):
            assert word in seen
        for word in ("screenshot", "inputs", "hidden", "layer_1_delta", "carry out"):
            assert word in seen
        await pilot.press("n", "t")  # keys of the main screen do nothing behind the help
        assert app.session.stepper.snapshot().phase == "ready" and app.main.training is None
        await pilot.press("escape")
        assert "Keys" not in screen_text(app)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
async def test_the_help_describes_the_panels_of_the_cell_on_screen(cell: str) -> None:
    app = RNNApp(RNN(RNNConfig(cell=cell)))
    async with app.run_test(size=SIZE) as pilot:
        flat = " ".join((await help_read_through(pilot, 4)).split())
        states = "h c i f o g" if cell == "lstm" else "h z r n"
        assert f"the state or gate v chooses ({states})" in flat
        assert f"the {cell.upper()}'s equations behind the step" in flat
        assert "layer_1_delta" not in flat


async def test_back_then_forward_retraces_the_same_screens() -> None:
    app = fresh_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screens = [screen_text(app)]
        for _ in range(22):  # through the forward and backward pass, the update, and on
            await pilot.press("n")
            await settle(pilot)
            screens.append(screen_text(app))
        twin = RNN(RNNConfig())
        train(twin, 1)
        for expected in reversed(screens[:-1]):
            await pilot.press("b")
            await settle(pilot)
            assert screen_text(app) == expected
        assert "phase example drawn" in screen_text(app) and "iteration 0" in screen_text(app)
        for expected in screens[1:]:
            await pilot.press("right")
            await settle(pilot)
            assert screen_text(app) == expected
        resumed = app.session.net.copy()
        resumed.rng.set_state(app.session.stepper.resume_rng_state())
        assert resumed.iteration == 1 and resumed.same_state(twin)


async def test_back_across_an_update_restores_the_previous_weights() -> None:
    app = fresh_app()
    async with app.run_test(size=SIZE) as pilot:
        before = app.session.net.params.copy()
        await pilot.press("enter")  # the whole first iteration, through its update
        await settle(pilot)
        assert "phase update" in screen_text(app)
        assert not np.array_equal(app.session.net.params, before)
        await pilot.press("left")
        await settle(pilot)
        assert "backward t=0" in screen_text(app) and "iteration 0" in screen_text(app)
        assert np.array_equal(app.session.net.params, before)


async def test_f_after_three_steps_shows_what_eight_steps_show() -> None:
    stepped, finished = fresh_app(), fresh_app()
    async with stepped.run_test(size=SIZE) as pilot:
        await pilot.press(*"n" * 8)
        await settle(pilot)
        eight = screen_text(stepped)
    async with finished.run_test(size=SIZE) as pilot:
        await pilot.press("n", "n", "n", "f")
        await settle(pilot)
        assert screen_text(finished) == eight
        assert "9 + 60 = 1" in eight and "·" not in row(screen_lines(finished), "pred")


async def test_g_goes_to_an_iteration_exactly_as_training_does(tmp_path) -> None:
    saved = tmp_path / "5000.npz"
    assert run_cli("train", "--iterations", "5000", "--quiet", "--save", str(saved)).returncode == 0
    reference = load_checkpoint(saved)
    app = fresh_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"n" * 11)  # from part-way through an iteration
        await pilot.press("g")
        await pilot.press("ctrl+a", "ctrl+k", *"5000", "enter")
        await settle(pilot)
        resumed = app.session.net.copy()
        resumed.rng.set_state(app.session.stepper.resume_rng_state())
        assert resumed.same_state(reference)
        assert "iteration 5,000" in screen_text(app) and "forward t=7" in screen_text(app)
        await pilot.press("g")  # and back again, far
        await pilot.press("ctrl+a", "ctrl+k", *"1,200", "enter")
        await settle(pilot)
        direct = RNN(RNNConfig())
        train(direct, 1200)
        assert np.array_equal(app.session.net.params, direct.params)
        assert "iteration 1,200" in screen_text(app)


async def test_after_training_the_heatmap_is_complete() -> None:
    app = fresh_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("t")
        await settle(pilot)
        lines = screen_lines(app)
        assert "after training, next sum" in screen_text(app)
        assert "forward t=7" in screen_text(app)
        for unit in range(16):
            cells = row(lines, f"h{unit} ").split("▏")[0][9:33]
            assert len(cells.strip()) == 24 and " " not in cells, (unit, cells)
        assert "·" not in row(lines, "pred")


async def test_a_clamped_unit_changes_what_stepping_shows_and_the_accuracy() -> None:
    net = RNN(RNNConfig())
    train(net, 10_000)
    app = RNNApp(net)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await pilot.press("ctrl+a", "ctrl+k", "3", "enter")
        await settle(pilot)
        await pilot.press(*"n" * 8)
        await settle(pilot)
        lines = screen_lines(app)
        assert row(lines, "h3 ").split("▏")[0][9:33] == "·" * 24  # clamped: all zero
        assert "ABLATION h3=0" in screen_text(app)
        assert "ablated (h3=0)" in screen_text(app)
        await pilot.press("n")  # the backward pass would train the ablated network
        await pilot.pause()
        assert any("ablated network" in str(n.message) for n in app._notifications)
        assert "forward t=7" in screen_text(app)


async def test_footer_shows_the_keys() -> None:
    app = fresh_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        footer = screen_lines(app)[-1]
        for label in ("Step", "Back", "Fwd", "Train N", "Help", "Quit"):
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


def test_a_dumb_terminal_gets_no_colour_codes() -> None:
    status, output = run_in_pty(["--seed", "0"], {"TERM": "dumb"}, keys=b"nnnnnnnnq")
    assert status == 0 and b"pred" in output
    assert b"38;2;" not in output and b"48;2;" not in output  # no 24-bit colour
    assert b"38;5;" not in output and b"48;5;" not in output  # nor 256-colour


def test_no_color_marks_wrong_bits_with_attributes() -> None:
    status, output = run_in_pty(
        ["--seed", "0"], {"TERM": "xterm-256color", "NO_COLOR": "1"}, keys=b"nnnnnnnnq"
    )
    assert status == 0
    assert b"38;2;" not in output and b"38;5;" not in output
    assert b"\x1b[4" in output or b";4m" in output or b";4;" in output  # underlined bits
    assert b"\x1b[7" in output or b";7m" in output or b";7;" in output  # "2 bits wrong"


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["--ascii"], {"TERM": "xterm-256color"}),
        ([], {"TERM": "xterm", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0", "LC_ALL": "C"}),
    ],
    ids=["--ascii", "LC_ALL=C"],
)
def test_ascii_shades_and_marks(args: list[str], env: dict[str, str]) -> None:
    status, output = run_in_pty([*args, "--seed", "0"], env, keys=b"nnnnnnnnq")
    assert status == 0, output[-1000:]
    assert b"\\u25" not in output and b"\\u27" not in output  # no glyphs spelt out as text
    assert b"Traceback" not in output
    text = without_controls(output).decode("ascii", errors="replace")
    assert "| iteration 0" in text  # an ASCII border beside the status panel
    assert ".:oO# = 0 to 1" in text


async def test_shift_t_trains_at_a_pace_a_class_can_watch_and_stops_on_escape() -> None:
    app = fresh_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("T")  # N = 1000 over some 10 s: under way for seconds
        for _ in range(100):  # until its first frame is on screen, however slow the machine
            await pilot.pause(0.05)
            if app.main.training is not None and app.main.training.done > 0:
                break
        assert "training over 10 s" in screen_text(app)
        assert 0 < app.session.net.iteration < 1000
        await pilot.press("escape")
        await settle(pilot)
        assert app.main.training is None and app.session.net.iteration < 1000
        assert "last t:" not in screen_text(app)  # the pace asked for is no kernel's rate


async def test_the_readmes_screen_is_the_apps() -> None:
    # the README quotes `rnn-tui --seed 0` at 80x24 after eight steps: kept true
    text = (ROOT / "README.md").read_text()
    start = text.index("```\nt        [7] 6  5  4  3  2  1  0  inputs") + 4
    quoted = text[start : text.index("```", start)].rstrip("\n").splitlines()
    app = fresh_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press(*"n" * 8)
        await settle(pilot)
        app.clear_notifications()
        await pilot.pause()
        assert [line.rstrip() for line in screen_lines(app)] == quoted
