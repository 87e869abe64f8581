"""Sweeps: many runs over cells, hidden sizes, init ranges and seeds (DESIGN.md `sweep`).

Each run is exactly the run `rnn-tui train` makes with its settings. After every K
completed iterations (K, 2K, ...) its exact accuracy over all sums is measured;
`converged_at` is the first such count at 100%, and the run stops there (or at N).

`run_sweep` is the engine for the CLI and for a screen: it calls back with each finished
run's row as it comes (in any order), reports progress, and polls `should_stop`. Runs of
one cell and hidden size are trained together in lockstep (model/lockstep.py) and spread
over worker processes; a run's result never depends on which runs share its batch or
its process, so the rows are the same whatever the worker count.
"""

from __future__ import annotations

import math
import os
import queue
import statistics
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from model.accuracy import percent
from model.config import RNNConfig

if TYPE_CHECKING:
    from model.network import Network

MAX_BATCH = 128  # networks trained in lockstep at once
CSV_HEADER = (
    "cell,hidden,init_low,init_high,alpha,bits,seed,converged_at,final_exact,iterations_run"
)


@dataclass(frozen=True)
class RunSpec:
    cell: str
    hidden: int
    init: tuple[float, float]
    alpha: float
    bits: int
    seed: int

    def config(self) -> RNNConfig:
        return RNNConfig(
            seed=self.seed,
            hidden=self.hidden,
            alpha=self.alpha,
            bits=self.bits,
            cell=self.cell,
            init=self.init,
        )

    @property
    def setting(self) -> tuple[str, int, tuple[float, float]]:
        """What a table row gathers: cell, hidden size, init range."""
        return (self.cell, self.hidden, self.init)


@dataclass(frozen=True)
class RunResult:
    """One run's row: plain values, safe to pass between threads and processes."""

    index: int  # position in the plan
    spec: RunSpec
    converged_at: int | None
    final_exact: float
    iterations_run: int

    def csv_row(self) -> str:
        s = self.spec
        converged = "" if self.converged_at is None else str(self.converged_at)
        return (
            f"{s.cell},{s.hidden},{s.init[0]!r},{s.init[1]!r},{s.alpha!r},{s.bits},{s.seed},"
            f"{converged},{self.final_exact!r},{self.iterations_run}"
        )


@dataclass(frozen=True)
class SweepPlan:
    cells: tuple[str, ...]
    hiddens: tuple[int, ...]
    inits: tuple[tuple[float, float], ...]
    seeds: tuple[int, ...]
    alpha: float = 0.1
    bits: int = 8
    iterations: int = 10_000
    check_every: int = 1000

    def __post_init__(self) -> None:
        for name in ("cells", "hiddens", "inits", "seeds"):
            if not getattr(self, name):
                raise ValueError(f"a sweep needs at least one of {name}")
        if self.check_every < 1:
            raise ValueError("check_every must be at least 1")
        for at in (0, -1):  # the first and last run, without listing them all
            first_or_last = RunSpec(
                self.cells[at],
                self.hiddens[at],
                self.inits[at],
                self.alpha,
                self.bits,
                self.seeds[at],
            )
            first_or_last.config()  # the model's own validation of every kind of value

    def runs(self) -> list[RunSpec]:
        """Every run, in table order: cell, hidden size, init range, then seed."""
        return [
            RunSpec(cell, hidden, init, self.alpha, self.bits, seed)
            for cell in self.cells
            for hidden in self.hiddens
            for init in self.inits
            for seed in self.seeds
        ]

    @property
    def count(self) -> int:
        """How many runs the plan makes (without listing them)."""
        return len(self.cells) * len(self.hiddens) * len(self.inits) * len(self.seeds)

    @property
    def work(self) -> int:
        """Iterations if no run converged: the unit of progress."""
        return self.count * self.iterations


Progress = Callable[[int], None]  # iterations done (or skipped by converging) since last call


