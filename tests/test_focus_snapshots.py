"""Screen snapshots of the projector focus panels and the inspector (pytest-textual-snapshot;
textual is pinned), after the tutorial's first example's forward pass (seed 0)."""

from __future__ import annotations

import pytest
from screen import workers_done
from textual.pilot import Pilot

from model.config import RNNConfig
from model.network import RNN
from tui.app import RNNApp


def after(*keys: str):  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot) -> None:
        await pilot.press(*"n" * 8)
        await workers_done(pilot.app)
        await pilot.press(*keys)
        await workers_done(pilot.app)
        await pilot.pause()

    return run_before


PANELS = {
    "sum": ("z",),
    "hidden": ("z", "z"),
    "hidden-backward": ("z", "z", "n", "n", "n"),
    "error": ("z", "z", "z"),
    "inspector": ("i", "up"),
    "inspector-backward": ("i", "n", "n"),
}


@pytest.mark.parametrize("panel", list(PANELS))
def test_focus_panel(snap_compare, panel: str) -> None:
    app = RNNApp(RNN(RNNConfig()))
    assert snap_compare(app, terminal_size=(80, 24), run_before=after(*PANELS[panel]))


@pytest.mark.parametrize("panel", ["sum", "hidden", "inspector"])
def test_focus_panel_at_120x40(snap_compare, panel: str) -> None:
    app = RNNApp(RNN(RNNConfig()))
    assert snap_compare(app, terminal_size=(120, 40), run_before=after(*PANELS[panel]))
