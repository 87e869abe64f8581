"""`rnn-tui sweep`: its options, progress bar, table and CSV (DESIGN.md "Command line").

The engine is model/sweep.py; this file only turns options into a plan (every value
checked by the same parsers as `train`'s, before any work) and shows what comes back.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

from tui import start_up
from tui.cli import (
    CELLS,
    MAX_ITERATIONS,
    UsageError,
    _alpha,
    _cell,
    _check_csv_target,
    _init,
    _open_csv,
    _Output,
    _whole,
    _write_csv,
    add_kernel_option,
    printable,
    use_kernel,
)

if TYPE_CHECKING:
    from model.sweep import RunResult, SweepPlan

MAX_RUNS = 1_000_000  # a bound, so that no typo in a list turns into a sweep of years
_ITEM = re.compile(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?")


def _number_list(name: str, low: int, high: int) -> Callable[[str], tuple[int, ...]]:
    """LIST like `1-8,16`: whole numbers and ascending ranges, commas between, no repeats."""
    single = _whole(name, low, high)

    def parse(text: str) -> tuple[int, ...]:
        if not text.strip():
            raise argparse.ArgumentTypeError(f"{name} list is empty")
        values: list[int] = []
        for item in text.split(","):
            match = _ITEM.fullmatch(item)
            if match is None:
                raise argparse.ArgumentTypeError(
                    f"{name} list must be numbers and ranges like 1-8,16; got {text!r}"
                )
            first = single(match.group(1))
            last = first if match.group(2) is None else single(match.group(2))
            if last < first:
                raise argparse.ArgumentTypeError(f"{name} range {first}-{last} runs backwards")
            if last - first >= MAX_RUNS:
                raise argparse.ArgumentTypeError(
                    f"{name} range {first}-{last} is too long (at most {MAX_RUNS:,} values)"
                )
            values.extend(range(first, last + 1))
        if len(set(values)) != len(values):
            repeated = next(v for v in values if values.count(v) > 1)
            raise argparse.ArgumentTypeError(f"{name} list names {repeated} more than once")
        return tuple(values)

    return parse


def _cell_list(text: str) -> tuple[str, ...]:
    items = [item.strip() for item in text.split(",")]
    if not text.strip() or any(not item for item in items):
        raise argparse.ArgumentTypeError(
            f"cell list must be cells separated by commas, like rnn,lstm; got {text!r}"
        )
    cells = tuple(_cell(item) for item in items)
    if len(set(cells)) != len(cells):
        raise argparse.ArgumentTypeError(f"cell list names a cell more than once: {text!r}")
    return cells


def add_sweep_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--cell",
        dest="sweep_cells",
        type=_cell_list,
        metavar="C,..",
        default=("rnn",),
        help=f"cells to sweep, from {','.join(CELLS)} (default rnn)",
    )
    parser.add_argument(
        "--hidden",
        dest="sweep_hiddens",
        type=_number_list("hidden", 1, 1024),
        metavar="LIST",
        default=(16,),
        help="hidden sizes, like 1-8,16 (default 16)",
    )
    parser.add_argument(
        "--seeds",
        dest="sweep_seeds",
        type=_number_list("seed", 0, 2**32 - 1),
        metavar="LIST",
        default=tuple(range(20)),
        help="seeds, like 0-19 (default 0-19)",
    )
    parser.add_argument(
        "--init",
        dest="sweep_inits",
        type=_init,
        action="append",
        metavar="LO,HI",
        default=None,
        help="an init range; give it again for more (default -1,1)",
    )
    parser.add_argument(
        "--alpha",
        dest="sweep_alpha",
        type=_alpha,
        metavar="A",
        default=0.1,
        help="learning rate (default 0.1)",
    )
    parser.add_argument(
        "--bits",
        dest="sweep_bits",
        type=_whole("bits", 2, 32),
        metavar="B",
        default=8,
        help="bits per sum (default 8)",
    )
    parser.add_argument(
        "--iterations",
        dest="sweep_iterations",
        type=_whole("iterations", 1, MAX_ITERATIONS),
        metavar="N",
        default=10_000,
        help="iterations at most per run (default 10000)",
    )
    parser.add_argument(
        "--check-every",
        dest="check_every",
        type=_whole("check-every", 1, MAX_ITERATIONS),
        metavar="K",
        default=1000,
        help="measure exact accuracy every K iterations; a run stops at 100%% (default 1000)",
    )
    parser.add_argument(
        "--csv", dest="sweep_csv", metavar="PATH", default=None, help="write one row per run"
    )
    add_kernel_option(parser, None)
    parser.add_argument(
        "--workers",
        type=_whole("workers", 1, 256),
        metavar="W",
        default=None,
        help="processes to spread the runs over (default: every core)",
    )


_APP_OPTIONS = ("seed", "hidden", "alpha", "bits", "cell", "init", "load")


def plan_from(args: argparse.Namespace) -> SweepPlan:
    """The sweep the options describe; a UsageError for anything unusable."""
    from model.sweep import SweepPlan

    given = [f"--{name}" for name in _APP_OPTIONS if getattr(args, name, None) is not None]
    if given or getattr(args, "resume", False):
        first = given[0] if given else "--resume"
        raise UsageError(f"{first} before 'sweep' is an app option; put sweep options after it")
    inits = tuple(args.sweep_inits) if args.sweep_inits else ((-1.0, 1.0),)
    if len(set(inits)) != len(inits):
        raise UsageError("--init names the same range more than once")
    if args.check_every > args.sweep_iterations:
        raise UsageError(
            f"--check-every {args.check_every} is more than --iterations "
            f"{args.sweep_iterations}: no run would ever be checked"
        )
    try:
        plan = SweepPlan(
            cells=args.sweep_cells,
            hiddens=args.sweep_hiddens,
            inits=inits,
            seeds=args.sweep_seeds,
            alpha=args.sweep_alpha,
            bits=args.sweep_bits,
            iterations=args.sweep_iterations,
            check_every=args.check_every,
        )
    except ValueError as err:
        raise UsageError(str(err)) from None
    if plan.count > MAX_RUNS:  # a plan lists its runs only when it runs: counting is cheap
        raise UsageError(f"that is {plan.count:,} runs; a sweep makes at most {MAX_RUNS:,}")
    return plan


class _ProgressBar:
    """`[#####.....] 45%  3/20 runs  ETA 1:23` on a terminal's stderr; nothing otherwise."""

    WIDTH = 24

    def __init__(self, stream: TextIO, total: int, runs: int) -> None:
        self.stream, self.total, self.runs = stream, max(1, total), runs
        self.done = self.finished = 0
        self.began = time.monotonic()
        self.shown = self.began - 1.0  # the first progress draws at once, then 5 a second
        self.active = stream.isatty()

    def advance(self, amount: int) -> None:
        self.done += amount
        self._show()

    def finish_run(self) -> None:
        self.finished += 1
        self._show()

    def _show(self, force: bool = False) -> None:
        now = time.monotonic()
        if not self.active or (now - self.shown < 0.2 and not force):
            return
        self.shown = now
        fraction = min(1.0, self.done / self.total)
        filled = round(fraction * self.WIDTH)
        elapsed = now - self.began
        eta = "-:--"
        if fraction > 0:
            left = round(elapsed * (1 - fraction) / fraction)
            eta = f"{left // 60}:{left % 60:02d}"
        bar = "#" * filled + "." * (self.WIDTH - filled)
        line = f"\r[{bar}] {fraction:4.0%}  {self.finished}/{self.runs} runs  ETA {eta} "
        try:
            self.stream.write(line)
            self.stream.flush()
        except OSError:
            self.active = False

    def close(self) -> None:
        if self.active:
            try:
                self.stream.write("\r" + " " * 60 + "\r")
                self.stream.flush()
            except OSError:
                pass


