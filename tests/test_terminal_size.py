"""The app draws for at most 500x200 cells, whatever size it is told (tui/terminal_size.py).

`COLUMNS=99999 LINES=99999 rnn-tui` grew past 2 GB before its first frame: Textual sizes
its screen buffers by the size it is given.
"""

from __future__ import annotations

import os
import pty
import resource
import select
import signal
import sys
import time
from pathlib import Path

from conftest import ROOT
from hypothesis import given
from hypothesis import strategies as st
from screen import screen_lines, workers_done
from textual import events
from textual.geometry import Size

from model.config import RNNConfig
from model.network import RNN
from tui.app import RNNApp
from tui.screens.too_small import TooSmallScreen
from tui.terminal_size import (
    MAX_COLUMNS,
    MAX_ROWS,
    clamp_environment,
    clamp_resize,
    clamp_size,
)


def test_sizes_are_clamped_to_the_limits() -> None:
    assert clamp_size(80, 24) == (80, 24)
    assert clamp_size(20000, 20000) == (MAX_COLUMNS, MAX_ROWS) == (500, 200)
    assert clamp_size(0, -3) == (1, 1)
    assert clamp_size("120", None) == (80, 24)  # not whole numbers: the default
    assert clamp_size(True, 30.5) == (80, 24)


@given(st.one_of(st.integers(), st.floats(), st.text(max_size=5), st.none(), st.booleans()))
def test_any_value_gives_a_size_within_the_limits(value: object) -> None:
    width, height = clamp_size(value, value)
    assert 1 <= width <= MAX_COLUMNS and 1 <= height <= MAX_ROWS


def test_the_environment_is_clamped() -> None:
    environ = {"COLUMNS": "99999", "LINES": " 99999 ", "ROWS": "150", "TERM": "xterm"}
    clamp_environment(environ)
    assert environ == {"COLUMNS": "500", "LINES": "200", "ROWS": "150", "TERM": "xterm"}
    bad = {"COLUMNS": "wide"}
    clamp_environment(bad)
    assert bad == {"COLUMNS": "wide"}  # Textual ignores it, as before


def test_a_resize_event_is_shrunk_in_place() -> None:
    event = events.Resize(Size(20000, 20000), Size(20000, 20000))
    clamp_resize(event)
    assert event.size == event.virtual_size == event.container_size == Size(500, 200)
    small = events.Resize(Size(100, 30), Size(100, 30))
    clamp_resize(small)
    assert small.size == Size(100, 30)


# -- the real app in a terminal that claims 99999x99999 ------------------------------------

# The app with the hook the lead is to add to `RNNApp.on_resize` (see clamped_app below).
CLAMPED_APP = f"""
import sys
sys.path.insert(0, {str(ROOT)!r})
import tui.app
from model.config import RNNConfig
from model.network import RNN
from tui.terminal_size import clamp_resize


class Clamped(tui.app.RNNApp):
    CSS_PATH = {str(ROOT / "tui" / "app.tcss")!r}

    def on_resize(self, event):
        clamp_resize(event)


Clamped(RNN(RNNConfig())).run(mouse=False)
"""


PEAK_LIMIT_KIB = 400 * 1024  # about 70 MiB at 80x24 or 500x200; 2 GB and more unclamped


def first_frame_in_a_huge_terminal(argv: list[str], tmp_path: Path) -> tuple[bool, int, bytes]:
    """Run `argv` in a pseudo-terminal with COLUMNS=LINES=99999 and an address-space limit
    of 1.5 GiB (the unclamped app dies of it instead of taking the machine's memory).
    Stops at the first frame or once resident size passes PEAK_LIMIT_KIB.
    Returns (drew its footer, peak resident KiB, output)."""
    env = dict(
        os.environ,
        TERM="xterm-256color",
        COLUMNS="99999",
        LINES="99999",
        HOME=str(tmp_path),
        XDG_STATE_HOME=str(tmp_path / "state"),
        OPENBLAS_NUM_THREADS="1",
        PYTHONPATH=str(ROOT),  # this checkout's tui/, from the temporary folder
    )
    env.pop("NO_COLOR", None)
    pid, fd = pty.fork()
    if pid == 0:  # the child: limit, then become the app
        try:
            resource.setrlimit(resource.RLIMIT_AS, (3 << 29, 3 << 29))
            os.chdir(tmp_path)
            os.execve(argv[0], argv, env)
        finally:
            os._exit(127)
    output = b""
    peak = 0
    drew = False
    deadline = time.monotonic() + 120  # a bound for a hung child, not a speed check
    try:
        while time.monotonic() < deadline and not drew and peak < PEAK_LIMIT_KIB:
            ready, _, _ = select.select([fd], [], [], 1.0)
            if ready:
                try:
                    chunk = os.read(fd, 1 << 20)
                except OSError:
                    break  # the child has gone
                if not chunk:
                    break
                output += chunk
                drew = b"Quit" in output
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except FileNotFoundError:
                break
            for line in status.splitlines():
                if line.startswith("VmRSS:"):
                    peak = max(peak, int(line.split()[1]))
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(fd)
    return drew, peak, output


