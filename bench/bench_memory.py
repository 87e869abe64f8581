"""Resident memory and training speed of the app over 1,000,000 iterations with the screen live.

How: `rnn-tui --seed 0` runs in tmux (private server) at 80x24 with TERM=xterm-256color.
N is set to 100,000 and `t` pressed RUNS times, each time waiting until the screen shows
the run finished ("iteration k x 100,000" and no it/s). The rnn-tui process's VmRSS
(/proc/PID/status) is read after every run and sampled every second; each run is timed
from `t` to its final count appearing on screen.

Figures: RSS after the first 100,000 iterations (start), after 1,000,000 (end), growth
(target: within 5 MB), peak; iterations/s of the first run (first 10%) against the last
(last 10%) (target: no slowdown beyond 10%).

The machine is shared, so one run's wall-clock rate swings by +-20% with other load. To
tell a real slowdown from noise, each run is also measured three load-resistant ways:
  * against a headless reference: REFERENCE iterations of `model.trainer.train` in this
    process right after the run (the app idle), in-app rate / reference rate;
  * iterations per CPU second of the app's training worker thread (/proc/PID/task);
  * CPU seconds per wall second of the app's main (UI) thread.
A leak that slowed the app (a growing history redrawn each frame, say) would show as the
UI thread's share rising or the normalised rate falling from first to last run.

Takes a few minutes. Run from /work/main:  python bench/bench_memory.py [--tree DIR]
"""

from __future__ import annotations

import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from tmuxapp import TmuxApp, commandline, describe, machine, thread_cpu, training, use_tree

RUNS = 10
PER_RUN = 100_000
REFERENCE = 20_000
TARGET_GROWTH_MB = 5.0
TARGET_SLOWDOWN = 0.10
POLL = 0.1


@dataclass(frozen=True)
class Run:
    rate: float  # iterations per wall second, `t` to the final count on screen
    reference: float  # headless iterations per second right after
    worker_rate: float  # iterations per CPU second of the training worker
    ui_share: float  # CPU seconds of the main thread per wall second
    rss_kb: int  # after the run


def reference_rate() -> float:
    from model.config import RNNConfig
    from model.network import RNN
    from model.trainer import train

    net = RNN(RNNConfig())
    began = time.perf_counter()
    train(net, REFERENCE)
    return REFERENCE / (time.perf_counter() - began)


def train_once(app: TmuxApp, goal: int, samples: list[int]) -> tuple[float, float, float]:
    """Run `t` until the screen shows `goal`; (seconds, worker CPU s, main-thread CPU s)."""
    cpu_before = cpu_during = thread_cpu(app.pid)
    app.keys("t")
    began = last_sample = time.perf_counter()
    while True:
        cpu_now = thread_cpu(app.pid)  # the worker thread is gone once the run ends
        screen = app.screen(0, 4)
        if training(screen):
            cpu_during = cpu_now
        if app.status(screen)[0] >= goal:
            seconds = time.perf_counter() - began
            break
        if app.dead():
            raise RuntimeError(f"rnn-tui exited:\n{app.screen()}")
        if time.perf_counter() - last_sample >= 1.0:
            samples.append(app.rss_kb())
            last_sample = time.perf_counter()
        time.sleep(POLL)
    used = {tid: cpu_during[tid] - cpu_before.get(tid, 0.0) for tid in cpu_during}
    worker = max((tid for tid in used if tid != app.pid), key=used.__getitem__)
    return seconds, used[worker], used.get(app.pid, 0.0)


def main() -> None:
    tree = use_tree(__doc__ or "")
    reference_rate()  # warm up
    runs: list[Run] = []
    samples: list[int] = []
    with TmuxApp("bench-memory") as app:
        app.set_count(PER_RUN)
        rss_before = app.rss_kb()
        for number in range(1, RUNS + 1):
            seconds, worker_cpu, ui_cpu = train_once(app, number * PER_RUN, samples)
            app.wait_for(lambda s: not training(s), 10.0)
            time.sleep(0.5)  # let the final frame and accuracy probe land
            run = Run(
                PER_RUN / seconds,
                reference_rate(),
                PER_RUN / max(worker_cpu, 1e-9),
                ui_cpu / seconds,
                app.rss_kb(),
            )
            runs.append(run)
            print(
                f"   run {number:2}: iteration {number * PER_RUN:>9,}  {run.rate:7,.0f} it/s "
                f"(headless right after {run.reference:7,.0f}: {run.rate / run.reference:.2f}x; "
                f"worker {run.worker_rate:6,.0f} it/CPU-s; ui thread {run.ui_share:.2f} CPU)  "
                f"RSS {run.rss_kb / 1024:5.1f} MB",
                flush=True,
            )
        screen = app.screen()
    first, last = runs[0], runs[-1]
    growth = (last.rss_kb - first.rss_kb) / 1024
    peak = max([*samples, *(r.rss_kb for r in runs)]) / 1024
    cmd = commandline()
    print(f"app: {describe(tree)}; machine: {machine()}")
    print(f"== memory over {RUNS * PER_RUN:,} iterations trained in the app, 80x24  [{cmd}]")
    rows = [
        ("RSS idle, before training", rss_before / 1024),
        (f"RSS after the first {PER_RUN:,} iterations", first.rss_kb / 1024),
        (f"RSS after {RUNS * PER_RUN:,} iterations", last.rss_kb / 1024),
        ("peak RSS sampled", peak),
    ]
    for label, megabytes in rows:
        print(f"   {label:<40} {megabytes:6.1f} MB")
    verdict = "OK" if abs(growth) <= TARGET_GROWTH_MB else "MISSED"
    print(f"   growth {growth:+.1f} MB   (target within {TARGET_GROWTH_MB:g} MB)  {verdict}")
    print(f"== speed, first 10% (run 1) against last 10% (run {RUNS})  [{cmd}]")

    def compare(
        label: str, early: float, late: float, verdict: str = "", fmt: str = ",.0f"
    ) -> None:
        change = 1 - late / early
        print(f"   {label:<38} {early:9{fmt}} -> {late:9{fmt}}  slowdown {change:+6.1%} {verdict}")

    slowdown = 1 - last.rate / first.rate
    verdict = "OK" if slowdown <= TARGET_SLOWDOWN else "MISSED"
    compare(
        "it/s, wall clock (target <= 10%)", first.rate, last.rate, f"{verdict} (noisy, see below)"
    )
    early = statistics.median(r.rate / r.reference for r in runs[:3])
    late = statistics.median(r.rate / r.reference for r in runs[-3:])
    normalised = 1 - late / early
    verdict = "OK" if normalised <= TARGET_SLOWDOWN else "MISSED"
    compare("it/s / headless, median runs 1-3, 8-10", early, late, verdict, ".2f")
    compare("worker it per CPU-s, run 1 vs last", first.worker_rate, last.worker_rate)
    print(f"   {'ui thread CPU per wall second':<38} {first.ui_share:9.2f} -> {last.ui_share:9.2f}")
    print("== the screen at the end")
    print(screen.rstrip("\n"))


if __name__ == "__main__":
    main()
