"""Helpers for app tests: the screen as text, and the app in a real pseudo-terminal."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import threading
import time
from typing import Any

from textual.app import App, ComposeResult
from textual.widget import Widget


class OneWidget(App[None]):
    """An app showing one widget and nothing else: a panel tested on its own."""

    def __init__(self, widget: Widget) -> None:
        super().__init__()
        self.widget = widget

    def compose(self) -> ComposeResult:
        yield self.widget


def screen_lines(app: App) -> list[str]:
    """What the terminal shows, one string per row (styles dropped)."""
    strips = app.screen._compositor.render_strips()
    return ["".join(segment.text for segment in strip) for strip in strips]


def screen_text(app: App) -> str:
    return "\n".join(screen_lines(app))


def run_in_pty(
    args: list[str],
    env: dict[str, str],
    keys: bytes = b"q",
    settle: float = 2.5,
    size: tuple[int, int] = (80, 24),
) -> tuple[int, bytes]:
    """Start `rnn-tui ARGS` on a pty of `size`, wait, type `keys`; return (status, output)."""
    import fcntl
    import struct
    import termios

    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
    full_env = {**os.environ, **env}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui", *args],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=full_env,
        close_fds=True,
        start_new_session=True,
    )
    os.close(follower)
    output = bytearray()

    def drain(seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            ready, _, _ = select.select([leader], [], [], 0.05)
            if ready:
                try:
                    output.extend(os.read(leader, 65536))
                except OSError:
                    return

    drain(settle)
    os.write(leader, keys)
    try:
        status = proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        status = proc.wait()
    drain(0.3)
    os.close(leader)
    return status, bytes(output)


async def workers_done(app: App) -> None:
    """Wait until the app's workers have finished.

    A measurement worker is exclusive: a newer one cancels the one before, and
    Textual's wait_for_complete raises for a cancelled worker, so wait again.
    """
    from textual.worker import WorkerCancelled

    for _ in range(50):
        try:
            await app.workers.wait_for_complete()
            return
        except WorkerCancelled:
            continue


async def next_progress(pilot: Any, frames: int = 1, limit: int = 20_000) -> None:
    """Wait until the main screen has handled `frames` more training progress messages.

    Tests wait on these, never on wall-clock time: a message is handled when it is
    handled, however slow the machine (`limit` rounds is only a safety net).
    """
    screen = pilot.app.main
    target = screen.progress_frames + frames
    for _ in range(limit):
        if screen.progress_frames >= target or screen.training is None:
            return
        await pilot.pause(0.01)
    raise AssertionError(f"no progress message after {limit} rounds")


class PacedTraining:
    """The app's training worker, held after each progress frame until the test has taken it.

    A test that watches training frame by frame must not race the machine: on a fast one
    100,000 iterations end before a slow test loop has looked twice. Paced, the worker
    posts a frame and waits until the test has taken it and asks for the next (`take`),
    so while a test looks at frame k, training is still at frame k. Stopping (`t`,
    escape, quitting) still works: a held worker checks for cancellation while it waits.
    """

    def __init__(self, monkeypatch: Any) -> None:
        import tui.screens.main as main
        import tui.training as training

        self._go = threading.Semaphore(0)
        self._taken = 0
        original = training.run_training

        def paced(session: Any, total: int, post: Any, cancelled: Any, **kwargs: Any) -> int:
            def post_then_wait(progress: Any) -> None:
                post(progress)
                if progress.finished:
                    return
                while not self._go.acquire(timeout=0.02):
                    if cancelled():
                        return

            # a frame after every chunk, not every 0.2 s: a fast kernel trains 100,000
            # iterations in less than two frame intervals, so timed frames could all be
            # the last; held chunk by chunk, training ends only after many frames taken
            kwargs["frame_interval"] = 0.0
            return original(session, total, post_then_wait, cancelled, **kwargs)

        monkeypatch.setattr(main, "run_training", paced)

    async def take(self, pilot: Any) -> None:
        """Let the worker go on from the frame taken last, and wait until the screen has
        handled the next one (or training has ended)."""
        if self._taken:
            self._go.release()
        self._taken += 1
        screen = pilot.app.main
        for _ in range(20_000):  # a safety net, not a clock: each round waits on the loop
            if screen.progress_frames >= self._taken or screen.training is None:
                return
            await pilot.pause(0.01)
        raise AssertionError(f"no progress frame {self._taken}")


def without_controls(output: bytes) -> bytes:
    """Terminal output with its control sequences (cursor moves, styles) taken out."""
    import re

    csi = rb"\x1b\[[0-9;?<>=$]*[ -/]*[@-~]"
    osc = rb"\x1b\][^\x07]*\x07"
    return re.sub(csi + b"|" + osc + rb"|\x1b[()][0-9A-Za-z]|\x1b[=>]", b"", output)


def _own_terminal() -> None:
    """In the child: a new session whose controlling terminal is the pty on stdin."""
    import fcntl
    import termios

    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class PtyApp:
    """`rnn-tui ARGS` on a real pseudo-terminal: type keys, send signals, hang up."""

    def __init__(self, args: list[str], env: dict[str, str], size: tuple[int, int] = (80, 24)):
        import fcntl
        import struct
        import termios

        self.leader, follower = pty.openpty()
        fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tui", *args],
            stdin=follower,
            stdout=follower,
            stderr=follower,
            env={**os.environ, **env},
            close_fds=True,
            preexec_fn=_own_terminal,  # the pty becomes its controlling terminal: hang-ups reach it
        )
        os.close(follower)
        self.output = bytearray()
        self.closed = False

    def text(self) -> bytes:
        """The output with the terminal's control sequences taken out."""
        return without_controls(bytes(self.output))

    def read_until(self, needle: bytes, limit: float = 60.0) -> bool:
        """Read output until `needle` is on screen (a safety-net limit, not a pace)."""
        end = time.monotonic() + limit
        while needle not in self.text() and time.monotonic() < end:
            if not self._read(0.05):
                break
        return needle in self.text()

    def _read(self, wait: float) -> bool:
        ready, _, _ = select.select([self.leader], [], [], wait)
        if ready:
            try:
                data = os.read(self.leader, 65536)
            except OSError:
                return False
            if not data:
                return False
            self.output.extend(data)
        return True

    def type(self, keys: bytes) -> None:
        os.write(self.leader, keys)

    def hang_up(self) -> None:
        """Close the terminal, as a dropped SSH connection does (the kernel sends SIGHUP)."""
        os.close(self.leader)
        self.closed = True

    def wait(self, limit: float = 30.0) -> int:
        end = time.monotonic() + limit
        while self.proc.poll() is None and time.monotonic() < end:
            if self.closed or not self._read(0.05):
                time.sleep(0.05)
        if self.proc.poll() is None:
            self.proc.kill()
        status = self.proc.wait()
        if not self.closed:
            while self._read(0.1):
                pass
            os.close(self.leader)
            self.closed = True
        return status
