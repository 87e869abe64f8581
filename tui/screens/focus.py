"""Projector focus (`z`): one panel at a time, full screen, with numbers in the cells.

`z` cycles the sum, the hidden units and the learning curve, then back to the main
screen; `escape` stops training, if any, and otherwise leaves. The focus screens are
*followers* of the main screen: they pass the stepping keys to it (its actions, its
refusals, its training worker) and draw what it draws. The main screen calls
`main_drew()` on them after every redraw, also for a training worker's progress, so a
focus screen follows training live; while a worker runs, the example panels change once
a second as on the main screen.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import ContentSwitcher

from model.history import HistoryView
from model.stepper import Snapshot
from tui.screens.too_small import (
    FOCUS_SMALLEST,
    MIN_HEIGHT,
    MIN_WIDTH,
    cover_if_too_small,
    too_small,
)
from tui.session import ablation_label
from tui.widgets.error import ErrorPanel
from tui.widgets.focus_error import Curves, FocusError, plot_width
from tui.widgets.focus_hidden import FocusHidden
from tui.widgets.focus_sum import FocusSum
from tui.widgets.footer import KeysFooter
from tui.widgets.help import HelpScreen
from tui.widgets.hidden import HiddenPanel
from tui.widgets.status import StatusPanel, TrainingView

if TYPE_CHECKING:
    from tui.screens.main import MainScreen

PANELS = ("sum", "hidden", "error")  # the order `z` goes through them
CHART_REDRAW = 1.0  # seconds between learning-curve redraws while training (bandwidth)


@dataclass(frozen=True)
class Shown:
    """What the main screen shows now, as the focus screens draw it."""

    snapshot: Snapshot | None  # the example on show (while training: once a second)
    latest: Snapshot | None  # the step or the training progress (while training: 5 a second)
    training: TrainingView | None
    train_count: int
    carry_unit: int | None
    carry_correlation: float | None
    ablation: str  # "h3=0, synapse_h=0", or ""
    state: str = "h"  # the state or gate the heatmaps draw (v)
    carry_state: str = "h"  # the state the carry unit belongs to

    @property
    def marked_unit(self) -> int | None:
        """The carry unit, when the heatmap draws the state it belongs to."""
        return self.carry_unit if self.carry_state == self.state else None


def shown_on(main: MainScreen) -> Shown:
    hidden = main.query_one(HiddenPanel)
    return Shown(
        hidden.snapshot,
        main.query_one(StatusPanel).snapshot,
        main.training,
        main.session.train_count,
        hidden.carry_unit,
        hidden.carry_correlation,
        ablation_label(main.session.ablation),
        main.session.shown_state,
        hidden.carry_state,
    )


def status_line(shown: Shown) -> Text:
    """One line over every focus panel: where the run is, and training's progress."""
    snap = shown.latest
    training = shown.training
    line = Text()
    if snap is not None:
        line.append(f"iteration {snap.example_iteration:,}", "bold")
        if training is None:
            line.append(f"  {snap.phase_label}")
        if snap.probe:
            line.append("  PROBE", "bold reverse")
    if shown.ablation:
        line.append(f"  ABLATION {shown.ablation}", "bold reverse")
    if training is not None:
        share = training.done / max(training.total, 1)
        line.append(f"  {training.kind} {training.done:,} of {training.total:,} ({share:.0%})")
        if training.rate:
            line.append(f" {training.rate:,.0f} it/s")
    else:
        line.append(f"  N {shown.train_count:,}", "dim")
    return line


