"""Helpers for app tests: the screen as text, and the app in a real pseudo-terminal."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time

from textual.app import App


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