class _CsvRows:
    """The CSV, written in plan order as soon as each next row is known."""

    def __init__(self, handle: TextIO) -> None:
        from model.sweep import CSV_HEADER

        self.handle = handle
        self.rows: dict[int, str] = {}
        self.next = 0
        self.problem = _write_csv(handle, CSV_HEADER + "\n")

    def add(self, result: RunResult) -> None:
        self.rows[result.index] = result.csv_row() + "\n"
        chunk = []
        while self.next in self.rows:
            chunk.append(self.rows.pop(self.next))
            self.next += 1
        if chunk and self.problem is None:
            self.problem = _write_csv(self.handle, "".join(chunk), flush=True)

    def close(self) -> str | None:
        try:
            self.handle.close()
        except OSError as err:
            self.problem = self.problem or err.strerror or str(err)
        return self.problem


def run_sweep_command(args: argparse.Namespace) -> int:
    from model.sweep import default_workers, run_sweep, summarise, table_lines

    plan = plan_from(args)
    csv_path = args.sweep_csv
    if csv_path is not None:
        _check_csv_target(csv_path)
    workers = args.workers or default_workers()
    kernel = use_kernel(args, plan.cells)
    start_up.loaded()  # the sweep is the long part (its worker processes start afresh)
    csv_rows = _CsvRows(_open_csv(csv_path)) if csv_path is not None else None
    bar = _ProgressBar(sys.stderr, plan.work, plan.count)
    out = _Output(sys.stdout)

    def row(result: RunResult) -> None:
        bar.finish_run()
        if csv_rows is not None:
            csv_rows.add(result)

    began = time.perf_counter()
    try:
        results = run_sweep(plan, workers=workers, on_row=row, on_progress=bar.advance)
    except RuntimeError as err:
        bar.close()
        print(f"rnn-tui: error: {printable(str(err))}", file=sys.stderr)
        return 1
    finally:
        bar.close()
        problem = csv_rows.close() if csv_rows is not None else None
    elapsed = time.perf_counter() - began
    assert results is not None  # nothing asks it to stop but an interrupt
    for line in table_lines(summarise(results)):
        out.write(line + "\n")
    runs = len(results)
    out.write(
        f"# {runs:,} runs in {elapsed:.1f} s on {min(workers, runs)} "
        f"worker{'s' if min(workers, runs) > 1 else ''}; exact accuracy checked every "
        f"{plan.check_every:,} iterations, at most {plan.iterations:,}\n"
    )
    out.write(f"# {kernel.line_for(plan.cells)}\n")
    out.flush()
    problems = []
    if problem is not None:
        problems.append(f"cannot write CSV file {csv_path!r}: {problem}")
    if out.failed is not None and not out.reader_left:
        problems.append(f"cannot write the output: {out.failed.strerror or out.failed}")
    for line in problems:
        print(f"rnn-tui: error: {printable(line)}", file=sys.stderr)
    return 1 if problems else 0
