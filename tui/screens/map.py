"""The convergence map (`m`): a sweep run in the background, drawn as it fills in.

Rows are hidden sizes, columns init ranges x cells, each cell the runs of its setting
over the map's seeds (tui/sweep_map.py). A thread worker runs the sweep, trained in
worker processes so the UI thread keeps the GIL, and posts `MapFrame`s a few times a
second; escape leaves it (the runs ended are kept in the main screen's MapMemory, with
the cursor, and `m` runs the others again, each from its start), quitting stops it. The arrows move
over the cells; enter lists the cell's seeds, and choosing one opens that run on the
main screen at its converged_at (or its last iteration): the session gets a network
with those settings, trained there exactly as `rnn-tui train` trains it, and `u` brings
the one before back. `o` changes the settings, typed as `rnn-tui sweep`'s options.
"""

from __future__ import annotations

import sys
import threading
from dataclasses import replace
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static
from textual.worker import get_current_worker

from model.accuracy import percent
from model.network import Network
from tui.messages import MapFrame
from tui.sweep_map import (
    MapMemory,
    MapProgress,
    MapSettings,
    MapView,
    default_settings,
    init_text,
    list_text,
    map_view,
    number,
    opening_iteration,
    parse_settings,
    run_map,
    seeds_of,
    settings_text,
)
from tui.widgets.convergence_map import MapGrid, median_text
from tui.widgets.footer import KeysFooter
from tui.widgets.help import HelpScreen
from tui.widgets.prompt import PromptScreen
from tui.widgets.seed_list import SeedList

if TYPE_CHECKING:
    from model.sweep import RunResult
    from tui.screens.main import MainScreen


def open_map(main: MainScreen) -> None:
    """The map over the main screen, a curtain between them (see focus.Curtain)."""
    from tui.screens.focus import Curtain

    app = main.app
    app.push_screen(Curtain())
    app.push_screen(MapScreen(main, main.map_memory), callback=lambda _: app.pop_screen())


def start_resource_tracker() -> None:
    """multiprocessing's resource tracker, started with the process's real stderr.

    Worker processes need it (their queues' locks are registered with it), and it is
    started with sys.stderr's file descriptor, which under a running Textual app is its
    print capture's -1: the first spawn would fail with "bad value(s) in fds_to_keep".
    Called on the UI thread, so no print of another thread is sent to the real stderr
    meanwhile; once it runs, later sweeps find it running."""
    from multiprocessing import resource_tracker

    captured, sys.stderr = sys.stderr, sys.__stderr__
    try:
        resource_tracker.ensure_running()
    finally:
        sys.stderr = captured


def title_lines(settings: MapSettings) -> Text:
    plan = settings.plan
    text = Text()
    text.append("Convergence map", "bold")
    text.append(
        f"  {','.join(plan.cells)}, seeds {list_text(plan.seeds)} ({len(plan.seeds):,} a cell),"
        f" alpha {number(plan.alpha)}, {plan.bits}-bit sums\n"
    )
    text.append(
        f"runs stop at the first check with all sums exact (every {plan.check_every:,})"
        f" or at {plan.iterations:,}",
        "dim",
    )
    return text


def progress_line(progress: MapProgress) -> Text:
    runs = progress.settings.plan.count
    ended = len(progress.results)
    if not progress.finished:
        doing = "continued" if progress.kept else "sweeping"  # a sweep left with escape
        # the share is of the iterations (a run that converges skips the rest of its own);
        # resuming starts the runs not ended again, so it can be lower than at the pause
        line = Text(f"{doing}: {ended:,} of {runs:,} runs ended, ", "bold")
        line.append(f"{progress.fraction:.0%} of the work", "bold")
        line.append("  esc keeps the runs ended", "dim")
        return line
    if progress.stopped:
        line = Text(f"stopped after {ended:,} of {runs:,} runs", "bold")
        if progress.problem:
            line.append(f": {progress.problem}", "red")
        return line
    workers = min(progress.settings.workers, runs)
    return Text(
        f"done: {runs:,} run{'s' if runs != 1 else ''} in {progress.elapsed:.1f} s on {workers} "
        f"process{'es' if workers > 1 else ''}"
    )