class StatusLine(Widget):
    DEFAULT_CSS = """
    StatusLine { height: 1; text-wrap: nowrap; text-overflow: clip; background: $boost; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.line = Text()

    def show(self, line: Text) -> None:
        if line.plain != self.line.plain:
            self.line = line
            self.refresh()

    def render(self) -> Text:
        return self.line


class Curtain(Screen[None]):
    """An empty screen between the main screen and a follower opened from it.

    Textual repaints the top screen wherever the screen right under it changes, and the
    main screen goes on drawing while followed (its panels are what followers draw): with
    this opaque screen in between, the main screen is no longer under the top one, and
    its redraws cost the terminal nothing (at 80x24 while training, 100 KB/s less)."""


def open_follower(main: MainScreen, follower: FollowingScreen) -> None:
    """Show `follower` over the main screen, behind it a curtain that leaves with it."""
    app = main.app
    app.push_screen(Curtain())
    app.push_screen(follower, callback=lambda _: app.pop_screen())


class FollowingScreen(Screen[None]):
    """A screen over the main screen that draws what it draws and passes it the stepping
    keys; subclasses draw in `redraw()`."""

    BINDINGS = [
        Binding("n,space", "step", "Step", key_display="n"),
        Binding("b", "back", "Back"),
        Binding("f", "finish_forward", "Fwd"),
        Binding("enter", "finish_iteration", "Finish iteration", show=False),
        Binding("t", "toggle_training", "Train N"),
        Binding("T", "train_slowly", "Train N slowly", show=False),
        Binding("v", "next_state", "State/gate shown", show=False),
        Binding("plus", "more", "N*10", key_display="+", show=False),
        Binding("minus", "fewer", "N/10", key_display="-", show=False),
        Binding("question_mark", "help", "Help", key_display="?", show=False),
        Binding("q", "quit", "Quit", show=False),
    ]

    def __init__(self, main: MainScreen) -> None:
        super().__init__()
        self.main = main
        self._redraw_pending = False

    def on_mount(self) -> None:
        self.main.follow(self)
        self.redraw()

    def on_unmount(self) -> None:
        self.main.unfollow(self)

    def on_screen_resume(self) -> None:
        self.redraw()
        # opened over the focus in a terminal the focus fits but this screen does not (the
        # inspector): covered (tui/screens/too_small.py)
        cover_if_too_small(self.app)

    # -- what the main screen calls ------------------------------------------------------

    def main_drew(self) -> None:
        """The main screen has redrawn (a key, a worker's progress, a measurement).

        Drawn once the main screen's handler is over (one redraw for the several calls
        one message can make, with everything that handler changed)."""
        if not self._redraw_pending:
            self._redraw_pending = True
            self.call_later(self._redraw_now)

    def _redraw_now(self) -> None:
        self._redraw_pending = False
        if self.app.screen is self:  # not under the inspector: it would repaint the top
            self.redraw()

    def curve_width(self) -> int:
        """Columns this screen wants the error curve in (0: it draws no curve)."""
        return 0

    def redraw(self) -> None:
        raise NotImplementedError

    # -- the stepping keys: the main screen's actions ------------------------------------

    def action_step(self) -> None:
        self.main.action_step()
        self.redraw()

    def action_back(self) -> None:
        self.main.action_back()
        self.redraw()

    def action_finish_forward(self) -> None:
        self.main.action_finish_forward()
        self.redraw()

    def action_finish_iteration(self) -> None:
        self.main.action_finish_iteration()
        self.redraw()

    def action_toggle_training(self) -> None:
        self.main.action_toggle_training()
        self.redraw()

    def action_train_slowly(self) -> None:
        self.main.action_train_slowly()
        self.redraw()

    def action_next_state(self) -> None:
        self.main.action_next_state()
        self.redraw()

    def action_more(self) -> None:
        self.main.action_more()
        self.redraw()

    def action_fewer(self) -> None:
        self.main.action_fewer()
        self.redraw()

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(self.main.session.net.cell))

    async def action_quit(self) -> None:
        await self.main.action_quit()


class FocusScreen(FollowingScreen):
    """One panel full screen: the sum, the hidden units or the learning curve."""

    SMALLEST = FOCUS_SMALLEST  # a projector's large font: drawn where the main screen is not

    DEFAULT_CSS = """
    FocusScreen #focus-body { height: 1fr; padding: 0 1; }
    FocusScreen ContentSwitcher { height: 1fr; }
    """
    BINDINGS = [
        Binding("z", "next_panel", "Next"),
        Binding("i", "inspect", "Inspect"),
        Binding("escape", "leave", "Leave", key_display="esc"),
        Binding("right", "step", "Step", show=False),
        Binding("left", "back", "Back", show=False),
    ]

    def __init__(self, main: MainScreen, panel: str = PANELS[0]) -> None:
        super().__init__(main)
        self.panel = panel
        self._chart_drawn_at = -1e9

    def compose(self) -> ComposeResult:
        yield StatusLine(id="focus-status")
        with Vertical(id="focus-body"), ContentSwitcher(initial=f"focus-{self.panel}"):
            yield FocusSum(id="focus-sum")
            yield FocusHidden(id="focus-hidden")
            yield FocusError(id="focus-error")
        yield KeysFooter()

    def curve_width(self) -> int:
        """The chart's plot width (from the terminal's: called from the training thread)."""
        return plot_width(self.app.size.width - 2) if self.panel == "error" else 0

    def redraw(self) -> None:
        shown = shown_on(self.main)
        self.query_one(StatusLine).show(status_line(shown))
        if self.panel == "sum":
            self.query_one(FocusSum).show(shown.snapshot)
        elif self.panel == "hidden":
            heatmap = self.query_one(FocusHidden)
            if (
                shown.training is not None
                and shown.snapshot is heatmap.snapshot
                and shown.state == heatmap.state
            ):
                return  # while training, redrawn with each new example only (bandwidth)
            heatmap.show(
                shown.snapshot, shown.marked_unit, shown.carry_correlation, state=shown.state
            )
        else:
            self._draw_curves(shown)

    def _draw_curves(self, shown: Shown) -> None:
        chart = self.query_one(FocusError)
        now = time.monotonic()
        error_panel = self.main.query_one(ErrorPanel)
        history: HistoryView | None
        if shown.training is not None:
            # the worker owns the history: draw the curve it sent (in this chart's width,
            # see curve_width), at most once a second
            if now - self._chart_drawn_at < CHART_REDRAW and chart.curves is not None:
                return
            history = error_panel.history
        else:
            history = self.main.session.errors.view(self.curve_width())
        self._chart_drawn_at = now
        session = self.main.session
        accuracy = error_panel.accuracy
        chart.show(
            Curves(
                history,
                session.net.bits / 2,
                tuple(session.run.accuracy),
                accuracy.sampled if accuracy is not None else False,
            )
        )

    def on_resize(self) -> None:
        self._chart_drawn_at = -1e9
        self.redraw()

    # -- keys of its own -------------------------------------------------------------------

    def action_next_panel(self) -> None:
        index = PANELS.index(self.panel) + 1
        if index == len(PANELS):
            self.dismiss(None)
            return
        self.show_panel(PANELS[index])

    def show_panel(self, panel: str) -> None:
        self.panel = panel
        self.query_one(ContentSwitcher).current = f"focus-{panel}"
        self._chart_drawn_at = -1e9
        self.redraw()

    def action_inspect(self) -> None:
        from tui.screens.inspect import InspectScreen

        size = self.app.size
        if too_small(size.width, size.height):  # the focus fits here, the inspector not
            least = f"{MIN_WIDTH}x{MIN_HEIGHT}"
            self.notify(f"The inspector needs {least} at least (now {size.width}x{size.height}).")
            return
        self.app.push_screen(InspectScreen(self.main))

    def action_leave(self) -> None:
        """Escape: stop training first (as on the main screen); otherwise leave."""
        if self.main.training is not None:
            self.main.action_stop_training()
            return
        self.dismiss(None)