def run_group(
    runs: Sequence[tuple[int, RunSpec]],
    iterations: int,
    check_every: int,
    should_stop: Callable[[], bool] = lambda: False,
    on_progress: Progress | None = None,
    on_net: Callable[[RunResult, Network], None] | None = None,
) -> Iterator[RunResult]:
    """Train runs of one cell, hidden size and width together; yield each when it ends.

    Stops early (yielding nothing more) when `should_stop()` turns true between checks.
    `on_net` sees each finished run's network (its final weights), before the yield.
    """
    from model import network
    from model.exact_check import every_sum_exact
    from model.lockstep import Batch
    from model.probes import evaluate_net

    live = [(index, spec, network.Network(spec.config())) for index, spec in runs]
    batch = Batch([net for _, _, net in live])
    done = 0
    while live and done < iterations:
        if should_stop():
            return
        step = min(check_every - done % check_every, iterations - done)
        batch.train(step)
        done += step
        if on_progress is not None:
            on_progress(step * len(live))
        if done % check_every:
            continue
        keep = []
        for position, (index, spec, net) in enumerate(live):
            if every_sum_exact(net):
                if on_progress is not None:
                    on_progress(iterations - done)
                result = RunResult(index, spec, done, 1.0, done)
                if on_net is not None:
                    on_net(result, net)
                yield result
            else:
                keep.append(position)
        if len(keep) < len(live):
            live = [live[k] for k in keep]
            batch.drop(keep)
    for index, spec, net in live:
        result = RunResult(index, spec, None, evaluate_net(net).exact, done)
        if on_net is not None:
            on_net(result, net)
        yield result


def groups(
    plan: SweepPlan, workers: int, skip: Collection[int] = frozenset()
) -> list[list[tuple[int, RunSpec]]]:
    """The plan's runs (but those whose index is in `skip`) split into lockstep batches:
    one cell and hidden size each, at most MAX_BATCH runs, and enough batches to keep
    `workers` processes busy."""
    by_kind: dict[tuple[str, int], list[tuple[int, RunSpec]]] = {}
    skip = frozenset(skip)
    for index, spec in enumerate(plan.runs()):
        if index not in skip:
            by_kind.setdefault((spec.cell, spec.hidden), []).append((index, spec))
    if not by_kind:
        return []
    share = math.ceil(workers / len(by_kind))  # batches per kind that fill the workers
    out = []
    for members in by_kind.values():
        parts = min(len(members), max(math.ceil(len(members) / MAX_BATCH), share))
        size = math.ceil(len(members) / parts)
        out += [members[k : k + size] for k in range(0, len(members), size)]
    return out


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def run_sweep(
    plan: SweepPlan,
    *,
    workers: int = 1,
    on_row: Callable[[RunResult], None] | None = None,
    on_progress: Progress | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    in_processes: bool = False,
    skip: Collection[int] = frozenset(),
) -> list[RunResult] | None:
    """Run every run of the plan; the rows in plan order, or None when stopped early.

    `on_row` gets each run's row as soon as the run ends (in any order), `on_progress`
    iterations as they are done, `should_stop` is polled often; all three are called
    from the calling thread. The runs are trained in `workers` processes, or in the
    calling thread when one would do, unless `in_processes` (a caller whose own thread
    must keep the GIL free, such as a screen's, asks for processes even for one worker).
    The runs whose plan index is in `skip` (ended in an earlier, stopped sweep of the
    plan) are not run, and not in the rows: a run's row never depends on the others.
    """
    tasks = groups(plan, workers, skip)
    results: dict[int, RunResult] = {}  # by plan index

    def take(result: RunResult) -> None:
        results[result.index] = result
        if on_row is not None:
            on_row(result)

    if not tasks:
        return []
    if not in_processes and (workers <= 1 or len(tasks) == 1):
        for task in tasks:
            for result in run_group(
                task, plan.iterations, plan.check_every, should_stop, on_progress
            ):
                take(result)
            if should_stop():
                return None
    elif not _in_processes(plan, tasks, workers, take, on_progress, should_stop):
        return None
    if len(results) < sum(len(task) for task in tasks):
        return None
    return [results[index] for index in sorted(results)]


