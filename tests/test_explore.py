"""Exploration tools, driven by Pilot at 80x24 from the keyboard."""

from __future__ import annotations

import os

import numpy as np
from screen import PacedTraining, screen_text, workers_done
from textual.pilot import Pilot
from textual.widgets import Input

from model.checkpoint import load_checkpoint, save_checkpoint
from model.config import RNNConfig
from model.network import RNN
from model.probes import Ablation, carry_probe, evaluate
from model.trainer import train
from tui.app import RNNApp
from tui.widgets.prompt import PromptScreen

SIZE = (80, 24)


def trained_app(iterations: int = 8000) -> RNNApp:
    net = RNN(RNNConfig())
    train(net, iterations)
    return RNNApp(net)


async def settle(pilot: Pilot) -> None:
    await workers_done(pilot.app)
    await pilot.pause()


async def answer(pilot: Pilot, text: str) -> None:
    """Type into the open prompt (replacing what it holds) and press enter."""
    await pilot.press("ctrl+a", "ctrl+k")  # clear a pre-filled answer
    await pilot.press(*text)
    await pilot.press("enter")
    await pilot.pause()


def state_of(app: RNNApp) -> tuple[np.ndarray, np.ndarray, int]:
    net = app.session.stepper.net
    return net.params.copy(), net.rng.get_state()[1].copy(), net.iteration


async def test_a_probe_sum_runs_forward_and_changes_nothing() -> None:
    app = trained_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        params, keys, iteration = state_of(app)
        await pilot.press("e")
        await answer(pilot, "99 + 29")
        assert "PROBE" in screen_text(app) and "99" in screen_text(app)
        await pilot.press(*"n" * 8)
        text = screen_text(app)
        assert "99 + 29 = 128" in text and "correct" in text
        assert "PROBE forward t=7" in text
        new_params, new_keys, new_iteration = state_of(app)
        assert np.array_equal(params, new_params) and np.array_equal(keys, new_keys)
        assert new_iteration == iteration
        await pilot.press("escape")
        assert "PROBE" not in screen_text(app)
        # ordinary stepping resumes on the example the random stream had drawn
        assert app.session.stepper.snapshot().iteration == iteration


async def test_training_once_on_your_sum_changes_weights_not_the_stream() -> None:
    app = RNNApp(RNN(RNNConfig()))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        params, keys, _ = state_of(app)
        await pilot.press("e")
        await answer(pilot, "5 6")
        await pilot.press("o")
        await settle(pilot)
        new_params, new_keys, iteration = state_of(app)
        assert not np.array_equal(params, new_params)
        assert np.array_equal(keys, new_keys)
        assert iteration == 1 and len(app.session.errors) == 1


async def test_bad_sums_get_a_message_and_change_nothing() -> None:
    app = RNNApp(RNN(RNNConfig()))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("e")
        for bad, message in (
            ("nine + 60", "two whole numbers"),
            ("128 + 1", "between 0 and 127"),
            ("1 + 2 + 3", "two whole numbers"),
            ("", "two whole numbers"),
        ):
            await answer(pilot, bad)
            assert message in screen_text(app)
            assert app.session.probe is None
        await pilot.press("escape")
        assert app.session.probe is None and "PROBE" not in screen_text(app)


async def test_ablating_the_carry_unit_lowers_accuracy_side_by_side() -> None:
    app = trained_app()
    net = app.session.stepper.net
    unit = carry_probe(net.synapse_0, net.synapse_1, net.synapse_h, 8).unit
    expected = evaluate(net.synapse_0, net.synapse_1, net.synapse_h, 8, Ablation(unit))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await pilot.pause()
        assert app.screen.query_one("Input").value == f"h{unit}"  # pre-selected
        await pilot.press("enter")
        await settle(pilot)
        text = screen_text(app)
        assert "exact 100.00%" in text
        assert f"ablated (h{unit}=0) {expected.exact:.2%}" in text
        assert expected.exact < 0.5
        assert f"ABLATION h{unit}=0" in text
        await pilot.press("h")
        await settle(pilot)
        assert f"h{unit}=0, synapse_h=0" in screen_text(app)
        # both ablations: the label left no room for the number at 80 columns; now the
        # number shows, the status line naming the ablation
        both = evaluate(
            net.synapse_0, net.synapse_1, net.synapse_h, 8, Ablation(unit, cut_recurrence=True)
        )
        assert f"ablated {both.exact:.2%}" in screen_text(app)
        await pilot.press("x")
        await settle(pilot)
        assert "ABLATION" not in screen_text(app) and "ablated" not in screen_text(app)


