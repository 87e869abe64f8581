"""The convergence map (`m`) without a screen: its settings, its worker, what a cell shows.

The map is a sweep (model/sweep.py) drawn as a grid: hidden sizes down, init ranges x
cells across, each cell the runs of one setting over the map's seeds. Its settings are
typed as `rnn-tui sweep`'s own options and read by the same parser (tui/sweep_cli.py),
so a list, an init range or a count the CLI refuses is refused here with the CLI's
sentence. `run_map` is the body of the map's thread worker: it runs the sweep, polls for
cancellation and posts immutable `MapProgress` values, at most every `frame_interval`
seconds and once at the end.
"""

from __future__ import annotations

import argparse
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from model.sweep import RunResult, SettingSummary, SweepPlan, default_workers, run_sweep, summarise
from tui.cli import UsageError, _joined_init, _Parser
from tui.sweep_cli import add_sweep_options, plan_from

DEFAULT_HIDDENS = (1, 2, 3, 4, 5, 6, 7, 8, 16)
DEFAULT_INITS = ((-1.0, 1.0), (0.0, 1.0), (0.0, 2.0))  # the tutorial's, the translator's two
DEFAULT_SEEDS = tuple(range(5))  # 135 runs: about 13 s on 2 cores at the CLI's iterations
# The map regroups every finished run on each frame, in the UI thread: past some thousands
# of runs its keys lag, so it draws fewer runs than `rnn-tui sweep` makes (MAX_RUNS).
MAP_MAX_RUNS = 5_000
# the options of `rnn-tui sweep` the map uses (its --csv and --kernel it refuses)
MAP_OPTIONS = (
    "--cell",
    "--hidden",
    "--seeds",
    "--init",
    "--iterations",
    "--check-every",
    "--alpha",
    "--bits",
    "--workers",
)
MAP_TAKES = f"the map takes {' '.join(MAP_OPTIONS)}"
FRAME_INTERVAL = 0.2  # seconds between the worker's posts (5 a second), as training's
Init = tuple[float, float]


@dataclass(frozen=True)
class MapSettings:
    plan: SweepPlan
    workers: int  # processes the runs are trained in


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="map", add_help=False)
    add_sweep_options(parser)
    return parser


def default_settings(cell: str, alpha: float, bits: int) -> MapSettings:
    """The map for a network of this cell, alpha and width: DEFAULT_* sizes, ranges and
    seeds, with the iterations and the check interval of `rnn-tui sweep`'s defaults."""
    cli = _parser().parse_args([])
    plan = SweepPlan(
        cells=(cell,),
        hiddens=DEFAULT_HIDDENS,
        inits=DEFAULT_INITS,
        seeds=DEFAULT_SEEDS,
        alpha=alpha,
        bits=bits,
        iterations=cli.sweep_iterations,
        check_every=cli.check_every,
    )
    return MapSettings(plan, default_workers())


def number(value: float) -> str:
    """A float as the shortest text that reads back as it: 1 for 1.0, 0.1 for 0.1."""
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def init_text(init: Init) -> str:
    return f"{number(init[0])},{number(init[1])}"


def list_text(values: Sequence[int]) -> str:
    """1,2,3,4,8 as 1-4,8: the LIST syntax the sweep's parser reads."""
    parts: list[str] = []
    start = previous = values[0]
    for value in [*values[1:], None]:
        if value is not None and value == previous + 1:
            previous = value
            continue
        parts.append(str(start) if start == previous else f"{start}-{previous}")
        if value is not None:
            start = previous = value
    return ",".join(parts)


def settings_text(settings: MapSettings) -> str:
    """The settings as `rnn-tui sweep` options (what the settings prompt shows)."""
    plan = settings.plan
    words = [
        f"--cell {','.join(plan.cells)}",
        f"--hidden {list_text(plan.hiddens)}",
        f"--seeds {list_text(plan.seeds)}",
        *(f"--init {init_text(init)}" for init in plan.inits),
        f"--iterations {plan.iterations}",
        f"--check-every {plan.check_every}",
        f"--alpha {number(plan.alpha)}",
        f"--bits {plan.bits}",
        f"--workers {settings.workers}",
    ]
    return " ".join(words)


