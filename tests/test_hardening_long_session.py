"""Hardening (issue 5, item 6): a long session, 1,000,000 iterations trained in the app.

The real App under Pilot at 80x24 (headless: no terminal, but every frame is composed
and rendered as in one). N is set to 10,000 and `t` pressed 100 times, each run awaited
to its end. After every run: this process's resident size (VmRSS from
/proc/self/status, after a garbage collection), the length of the error history, and
the run's iterations per wall second and per CPU second of the process (the training
thread plus the UI thread). Right after each run, a twin network trains the same
10,000 iterations headless (`model.trainer.train`), timed the same way: the yardstick
for that stretch of training.

What must hold:

* resident size after the last 100,000 iterations within 5 MB of the size after the
  first 100,000 (which carry the one-off costs: caches, buffers, first measurements);
* the error history, and what the sparkline holds, never longer than ERROR_WINDOW;
* no slowdown: over the last 10 runs (the last 10% of the iterations) the app keeps at
  least 90% of the pace it kept over the first 10 (the first 10%), pace being its
  iterations per CPU second over the twin's for the same iterations, median of the 10.
  Two things move the raw rate that are not the app's doing, so both are divided out:
  the twin, because the same code trains some stretches of the run 15% slower than
  others (the numbers themselves change: saturated units, tiny deltas), and the
  machine, which is shared: another tenant's burst changes a stretch's time by 20% and
  more, which short runs paired with their twin and a median of ten ride out. A real
  slowdown, a growing history redrawn every frame, say, lowers the pace. Wall-clock
  rates are reported alongside, and bench/bench_memory.py measures the same in a real
  terminal (tmux), with the app as its own process;
* the app trains exactly what the twin trains: the weights are equal after every run;
* the screen shows the model's own count at the end of every run.

Slow (about four minutes): in the `slow` run of .ci/run. HARDENING_LONG_RUNS changes
the number of runs of 10,000.
"""

from __future__ import annotations

import gc
import os
import statistics
import time
from dataclasses import dataclass

import numpy as np
import pytest
from hardening import Figures, figures_fixture, scaled
from screen import screen_text, workers_done

from model.config import RNNConfig
from model.network import RNN
from model.trainer import train
from tui.app import ERROR_WINDOW, RNNApp
from tui.widgets.error import ErrorPanel

figures = figures_fixture("long session")

PER_RUN = 10_000
MAX_GROWTH_KB = 5 * 1024
MAX_SLOWDOWN = 0.10


@dataclass(frozen=True)
class Run:
    wall_rate: float  # iterations per second
    cpu_rate: float  # iterations per CPU second of this process
    twin_cpu_rate: float  # the same, training the same iterations headless
    rss_kb: int

    @property
    def pace(self) -> float:
        return self.cpu_rate / self.twin_cpu_rate


def resident_kb() -> int:
    gc.collect()
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


def twin_rate(twin: RNN) -> float:
    began = time.process_time()
    train(twin, PER_RUN)
    return PER_RUN / (time.process_time() - began)


async def one_run(app: RNNApp, pilot, twin: RNN) -> Run:
    before = app.stepper.net.iteration
    wall, cpu = time.perf_counter(), time.process_time()
    await pilot.press("t")
    await workers_done(app)
    await pilot.pause()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    after = app.stepper.net.iteration
    assert after - before == PER_RUN, "a run stopped early"
    assert app.training is None
    assert f"iteration {after:,}" in screen_text(app), "the screen lags the model"
    assert len(app.errors) <= ERROR_WINDOW
    assert len(app.query_one(ErrorPanel).errors) <= ERROR_WINDOW
    rss = resident_kb()
    twin_cpu_rate = twin_rate(twin)
    assert np.array_equal(twin.params, app.stepper.net.params), "the app trained differently"
    return Run(PER_RUN / wall, PER_RUN / cpu, twin_cpu_rate, rss)


@pytest.mark.slow
async def test_a_million_iterations_in_the_app_stay_flat(figures: Figures) -> None:
    if not os.path.exists("/proc/self/status"):
        pytest.skip("reads resident size from /proc/self/status (Linux)")
    runs_wanted = scaled("HARDENING_LONG_RUNS", 100)
    tenth = max(1, runs_wanted // 10)
    app, twin = RNNApp(RNN(RNNConfig())), RNN(RNNConfig())
    async with app.run_test(size=(80, 24)) as pilot:
        await workers_done(app)
        await pilot.press("plus")  # N: 1,000 -> 10,000
        assert app.train_count == PER_RUN
        runs = [await one_run(app, pilot, twin) for _ in range(runs_wanted)]
    first, last = runs[:tenth], runs[-tenth:]
    growth = last[-1].rss_kb - first[-1].rss_kb
    first_pace = statistics.median(r.pace for r in first)
    last_pace = statistics.median(r.pace for r in last)
    slowdown = 1 - last_pace / first_pace
    figures.note(f"{runs_wanted * PER_RUN:,} iterations in {runs_wanted} runs of {PER_RUN:,}")
    figures.note(
        f"resident size after the first 10% {first[-1].rss_kb / 1024:.1f} MB, at the end "
        f"{last[-1].rss_kb / 1024:.1f} MB: growth {growth / 1024:+.1f} MB (limit 5 MB), "
        f"peak {max(r.rss_kb for r in runs) / 1024:.1f} MB"
    )

    def medians(part: list[Run]) -> str:
        app = statistics.median(r.cpu_rate for r in part)
        alone = statistics.median(r.twin_cpu_rate for r in part)
        wall = statistics.median(r.wall_rate for r in part)
        return f"app {app:,.0f}/CPU s ({wall:,.0f}/s wall), headless twin {alone:,.0f}/CPU s"

    figures.note(f"first 10%: {medians(first)}")
    figures.note(f"last 10%:  {medians(last)}")
    figures.note(
        f"pace (app over twin, median) first 10% {first_pace:.3f}, last 10% {last_pace:.3f}:"
        f" slowdown {slowdown:+.1%} (limit 10%)"
    )
    figures.note(f"error history at the end: {ERROR_WINDOW:,} values kept at most")
    assert growth <= MAX_GROWTH_KB, f"resident size grew by {growth / 1024:.1f} MB"
    assert slowdown <= MAX_SLOWDOWN, f"the app's pace fell by {slowdown:.1%} over the session"