async def test_ablation_keys_are_refused_while_training_like_saving(monkeypatch) -> None:
    paced = PacedTraining(monkeypatch)
    app = RNNApp(RNN(RNNConfig()))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("plus", "plus", "t")
        await paced.take(pilot)  # held at its first frame: still training
        await pilot.press("a")
        assert not isinstance(app.screen, PromptScreen)
        assert app.main.training is not None  # not stopped by it
        said = [str(n.message) for n in app._notifications]
        assert said and said[-1].startswith("Training is running"), said
        assert said[-1].endswith("before clamping a unit."), said
        await pilot.press("h")  # (its refusal may be folded into the one just said)
        assert app.main.training is not None
        assert app.session.ablation == Ablation()
        await pilot.press("escape")
        await workers_done(app)


async def test_after_a_refused_unit_what_is_typed_replaces_it() -> None:
    app = RNNApp(RNN(RNNConfig()))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("a", *"16", "enter")
        await pilot.pause()
        assert "from 0 to 15" in screen_text(app)
        await pilot.press("3", "enter")  # straight after the refusal: a new answer
        await pilot.pause()
        assert not isinstance(app.screen, PromptScreen)
        assert app.session.ablation.clamped_unit == 3
        await pilot.press("x")  # clamps off
        await pilot.press("a", *"16", "enter", "end", "backspace", "enter")
        await pilot.pause()  # moving the cursor edits the refused answer instead: "16" -> "1"
        assert app.session.ablation.clamped_unit == 1


async def test_bad_unit_is_refused() -> None:
    app = RNNApp(RNN(RNNConfig()))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await answer(pilot, "16")
        assert "from 0 to 15" in screen_text(app)
        await pilot.press("escape")
        assert app.session.ablation == Ablation()


async def test_alpha_up_and_down() -> None:
    app = RNNApp(RNN(RNNConfig()))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("right_square_bracket")
        assert app.session.stepper.net.alpha == 0.2 and "alpha 0.2" in screen_text(app)
        await pilot.press("left_square_bracket", "left_square_bracket")
        assert app.session.stepper.net.alpha == 0.05 and "alpha 0.05" in screen_text(app)


async def test_alpha_stops_at_its_limits_and_says_so(monkeypatch) -> None:
    from tui.session import Session

    events = []
    note_event = Session._event
    monkeypatch.setattr(Session, "_event", lambda self: (events.append(1), note_event(self)))
    app = RNNApp(RNN(RNNConfig(alpha=6000.0)))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("right_square_bracket")
        assert app.session.net.alpha == 10000.0
        await pilot.press("right_square_bracket")
        assert app.session.net.alpha == 10000.0
        said = [str(n.message) for n in app._notifications]
        assert said[-1] == "alpha = 10000: ] raises it to 10000 at most", said
        assert len(events) == 1  # the change from 6000 to 10000; nothing at the limit
    big = RNNApp(RNN(RNNConfig(alpha=1e5)))  # --alpha may be beyond the keys' range
    async with big.run_test(size=SIZE) as pilot:
        await pilot.press("right_square_bracket")
        assert big.session.net.alpha == 1e5  # up did not lower it
        await pilot.press("left_square_bracket")
        assert big.session.net.alpha == 5e4


async def test_save_and_load_resume_exactly(tmp_path) -> None:
    path = str(tmp_path / "half.npz")
    app = RNNApp(RNN(RNNConfig()))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("minus", "t")  # N = 100
        await settle(pilot)
        await pilot.press(*"n" * 5)  # part-way through the next iteration
        await pilot.press("s")
        await answer(pilot, path)
        assert os.path.exists(path)
        saved_curve = app.session.errors.view(28)
    reloaded = RNNApp(RNN(RNNConfig(seed=5)))
    async with reloaded.run_test(size=SIZE) as pilot:
        await pilot.press("l")
        await answer(pilot, path)
        await settle(pilot)
        assert reloaded.session.stepper.net.iteration == 100
        assert "iteration 100" in screen_text(reloaded)
        # the loaded network shows its curve: the error history came with the file
        assert "it 0 .. 100" in screen_text(reloaded)
        assert reloaded.session.errors.view(28) == saved_curve
        await pilot.press("minus", "t")
        await settle(pilot)
    direct = RNN(RNNConfig())
    train(direct, 200)
    assert np.array_equal(reloaded.session.stepper.net.params, direct.params)