class MapScreen(Screen[None]):
    DEFAULT_CSS = """
    MapScreen { padding: 0 1; }
    MapScreen #map-title { height: 2; }
    MapScreen #map-progress { height: 1; margin-bottom: 1; }
    MapScreen #map-detail { height: 2; }
    MapScreen #map-legend { height: 1; }
    MapScreen Static { text-wrap: nowrap; text-overflow: ellipsis; }
    """
    BINDINGS = [
        Binding("up", "move(-1, 0)", "Move", show=False),
        Binding("down", "move(1, 0)", "Move", show=False),
        Binding("left", "move(0, -1)", "Move", show=False),
        Binding("right", "move(0, 1)", "Move", show=False),
        Binding("enter", "choose", "Open a run"),
        Binding("o", "settings", "Settings"),
        Binding("escape", "leave", "Leave (keeps ended runs)", key_display="esc"),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self, main: MainScreen, memory: MapMemory) -> None:
        super().__init__()
        self.main, self.memory = main, memory
        self.progress: MapProgress | None = None
        self.frames = 0  # MapFrames handled (tests wait on these, never on a clock)
        self._sweep_id = 0  # the sweep whose frames are drawn (older ones are stopping)
        self._stop = threading.Event()
        self._threads = 0  # sweep threads not yet returned (the UI thread counts up)
        self._threads_lock = threading.Lock()
        self.idle = threading.Event()  # set when no sweep thread is running
        self.idle.set()

    def compose(self) -> ComposeResult:
        yield Static(id="map-title")
        yield Static(id="map-progress")
        yield MapGrid(id="map-grid")
        yield Static(id="map-detail")
        yield Static(id="map-legend")
        yield KeysFooter()

    def on_mount(self) -> None:
        net = self.main.session.net
        self.start(self.memory.typed or default_settings(net.cell, net.alpha, net.bits))

    def on_unmount(self) -> None:
        # however the screen goes (escape, a run opened, quitting): the sweep's thread
        # records how far it got in the memory, and the map continues from there
        self._stop.set()

    @property
    def cursor(self) -> tuple[int, int]:
        """(row, column) of the map's cursor, kept in the memory between visits."""
        return self.memory.cursor

    @cursor.setter
    def cursor(self, value: tuple[int, int]) -> None:
        self.memory.cursor = value

    # -- the sweep --------------------------------------------------------------------

    @property
    def settings(self) -> MapSettings | None:
        return None if self.progress is None else self.progress.settings

    def start(self, settings: MapSettings) -> None:
        """Show the map of `settings`: the last complete sweep of them, or a sweep that
        continues the one stopped on them (escape, a run opened), or a new one."""
        self._stop.set()  # a sweep under way ends at its next check
        self._sweep_id = self.memory.begin()  # an older sweep's reports are not kept
        plan = settings.plan
        row, column = self.cursor
        last_column = len(plan.cells) * len(plan.inits) - 1
        self.cursor = (min(row, len(plan.hiddens) - 1), min(column, last_column))
        complete = self.memory.complete
        if complete is not None and complete.settings == settings:
            self.progress = complete
        else:
            earlier = self.memory.continuing(settings)
            if earlier is None:
                self.progress = MapProgress(settings, (), 0, 0.0)
            else:  # its runs shown at once, as the sweep that continues it will report them
                kept = len(earlier.results)
                self.progress = replace(earlier, finished=False, stopped=False, kept=kept)
            self._stop = threading.Event()
            start_resource_tracker()
            with self._threads_lock:
                self._threads += 1
                self.idle.clear()
            self._sweep(settings, self._stop, self._sweep_id, earlier)
        self._draw()

    @work(thread=True, exclusive=True, group="map", exit_on_error=False)
    def _sweep(
        self,
        settings: MapSettings,
        stop: threading.Event,
        sweep: int,
        earlier: MapProgress | None,
    ) -> None:
        worker = get_current_worker()  # cancelled when the screen goes or the app quits

        def post(progress: MapProgress) -> None:
            if self.memory.record(sweep, progress):
                self.post_message(MapFrame(progress, sweep))

        try:
            run_map(
                settings,
                post,
                lambda: stop.is_set() or worker.is_cancelled,
                earlier=earlier,
            )
        finally:
            with self._threads_lock:
                self._threads -= 1
                if self._threads == 0:
                    self.idle.set()

    def on_map_frame(self, message: MapFrame) -> None:
        if message.sweep != self._sweep_id:
            return  # a sweep replaced by newer settings, on its way out
        self.frames += 1
        self.progress = message.progress  # the sweep's thread has recorded it
        self._draw()

    # -- drawing ----------------------------------------------------------------------

    def _draw(self) -> None:
        progress = self.progress
        if progress is None:
            return
        plan = progress.settings.plan
        view = map_view(plan, progress.results)
        self.query_one("#map-title", Static).update(title_lines(progress.settings))
        self.query_one("#map-progress", Static).update(progress_line(progress))
        self.query_one(MapGrid).show(view, self.cursor, plan.iterations)
        self.query_one("#map-detail", Static).update(self._detail(view))
        self.query_one("#map-legend", Static).update(
            Text(
                "k/n  median: k of n seeds got every sum exact, by that median iteration",
                "dim",
            )
        )

    def _detail(self, view: MapView) -> Text:
        """The cursor's cell in words, with the quartiles the grid has no room for."""
        row, column = self.cursor
        cell_name, init = view.columns[column]
        cell = view.at(row, column)
        text = Text(f"hidden {view.hiddens[row]}, {cell_name} init {init_text(init)}: ", "bold")
        summary = cell.summary
        if summary is None:
            text.append("no run has ended yet")
            return text
        text.append(f"{summary.converged} of {summary.runs} ended runs reached 100%\n")
        if summary.quartiles is not None:
            q1, median, q3 = (median_text(q) for q in summary.quartiles)
            text.append(f"at iteration {median} (median; q1 {q1}, q3 {q3}); ")
        text.append(f"mean final exact {percent(summary.mean_final_exact)}")
        return text

    # -- keys ---------------------------------------------------------------------------

    def action_move(self, rows: int, columns: int) -> None:
        settings = self.settings
        if settings is None:
            return
        plan = settings.plan
        row = min(max(self.cursor[0] + rows, 0), len(plan.hiddens) - 1)
        column = min(max(self.cursor[1] + columns, 0), len(plan.cells) * len(plan.inits) - 1)
        self.cursor = (row, column)
        self._draw()

    def action_choose(self) -> None:
        progress = self.progress
        if progress is None:
            return
        plan = progress.settings.plan
        seeds = seeds_of(plan, progress.results, *self.cursor)
        if all(result is None for _, result in seeds):
            self._say("No run of this cell has ended yet.")
            return
        view = map_view(plan, progress.results)
        cell, init = view.columns[self.cursor[1]]
        hidden = view.hiddens[self.cursor[0]]
        self.app.push_screen(
            SeedList(
                f"{cell}, {hidden} hidden, init {init_text(init)}: open a run",
                seeds,
                "enter opens it on the main screen at its converged_at (or its last "
                "iteration), ready to step; u there brings your network back",
            ),
            self._open,
        )

    def _open(self, result: RunResult | None) -> None:
        if result is None:
            return
        spec = result.spec
        what = f"Seed {spec.seed}, {spec.cell} {spec.hidden} hidden, init {init_text(spec.init)}"
        if self.main.open_run(Network(spec.config()), opening_iteration(result), what):
            self._stop.set()
            self.dismiss(None)

    def action_settings(self) -> None:
        current = self.settings
        if current is None:
            return
        self.app.push_screen(
            PromptScreen(
                "Map settings, as rnn-tui sweep's options",
                lambda text: parse_settings(text, current),
                value=settings_text(current),
                hint="options left out keep their values; enter runs the map",
            ),
            self._settings_typed,
        )

    def _settings_typed(self, settings: MapSettings | None) -> None:
        if settings is None:
            return
        self.memory.typed = settings
        if settings != self.settings or (self.progress is not None and self.progress.stopped):
            self.start(settings)

    def action_leave(self) -> None:
        self._stop.set()
        self.dismiss(None)

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(self.main.session.net.cell))

    async def action_quit(self) -> None:
        self._stop.set()
        await self.main.action_quit()

    def _say(self, message: str) -> None:
        self.notify(message, timeout=3, markup=False)
