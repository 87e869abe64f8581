"""The cell inspector (`i`): a cursor on the heatmap, and beside it the cell's statement.

Arrow keys move the cursor (left and right through the timesteps, up and down through
the units); the stepping keys still step (`n`, `space`, `b`, `f`, `enter`, `t`) and the
cursor follows the step's timestep. `escape` or `i` leaves. The statement's numbers come
from the network's weights, which are at hand only while no worker trains and before an
update changes them (the panel says so otherwise).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.events import Resize

from model.stepper import UPDATE, Snapshot
from tui.screens.focus import FollowingScreen, StatusLine, shown_on, status_line
from tui.widgets.focus_hidden import FocusHidden
from tui.widgets.footer import KeysFooter
from tui.widgets.inputs import current_timestep
from tui.widgets.inspector import InspectorPanel, Pointed, cell_statement

if TYPE_CHECKING:
    import numpy as np

    from tui.screens.main import MainScreen

WIDE = 110  # from this width the heatmap gets room for digits beside the statement
TRAINING = (
    "Training is running: the weights change with every iteration. "
    "t stops it; then the statement is shown with its numbers."
)
UPDATED = (
    "The update has just changed the weights; these values were made with the weights "
    "before it. b steps back into the backward pass to see the statement with its numbers."
)


def start_cell(snap: Snapshot | None, carry_unit: int | None) -> tuple[int, int]:
    """Where the cursor starts: the step's timestep (else the last computed), the carry unit."""
    if snap is None:
        return (0, 0)
    unit = carry_unit if carry_unit is not None and carry_unit < snap.hidden else 0
    now = current_timestep(snap)
    if now is None:
        known = [t for t, row in enumerate(snap.layer_1) if row is not None]
        now = known[-1] if known else 0
    return (unit, now)


class InspectScreen(FollowingScreen):
    DEFAULT_CSS = """
    InspectScreen #inspect-body { height: 1fr; }
    InspectScreen FocusHidden { width: 40; padding: 0 0 0 1; }
    InspectScreen InspectorPanel { width: 1fr; border-left: vkey $primary 50%; }
    .-ascii InspectScreen InspectorPanel { border-left: ascii $primary 50%; }
    """
    BINDINGS = [
        Binding("left", "move(1, 0)", "Move", key_display="arrows"),
        Binding("right", "move(-1, 0)", "Later bit", show=False),
        Binding("up", "move(0, -1)", "Unit up", show=False),
        Binding("down", "move(0, 1)", "Unit down", show=False),
        Binding("escape,i", "leave", "Leave", key_display="esc"),
    ]

    def __init__(self, main: MainScreen) -> None:
        super().__init__(main)
        shown = shown_on(main)
        self.cursor = start_cell(shown.snapshot, shown.carry_unit)

    def compose(self) -> ComposeResult:
        yield StatusLine(id="inspect-status")
        with Horizontal(id="inspect-body"):
            yield FocusHidden(id="inspect-heatmap")
            yield InspectorPanel(id="inspect-statement")
        yield KeysFooter()

    def on_resize(self, event: Resize) -> None:
        width = event.size.width
        heatmap = self.query_one(FocusHidden)
        heatmap.styles.width = 40 if width < WIDE else min(80, width - 50)
        self.redraw()

    def redraw(self) -> None:
        shown = shown_on(self.main)
        self.query_one(StatusLine).show(status_line(shown))
        snap = shown.snapshot
        if snap is None:
            return
        unit, t = self.cursor
        self.cursor = (min(unit, snap.hidden - 1), min(t, snap.bits - 1))
        heatmap = self.query_one(FocusHidden)
        heatmap.show(snap, shown.marked_unit, shown.carry_correlation, self.cursor, shown.state)
        self.query_one(InspectorPanel).show(cell_statement(self.pointed(snap)))

    def pointed(self, snap: Snapshot) -> Pointed:
        unit, t = self.cursor
        session = self.main.session
        weights: dict[str, np.ndarray] | None = None
        why = ""
        if self.main.training is not None:
            why = TRAINING
        elif snap.phase == UPDATE and not snap.probe:
            why = UPDATED
        else:
            weights = session.net.weights  # every weight of the layout, bias too
        return Pointed(snap, unit, t, weights, session.ablation, why, session.shown_state)

    # -- keys --------------------------------------------------------------------------------

    def action_move(self, timesteps: int, units: int) -> None:
        snap = shown_on(self.main).snapshot
        if snap is None:
            return
        unit, t = self.cursor
        self.cursor = (
            max(0, min(snap.hidden - 1, unit + units)),
            max(0, min(snap.bits - 1, t + timesteps)),
        )
        self.redraw()

    def _follow_the_step(self) -> None:
        snap = shown_on(self.main).snapshot
        now = current_timestep(snap) if snap is not None else None
        if now is not None:
            self.cursor = (self.cursor[0], now)
        self.redraw()

    def action_step(self) -> None:
        self.main.action_step()
        self._follow_the_step()

    def action_back(self) -> None:
        self.main.action_back()
        self._follow_the_step()

    def action_finish_forward(self) -> None:
        self.main.action_finish_forward()
        self._follow_the_step()

    def action_leave(self) -> None:
        self.dismiss(None)