def test_the_hook_keeps_the_real_app_small_in_a_huge_terminal(tmp_path: Path) -> None:
    drew, peak_kib, output = first_frame_in_a_huge_terminal(
        [sys.executable, "-c", CLAMPED_APP], tmp_path
    )
    assert drew, output[-400:]
    assert peak_kib < PEAK_LIMIT_KIB
    # it drew at most 500x200: no cursor move past row 200
    assert b"\x1b[201;" not in output


def test_rnn_tui_stays_small_in_a_huge_terminal(tmp_path: Path) -> None:
    drew, peak_kib, output = first_frame_in_a_huge_terminal([sys.executable, "-m", "tui"], tmp_path)
    assert drew, output[-400:]
    assert peak_kib < PEAK_LIMIT_KIB


# -- below 80x24: a screen that asks for room and takes the keys ----------------------------

# every key of the main, focus and map screens that acts, beside letters it does not bind
ACTING_KEYS = [
    *"nbftgvdruzimeoahxslwRp",
    "space", "right", "left", "enter", "plus", "minus", "escape",
    "right_square_bracket", "left_square_bracket", "ctrl+p", "tab",
]  # fmt: skip


def state_of(app: RNNApp) -> tuple[object, ...]:
    """What a key could change: the screens, the step, the network, N, alpha, ablation."""
    session = app.session
    return (
        [type(screen).__name__ for screen in app.screen_stack],
        session.stepper.snapshot().phase,
        session.stepper.snapshot().timestep,
        session.net.iteration,
        session.net.params.tobytes(),
        session.train_count,
        session.net.alpha,
        session.ablation,
        session.probe,
        session.shown_state,
        app.main.training,
    )


async def test_keys_do_nothing_while_the_terminal_is_too_small(tmp_path: Path) -> None:
    app = RNNApp(RNN(RNNConfig()))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("n", "n", "n")  # somewhere to come back to
        await workers_done(app)
        await pilot.pause()
        before = state_of(app)
        lines_before = screen_lines(app)
        await pilot.resize_terminal(40, 12)
        await pilot.pause()
        words = " ".join(" ".join(screen_lines(app)).split())
        assert "Enlarge the terminal to at least 80x24 (now 40x12)" in words
        assert "the other keys do nothing: q quits, ? shows the help" in words
        for key in ACTING_KEYS:
            await pilot.press(key)
        await workers_done(app)
        await pilot.pause()
        covered = state_of(app)
        assert covered[0] == [*before[0], "TooSmallScreen"]  # type: ignore[misc]
        assert covered[1:] == before[1:]
        await pilot.press("question_mark")  # the help still opens, and closes
        await pilot.pause()
        assert "HelpScreen" in [type(s).__name__ for s in app.screen_stack]
        await pilot.press("escape")
        await pilot.pause()
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert state_of(app) == before
        assert screen_lines(app) == lines_before
        await pilot.press("n")  # and the keys act again
        assert app.session.stepper.snapshot().timestep != before[2]


async def test_the_focus_screen_is_covered_too_and_comes_back() -> None:
    app = RNNApp(RNN(RNNConfig()))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("z")
        await workers_done(app)
        await pilot.pause()
        before = state_of(app)
        await pilot.resize_terminal(40, 12)
        await pilot.pause()
        await pilot.press("z", "n", "escape", "i")
        await pilot.pause()
        assert state_of(app)[1:] == before[1:]
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert state_of(app) == before
        assert "the sum" in " ".join(screen_lines(app))