async def test_saving_over_a_file_asks_first_and_bad_paths_are_refused(tmp_path) -> None:
    path = tmp_path / "net.npz"
    other = RNN(RNNConfig(seed=9))
    save_checkpoint(path, other)
    before = path.read_bytes()
    app = RNNApp(RNN(RNNConfig()))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")
        await answer(pilot, str(tmp_path / "missing" / "x.npz"))
        assert "does not exist" in screen_text(app)
        await answer(pilot, str(tmp_path))
        assert "is a folder" in screen_text(app)
        await answer(pilot, str(path))
        assert "exists" in screen_text(app)
        await answer(pilot, "no")
        assert path.read_bytes() == before
        await pilot.press("s")
        await answer(pilot, str(path))
        await answer(pilot, "yes")
        assert load_checkpoint(path).config.seed == 0


async def test_loading_a_bad_file_keeps_the_network(tmp_path) -> None:
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a checkpoint")
    app = RNNApp(RNN(RNNConfig()))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        params = app.session.stepper.net.params.copy()
        await pilot.press("l")
        await answer(pilot, str(tmp_path / "nothing.npz"))
        assert "no file named" in screen_text(app)
        await answer(pilot, str(junk))
        await pilot.pause()
        # the refusal is said in the prompt, which stays open: what is typed next goes
        # into it, not to the main screen's keys (t would train, r reset)
        assert isinstance(app.screen, PromptScreen)
        assert "not a valid" in screen_text(app) or "cannot" in screen_text(app)
        await pilot.press("t", "r")
        assert isinstance(app.screen, PromptScreen)
        assert app.screen.query_one(Input).value.endswith("junk.npztr")
        await pilot.press("escape")
        assert np.array_equal(app.session.stepper.net.params, params)
        assert app.session.net.iteration == 0


async def test_new_seed_and_hidden_size() -> None:
    app = RNNApp(RNN(RNNConfig()))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("R")
        await answer(pilot, "3 x")
        assert "hidden size must be a whole number from 1 to 1024, not x" in screen_text(app)
        await answer(pilot, "3 8")
        await settle(pilot)
        assert app.session.stepper.net.config == RNNConfig(seed=3, hidden=8)
        assert "RNN seed 3 alpha 0.1" in screen_text(app) and "hidden 8" in screen_text(app)


async def test_weights_screen_and_wider_sums() -> None:
    app = trained_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("w")
        await pilot.pause()
        text = screen_text(app)
        assert "synapse_0 2x16" in text and "synapse_h 16x16" in text
        await pilot.press("escape")


async def test_screenshot_is_saved(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    app = RNNApp(RNN(RNNConfig()))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("p")
        await pilot.pause()
        shots = list(tmp_path.glob("*.svg"))
        assert len(shots) == 1 and "<svg" in shots[0].read_text()
        assert any(str(shots[0].name) in str(n.message) for n in app._notifications)


async def test_a_screenshot_where_it_cannot_be_written_is_a_message(tmp_path, monkeypatch) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()  # the working folder vanished under the app
    app = RNNApp(RNN(RNNConfig()))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("p")
        await pilot.pause()
        assert any("Could not save a screenshot" in str(n.message) for n in app._notifications)
        await pilot.press("n")  # and the app goes on
        await pilot.pause()
        assert "forward t=0" in screen_text(app)


async def test_markup_in_prompts_and_paths_is_shown_as_text(tmp_path) -> None:
    app = RNNApp(RNN(RNNConfig()))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("l")
        await answer(pilot, "[/]")
        assert "[/]" in screen_text(app)  # the refusal quotes it, as typed
        await answer(pilot, str(tmp_path / "x[/b].npz"))
        assert "x[/b].npz" in screen_text(app)
        await pilot.press("escape")
        folder = tmp_path / "[red]bad["  # with the file name: .../[red]bad[/red].npz
        folder.mkdir()
        bad = folder / "red].npz"
        bad.write_bytes(b"PK\x03\x04 not really")
        await pilot.press("l")
        await answer(pilot, str(bad))
        await pilot.pause()
        assert "[red]bad[/red]" in screen_text(app).replace("\n", "")  # refused, as typed
        assert app.is_running
