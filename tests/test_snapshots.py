"""Screen snapshots of the main screen (pytest-textual-snapshot; textual is pinned)."""

from __future__ import annotations

import pytest
from screen import workers_done
from textual.pilot import Pilot

from model.config import RNNConfig
from model.network import RNN
from tui.app import RNNApp


async def eight_steps(pilot: Pilot) -> None:
    await pilot.press(*"n" * 8)
    await workers_done(pilot.app)
    await pilot.pause()


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_main_screen_after_eight_steps(snap_compare, size: tuple[int, int]) -> None:
    app = RNNApp(RNN(RNNConfig()))
    assert snap_compare(app, terminal_size=size, run_before=eight_steps)


def test_backward_pass_shows_layer_1_delta(snap_compare) -> None:
    async def into_backward(pilot: Pilot) -> None:
        await pilot.press(*"n" * 11)
        await workers_done(pilot.app)
        await pilot.pause()

    assert snap_compare(RNNApp(RNN(RNNConfig())), terminal_size=(80, 24), run_before=into_backward)