async def test_the_terminal_grown_under_the_help_leaves_when_the_help_closes() -> None:
    app = RNNApp(RNN(RNNConfig()))
    async with app.run_test(size=(40, 12)) as pilot:
        await pilot.pause()
        assert "Enlarge the terminal" in " ".join(" ".join(screen_lines(app)).split())
        await pilot.press("question_mark")
        await pilot.pause()
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.main
        assert "Enlarge" not in " ".join(screen_lines(app))


async def test_q_quits_while_the_terminal_is_too_small() -> None:
    app = RNNApp(RNN(RNNConfig()))
    async with app.run_test(size=(40, 12)) as pilot:
        await pilot.pause()
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running


def _words(app: RNNApp) -> str:
    return " ".join(" ".join(screen_lines(app)).split())


async def test_the_focus_stays_in_a_projectors_smaller_terminal() -> None:
    # a lecturer enlarges the font mid-class: 80x24 becomes 60x20, the focus stays usable
    app = RNNApp(RNN(RNNConfig()))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("z")
        await workers_done(app)
        await pilot.resize_terminal(60, 20)
        await pilot.pause()
        assert not any(isinstance(s, TooSmallScreen) for s in app.screen_stack)
        assert "the sum" in _words(app)
        await pilot.press("n")  # its keys act
        await pilot.pause()
        assert app.session.stepper.snapshot().timestep == 0 and "forward t=0" in _words(app)
        await pilot.press("escape")  # back to the main screen, which does not fit: covered
        await pilot.pause()
        assert isinstance(app.screen, TooSmallScreen)
        words = _words(app)
        assert "at least 80x24 (now 60x20)" in words and "z: the projector focus" in words
        await pilot.press("n")  # the main screen's keys wait
        assert app.session.stepper.snapshot().timestep == 0
        await pilot.press("z")  # the focus opens from the cover
        await pilot.pause()
        assert type(app.screen).__name__ == "FocusScreen" and "the sum" in _words(app)
        await pilot.resize_terminal(50, 16)  # too small even for the focus
        await pilot.pause()
        assert isinstance(app.screen, TooSmallScreen)
        words = _words(app)
        assert "at least 60x20 (now 50x16)" in words and "z: the projector" not in words
        await pilot.press("z")  # nothing to open here
        await pilot.pause()
        assert isinstance(app.screen, TooSmallScreen)
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert type(app.screen).__name__ == "FocusScreen"
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.main and "Enlarge" not in _words(app)


async def test_the_inspector_is_refused_in_a_focus_too_small_for_it() -> None:
    app = RNNApp(RNN(RNNConfig()))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.press("z")
        await workers_done(app)
        await pilot.resize_terminal(60, 20)
        await pilot.pause()
        await pilot.press("i")  # the inspector needs 80x24: not opened (no cover, no trap)
        await pilot.pause()
        assert type(app.screen).__name__ == "FocusScreen"
        said = [str(n.message) for n in app._notifications]
        assert said and said[-1] == "The inspector needs 80x24 at least (now 60x20).", said
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        await pilot.press("i")
        await pilot.pause()
        assert type(app.screen).__name__ == "InspectScreen"
        await pilot.resize_terminal(60, 20)  # shrunk under the inspector: covered
        await pilot.pause()
        assert isinstance(app.screen, TooSmallScreen)


async def test_the_sum_in_a_60x20_focus_keeps_its_verdict() -> None:
    app = RNNApp(RNN(RNNConfig()))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("e", *"3+2", "enter", "f", "z")
        await workers_done(app)
        await pilot.resize_terminal(60, 20)
        await pilot.pause()
        words = _words(app)
        assert "3 + 2 =" in words and "true 3 + 2 = 5" in words


async def test_over_a_prompt_the_cover_offers_no_focus() -> None:
    app = RNNApp(RNN(RNNConfig()))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("g")  # the go-to prompt is open
        await pilot.pause()
        await pilot.resize_terminal(60, 20)
        await pilot.pause()
        assert isinstance(app.screen, TooSmallScreen) and "z: the projector" not in _words(app)
        await pilot.press("z")
        await pilot.pause()
        assert isinstance(app.screen, TooSmallScreen)
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert type(app.screen).__name__ == "PromptScreen"