def parse_settings(text: str, current: MapSettings) -> tuple[MapSettings | None, str | None]:
    """Options as `rnn-tui sweep` takes them; the ones left out keep their current values.

    Returns (settings, None) or (None, the parser's one-line message); never raises."""
    plan = current.plan
    parser = _parser()
    parser.set_defaults(
        sweep_cells=plan.cells,
        sweep_hiddens=plan.hiddens,
        sweep_seeds=plan.seeds,
        sweep_alpha=plan.alpha,
        sweep_bits=plan.bits,
        sweep_iterations=plan.iterations,
        check_every=plan.check_every,
        workers=current.workers,
    )
    try:
        try:
            args = parser.parse_args(_joined_init(text.split()))
        except UsageError as err:
            if str(err).startswith("unrecognized arguments"):
                raise UsageError(f"{err}; {MAP_TAKES}") from None
            raise
        if args.sweep_csv is not None:
            raise UsageError("the map writes no file: rnn-tui sweep --csv PATH does")
        if args.kernel is not None:  # sweep's option, parsed, and nothing here would use it
            raise UsageError(
                f"--kernel is not a map setting: its runs use the app's kernel "
                f"(rnn-tui --kernel); {MAP_TAKES}"
            )
        if args.sweep_inits is None:
            args.sweep_inits = list(plan.inits)
        new = MapSettings(plan_from(args), args.workers)
        if new.plan.count > MAP_MAX_RUNS:
            raise UsageError(
                f"that is {new.plan.count:,} runs; the map draws at most {MAP_MAX_RUNS:,} "
                "(rnn-tui sweep makes more)"
            )
        return new, None
    except UsageError as err:
        return None, str(err)


# -- the worker ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MapProgress:
    """The sweep so far: every finished run's row (in the order they ended)."""

    settings: MapSettings
    results: tuple[RunResult, ...]
    done: int  # iterations run or skipped by converging, of settings.plan.work
    elapsed: float  # seconds
    finished: bool = False
    stopped: bool = False  # finished before every run had ended (cancelled or failed)
    problem: str = ""
    kept: int = 0  # runs ended in an earlier, stopped sweep of the settings (the first rows)

    @property
    def fraction(self) -> float:
        return min(1.0, self.done / max(1, self.settings.plan.work))

    @property
    def complete(self) -> bool:
        return self.finished and not self.stopped


def run_map(
    settings: MapSettings,
    post: Callable[[MapProgress], object],
    cancelled: Callable[[], bool],
    *,
    earlier: MapProgress | None = None,
    frame_interval: float = FRAME_INTERVAL,
    clock: Callable[[], float] = time.perf_counter,
) -> MapProgress:
    """Run the map's sweep, posting its progress; return (and post) the last report.

    `earlier`, a stopped sweep of the same settings, is continued: its rows are kept and
    only the runs it had not ended are run (each row is the same either way)."""
    started = clock()
    last_post = started - frame_interval  # the first row or progress is shown at once
    results: list[RunResult] = [] if earlier is None else list(earlier.results)
    kept = len(results)
    before = 0.0 if earlier is None else earlier.elapsed
    done = kept * settings.plan.iterations  # an ended run has done (or skipped) them all

    def report(finished: bool = False, stopped: bool = False, problem: str = "") -> MapProgress:
        elapsed = before + clock() - started
        return MapProgress(
            settings, tuple(results), done, elapsed, finished, stopped, problem, kept
        )

    def tick() -> None:
        nonlocal last_post
        now = clock()
        if now - last_post >= frame_interval:
            last_post = now
            post(report())

    def on_row(result: RunResult) -> None:
        results.append(result)
        tick()

    def on_progress(amount: int) -> None:
        nonlocal done
        done += amount
        tick()

    try:
        rows = run_sweep(
            settings.plan,
            workers=settings.workers,
            on_row=on_row,
            on_progress=on_progress,
            should_stop=cancelled,
            in_processes=True,  # in this process, training would hold the GIL the UI needs
            skip={result.index for result in results},
        )
        last = report(finished=True, stopped=rows is None)
    except Exception as err:  # never let a worker take the app down with a traceback
        last = report(finished=True, stopped=True, problem=f"The sweep stopped: {err}")
    post(last)
    return last


