"""A served session's end is read from its exit status: its pipes may outlive it."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

pytest.importorskip("textual_serve")

from tui.serve import _exited, close_pipes


async def test_a_process_whose_pipes_outlive_it_is_seen_to_end() -> None:
    # the child exits at once, leaving a grandchild that holds its stdout open: on Python
    # 3.11 `wait()` waits for that pipe too, and a flooded session's never closed
    process = await asyncio.create_subprocess_exec(
        "sh",
        "-c",
        "sleep 30 & exit 0",
        stdout=asyncio.subprocess.PIPE,
        start_new_session=True,
    )
    try:
        assert await _exited(process, 10.0)
        assert process.returncode == 0
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # the grandchild
        await process.wait()
        close_pipes(process)  # before the test's loop ends, as the server does
