"""Nothing lost: the session file on q, SIGTERM and a dropped terminal; --resume; crashes."""

from __future__ import annotations

import signal
from pathlib import Path

import numpy as np
import pytest
from screen import PacedTraining, PtyApp, workers_done

from model.checkpoint import load_checkpoint, read_checkpoint
from model.config import RNNConfig
from model.network import RNN
from model.trainer import train
from tui.app import RNNApp
from tui.cli import _app_outcome

SIZE = (80, 24)
LEAVE_ALT_SCREEN = b"\x1b[?1049l"
SHOW_CURSOR = b"\x1b[?25h"


@pytest.fixture
def state_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("HOME", str(home))
    return tmp_path / "state"


def env_for(state: Path) -> dict[str, str]:
    return {"XDG_STATE_HOME": str(state), "HOME": str(state.parent / "home"), "TERM": "xterm"}


def session_file(state: Path) -> Path:
    return state / "rnn-tui" / "session.npz"


def trained(iterations: int) -> RNN:
    net = RNN(RNNConfig())
    train(net, iterations)
    return net


def test_q_saves_the_session_and_resume_reopens_it(state_home: Path) -> None:
    app = PtyApp(["--seed", "0"], env_for(state_home))
    assert app.read_until(b"example drawn")
    app.type(b"\r+nnn")  # the first iteration through its update; N 10,000; 3 steps on
    assert app.read_until(b"forward t=1")  # drawn: the keys have been handled
    app.type(b"q")
    assert app.wait() == 0
    said = bytes(app.output[-3000:])  # after the screen is given back: where it went
    assert b"the session was saved to " + str(session_file(state_home)).encode() in said
    assert b"rnn-tui --resume reopens it" in said
    saved = read_checkpoint(session_file(state_home))
    assert saved.net.same_state(trained(1))
    assert saved.train_count == 10_000 and saved.step == 2 and saved.errors is not None
    assert len(saved.errors) == 1
    again = PtyApp(["--resume"], env_for(state_home))
    assert again.read_until(b"Resumed the saved session")
    assert again.read_until(b"forward t=1") and again.read_until(b"N 10,000")
    again.type(b"q")
    assert again.wait() == 0
    assert b"Traceback" not in again.output


@pytest.mark.parametrize("how", ["SIGTERM", "SIGHUP by signal", "hang-up"])
def test_a_signal_or_a_dropped_terminal_saves_the_session(state_home: Path, how: str) -> None:
    app = PtyApp(["--seed", "0"], env_for(state_home))
    assert app.read_until(b"example drawn")
    app.type(b"\r")
    assert app.read_until(b"synapse_0 +=")
    if how == "hang-up":
        app.hang_up()
        expected = 128 + signal.SIGHUP
    else:
        signum = signal.SIGTERM if how == "SIGTERM" else signal.SIGHUP
        app.proc.send_signal(signum)
        expected = 128 + signum
    assert app.wait() == expected
    assert load_checkpoint(session_file(state_home)).same_state(trained(1))
    if how != "hang-up":  # with a terminal still there, it is given back as it was
        tail = bytes(app.output[-3000:])
        assert LEAVE_ALT_SCREEN in tail and SHOW_CURSOR in tail
        assert b"stopped by SIG" in tail and b"session was saved" in tail
        assert b"Traceback" not in app.output


def test_resume_without_a_session_is_one_clear_line(state_home: Path) -> None:
    app = PtyApp(["--resume"], env_for(state_home))
    assert app.wait() == 2
    text = bytes(app.output).decode(errors="replace")
    assert "no saved session to resume" in text and "Traceback" not in text
    assert "\x1b[?1049h" not in text  # refused before any screen
    session_file(state_home).parent.mkdir(parents=True)
    session_file(state_home).write_bytes(b"junk")
    app = PtyApp(["--resume"], env_for(state_home))
    assert app.wait() == 2
    assert b"not a valid" in app.output or b"cannot" in app.output


async def test_a_crash_saves_the_session_and_ends_with_one_line(
    state_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("tui.screens.main.MainScreen.action_weights", broken)
    app = RNNApp(trained(50), autosave_on_exit=True)
    with pytest.raises(RuntimeError, match="boom"):  # Pilot re-raises what ended the app
        async with app.run_test(size=SIZE) as pilot:
            await workers_done(app)
            await pilot.press("n", "w")
            await pilot.pause()
    assert app.crash is not None and app.saved_to == str(session_file(state_home))
    assert _app_outcome(app) == 1
    assert load_checkpoint(session_file(state_home)).iteration == 50


async def test_q_while_training_stops_it_and_saves_a_whole_iteration(
    state_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paced = PacedTraining(monkeypatch)
    app = RNNApp(RNN(RNNConfig()), autosave_on_exit=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("plus", "plus", "t")
        await paced.take(pilot)  # held at its first frame: still training
        await pilot.press("q")
    saved = load_checkpoint(session_file(state_home))
    assert app.saved_to is not None and _app_outcome(app) == 0
    assert 0 <= saved.iteration < 100_000
    assert saved.same_state(trained(saved.iteration))
    assert np.isfinite(saved.params).all()