def _in_processes(
    plan: SweepPlan,
    tasks: list[list[tuple[int, RunSpec]]],
    workers: int,
    take: Callable[[RunResult], None],
    on_progress: Progress | None,
    should_stop: Callable[[], bool],
) -> bool:
    """Run the tasks in `workers` fresh processes; False when stopped or a worker failed."""
    import multiprocessing

    from model.kernel_choice import active

    ctx = multiprocessing.get_context("spawn")  # fresh interpreters: no inherited threads
    todo, events, stop = ctx.Queue(), ctx.Queue(), ctx.Event()
    for task in tasks:
        todo.put(task)
    count = min(workers, len(tasks))
    for _ in range(count):
        todo.put(None)
    procs = [
        ctx.Process(
            target=_worker,
            args=(todo, events, stop, plan.iterations, plan.check_every, active()),
            daemon=True,
        )
        for _ in range(count)
    ]
    for proc in procs:
        proc.start()
    finished = 0
    failure: str | None = None
    try:
        while finished < count:
            if should_stop():
                return False
            try:
                kind, value = events.get(timeout=0.05)
            except queue.Empty:
                if any(not p.is_alive() and p.exitcode not in (0, None) for p in procs):
                    failure = "a sweep worker process died"
                    break
                continue
            if kind == "progress" and on_progress is not None:
                on_progress(value)
            elif kind == "row":
                take(value)
            elif kind == "done":
                finished += 1
            elif kind == "error":
                failure = value
                break
    finally:
        stop.set()
        for proc in procs:
            proc.join(timeout=1.0)
            if proc.is_alive():
                proc.terminate()
                proc.join()
        todo.close()
        events.close()
    if failure is not None:
        raise RuntimeError(failure)
    return True


def _worker(todo, events, stop, iterations: int, check_every: int, kernel) -> None:  # type: ignore[no-untyped-def]
    """A worker process: batches from `todo` until a None; rows and progress to `events`.
    `kernel`: the parent's (checked) KernelStatus, used here too."""
    try:
        from model.kernel_choice import adopt

        adopt(kernel)
        pending = 0

        def progress(amount: int) -> None:
            nonlocal pending
            pending += amount
            if pending >= iterations // 10 or pending >= 50_000:
                events.put(("progress", pending))
                pending = 0

        while not stop.is_set():
            task = todo.get()
            if task is None:
                break
            for result in run_group(task, iterations, check_every, stop.is_set, progress):
                events.put(("row", result))
        if pending:
            events.put(("progress", pending))
        events.put(("done", None))
    except BaseException as err:
        events.put(("error", f"sweep worker failed: {type(err).__name__}: {err}"))


# -- the summary table ---------------------------------------------------------------


@dataclass(frozen=True)
class SettingSummary:
    cell: str
    hidden: int
    init: tuple[float, float]
    runs: int
    converged: int
    quartiles: tuple[float, float, float] | None  # of converged_at, over converged runs
    mean_final_exact: float


def summarise(results: Sequence[RunResult]) -> list[SettingSummary]:
    """One summary per setting (cell, hidden, init), in the order the settings appear."""
    by_setting: dict[tuple[str, int, tuple[float, float]], list[RunResult]] = {}
    for result in results:
        by_setting.setdefault(result.spec.setting, []).append(result)
    out = []
    for (cell, hidden, init), rows in by_setting.items():
        at = sorted(r.converged_at for r in rows if r.converged_at is not None)
        quartiles = None
        if len(at) == 1:
            quartiles = (float(at[0]),) * 3
        elif at:
            q = statistics.quantiles(at, n=4, method="inclusive")
            quartiles = (q[0], q[1], q[2])
        mean = statistics.fmean(r.final_exact for r in rows)
        out.append(SettingSummary(cell, hidden, init, len(rows), len(at), quartiles, mean))
    return out


def table_lines(summaries: Sequence[SettingSummary]) -> list[str]:
    """The summary table: one line per setting, a header first."""
    lines = [
        f"{'cell':<5} {'hidden':>6} {'init':>9} {'converged':>10} "
        f"{'median':>8} {'q1':>8} {'q3':>8} {'mean exact':>10}"
    ]
    for s in summaries:
        init = f"{s.init[0]:g},{s.init[1]:g}"
        if s.quartiles is None:
            q1 = median = q3 = "-"
        else:
            q1, median, q3 = (f"{v:,.0f}" for v in s.quartiles)
        lines.append(
            f"{s.cell:<5} {s.hidden:>6} {init:>9} {f'{s.converged}/{s.runs}':>10} "
            f"{median:>8} {q1:>8} {q3:>8} {percent(s.mean_final_exact):>10}"
        )
    return lines


__all__ = [
    "CSV_HEADER",
    "RunResult",
    "RunSpec",
    "SettingSummary",
    "SweepPlan",
    "default_workers",
    "run_group",
    "run_sweep",
    "summarise",
    "table_lines",
]