# -- what the grid shows ------------------------------------------------------------------


@dataclass(frozen=True)
class CellView:
    """One setting's runs: how many seeds, how many have ended, and their summary."""

    total: int
    summary: SettingSummary | None  # of the runs ended so far (None: none yet)

    @property
    def finished(self) -> int:
        return 0 if self.summary is None else self.summary.runs

    @property
    def converged(self) -> int:
        return 0 if self.summary is None else self.summary.converged

    @property
    def median(self) -> float | None:
        quartiles = None if self.summary is None else self.summary.quartiles
        return None if quartiles is None else quartiles[1]


@dataclass(frozen=True)
class MapView:
    hiddens: tuple[int, ...]  # the rows
    columns: tuple[tuple[str, Init], ...]  # (cell, init range): every init of a cell, by cell
    cells: tuple[tuple[CellView, ...], ...]  # [row][column]

    def at(self, row: int, column: int) -> CellView:
        return self.cells[row][column]


def map_columns(plan: SweepPlan) -> tuple[tuple[str, Init], ...]:
    return tuple((cell, init) for cell in plan.cells for init in plan.inits)


def map_view(plan: SweepPlan, results: Sequence[RunResult]) -> MapView:
    """The grid of `plan` with the runs in `results`, summarised as `rnn-tui sweep` does."""
    by_setting: dict[tuple[str, int, Init], list[RunResult]] = {}
    for result in results:
        by_setting.setdefault(result.spec.setting, []).append(result)
    columns = map_columns(plan)
    total = len(plan.seeds)
    cells = []
    for hidden in plan.hiddens:
        row = []
        for cell, init in columns:
            rows = by_setting.get((cell, hidden, init))
            row.append(CellView(total, summarise(rows)[0] if rows else None))
        cells.append(tuple(row))
    return MapView(plan.hiddens, columns, tuple(cells))


def seeds_of(
    plan: SweepPlan, results: Sequence[RunResult], row: int, column: int
) -> tuple[tuple[int, RunResult | None], ...]:
    """Every seed of one cell of the map, in the plan's order, with its run's row if ended."""
    cell, init = map_columns(plan)[column]
    hidden = plan.hiddens[row]
    ended = {
        r.spec.seed: r
        for r in results
        if r.spec.cell == cell and r.spec.hidden == hidden and r.spec.init == init
    }
    return tuple((seed, ended.get(seed)) for seed in plan.seeds)


def opening_iteration(result: RunResult) -> int:
    """Where a chosen run opens: its converged_at, or the end of the run."""
    return result.converged_at if result.converged_at is not None else result.iterations_run


@dataclass
class MapMemory:
    """What the map keeps between visits: the settings last typed, the cursor, the last
    sweep that ran to its end (shown again at once for the same settings) and the latest
    sweep as far as it got (continued when the map is opened again on its settings).

    A sweep's thread records its reports here itself, so that the last one, made after
    escape has closed the screen, is kept too; `begin` numbers the sweeps, and only the
    latest one's reports are kept (one replaced by new settings may still be ending)."""

    typed: MapSettings | None = None
    cursor: tuple[int, int] = (0, 0)  # (row, column) of the map
    complete: MapProgress | None = None
    latest: MapProgress | None = None
    _sweep: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def begin(self) -> int:
        """A new sweep is starting: the number its reports are recorded under."""
        with self._lock:
            self._sweep += 1
            return self._sweep

    def record(self, sweep: int, progress: MapProgress) -> bool:
        """Keep a report of sweep `sweep` (from any thread): False for an older sweep's."""
        with self._lock:
            if sweep != self._sweep:
                return False
            self.latest = progress
            if progress.complete:
                self.complete = progress
            return True

    def continuing(self, settings: MapSettings) -> MapProgress | None:
        """The latest sweep of `settings` if it stopped before its end (to be continued)."""
        latest = self.latest
        if latest is None or latest.settings != settings or latest.complete:
            return None
        return latest
