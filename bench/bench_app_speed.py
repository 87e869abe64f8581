"""Training speed inside the live app against headless training, measured in one run.

How: `rnn-tui --seed 0` runs in tmux (private server) at 80x24 with TERM=xterm-256color,
with N set to 100,000. ROUNDS rounds alternate, so both sides see the same machine load:

  * headless: `model.trainer.train` on a fresh seed-0 RNN in this process (the app sits
    idle in tmux meanwhile), ITERATIONS / 2 iterations just before and ITERATIONS / 2 just
    after the in-app run, so drifting load on the shared machine hits both sides alike;
    iterations / wall seconds;
  * in the app: `t` trains ITERATIONS iterations with the screen live in a real terminal
    (tmux); the screen is read every POLL seconds, and the rate is ITERATIONS / (seconds
    from sending `t` to the screen first showing the final iteration count). The app's
    own it/s figure, the last one it showed, is printed alongside.

Target: in-app / headless >= 0.85x (median of the per-round ratios), read two ways: the
rate the app shows for the run when it ends (status line "last t: R it/s": N over
the training worker's time), and N over the wall time from the key to the screen, which
adds the terminal's round trip and the poll to a run that lasts 0.2 s with the compiled
kernel. A first run, started as soon as the app's first frame shows, is printed apart:
the app is still choosing its kernel in the background then (importing numba, loading the
compiled loop), which a later run does not share.

To tell the app's own overhead from a busy machine, CPU time is also read: for headless,
this process's CPU seconds per wall second; in the app, per thread from
/proc/PID/task/*/stat over the run (the training worker is the busiest thread; "ui" is
the main thread running Textual; "other" the driver's input/output threads). Iterations
per worker CPU second against headless iterations per CPU second isolates the cost of the
worker's code from the cost of sharing the GIL and the cores.

Run from /work/main:  python bench/bench_app_speed.py [--tree DIR] [--rounds R]
"""

from __future__ import annotations

import re
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from tmuxapp import (
    TmuxApp,
    commandline,
    describe,
    machine,
    number,
    process_cpu,
    thread_cpu,
    use_tree,
)

ROUNDS = 5
ITERATIONS = 100_000
POLL = 0.02
TARGET = 0.85
LAST_RUN = re.compile(r"last t: ([\d,]+) it/s")  # the status line after a run


@dataclass(frozen=True)
class Run:
    iterations: int
    wall: float  # seconds
    cpu: float  # CPU seconds of the training (headless: the process; app: the worker)
    ui_cpu: float = 0.0  # app only: main thread
    other_cpu: float = 0.0  # app only: the remaining threads
    tmux_cpu: float = 0.0  # app only: the tmux server, which parses what the app writes
    shown: int | None = None  # app only: the it/s the app showed for the whole run

    @property
    def rate(self) -> float:
        return self.iterations / self.wall

    @property
    def cpu_rate(self) -> float:
        return self.iterations / max(self.cpu, 1e-9)


def headless(iterations: int) -> Run:
    from model.config import RNNConfig
    from model.network import RNN
    from model.trainer import train

    net = RNN(RNNConfig())
    cpu, began = time.process_time(), time.perf_counter()
    train(net, iterations)
    return Run(iterations, time.perf_counter() - began, time.process_time() - cpu)


def in_app(app: TmuxApp) -> Run:
    start = app.status()[0]
    server = app.server_pid()
    tmux_before = process_cpu(server)
    goal = start + ITERATIONS
    shown: int | None = None
    cpu_before = thread_cpu(app.pid)
    cpu_after = cpu_before
    app.keys("t")
    began = time.perf_counter()
    while True:
        cpu_now = thread_cpu(app.pid)  # the worker thread is gone once training ends
        iteration, rate, _ = app.status(app.screen(0, 4))
        if rate is not None:
            shown, cpu_after = rate, cpu_now
        if iteration >= goal:
            wall = time.perf_counter() - began
            tmux_used = process_cpu(server) - tmux_before
            after = app.wait_for(lambda s: LAST_RUN.search(s) is not None, 5.0, poll=0.02)
            found = LAST_RUN.search(after)
            assert found is not None
            shown = number(found.group(1))
            break
        if app.dead():
            raise RuntimeError("rnn-tui exited during training")
        time.sleep(POLL)
    used = {tid: cpu_after[tid] - cpu_before.get(tid, 0.0) for tid in cpu_after}
    worker = max((tid for tid in used if tid != app.pid), key=used.__getitem__)
    other = sum(v for tid, v in used.items() if tid not in (worker, app.pid))
    ui = used.get(app.pid, 0.0)
    return Run(iteration - start, wall, used[worker], ui, other, tmux_used, shown)


def main() -> None:
    rounds = int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else ROUNDS
    tree = use_tree(__doc__ or "")
    from model.kernel_choice import choose

    kernel = choose("auto")  # the kernel the app picks (its default is auto too)
    headless(1000)  # warm up: imports, first-call costs
    rows: list[tuple[Run, Run]] = []
    with TmuxApp("bench-speed") as app:
        app.set_count(ITERATIONS)
        # The app picks its kernel in the background after its first frame (importing
        # numba, reading the self-check's verdict, loading the compiled loop): a run started
        # within that second shares the process with it. Shown apart, not in the medians.
        first_base, first = headless(ITERATIONS), in_app(app)
        time.sleep(1.0)
        for _ in range(rounds):
            before = headless(ITERATIONS // 2)
            run = in_app(app)
            time.sleep(1.0)  # let the final frame and accuracy probe settle
            after = headless(ITERATIONS // 2)
            both = Run(
                before.iterations + after.iterations,
                before.wall + after.wall,
                before.cpu + after.cpu,
            )
            rows.append((both, run))
        screen = app.screen()
    cmd = commandline()
    print(f"app: {describe(tree)}; machine: {machine()}; both sides: {kernel.line}")
    print(f"== training in the app vs headless, {ITERATIONS:,} iterations a side  [{cmd}]")
    print(
        f"   first run, started as the app's first frame showed (kernel still being chosen):"
        f" app showed {first.shown or 0:,} it/s ({(first.shown or 0) / first_base.rate:.2f}x"
        f" headless); not counted below"
    )
    for i, (base, run) in enumerate(rows, 1):
        print(
            f"   round {i}: headless {base.rate:7,.0f} it/s   app showed {run.shown or 0:7,} it/s"
            f" ({(run.shown or 0) / base.rate:.2f}x)   key to screen {run.rate:7,.0f} it/s"
            f" ({run.rate / base.rate:.2f}x)"
        )
    shown_ratio = statistics.median((r.shown or 0) / b.rate for b, r in rows)
    wall_ratio = statistics.median(run.rate / base.rate for base, run in rows)
    print(f"   median headless {statistics.median(b.rate for b, _ in rows):8,.0f} it/s")
    print(
        f"   median ratio, the app's own rate  {shown_ratio:.2f}x   (target >= {TARGET}x)"
        f"  {'OK' if shown_ratio >= TARGET else 'MISSED'}"
    )
    extra = statistics.median(r.wall - r.iterations / (r.shown or 1) for _, r in rows)
    print(
        f"   median ratio, key to screen       {wall_ratio:.2f}x   (round trip and poll"
        f" included: {extra:.3f} s)"
    )
    print(f"== where the time goes (CPU seconds per wall second, medians)  [{cmd}]")

    def med(values: list[float]) -> float:
        return statistics.median(values)

    print(f"   headless: this process        {med([b.cpu / b.wall for b, _ in rows]):.2f}")
    print(f"   in app:   training worker     {med([r.cpu / r.wall for _, r in rows]):.2f}")
    print(f"             ui (main) thread    {med([r.ui_cpu / r.wall for _, r in rows]):.2f}")
    print(f"             other threads       {med([r.other_cpu / r.wall for _, r in rows]):.2f}")
    print(f"   tmux server (all its work)    {med([r.tmux_cpu / r.wall for _, r in rows]):.2f}")
    cpu_ratio = med([r.cpu_rate / b.cpu_rate for b, r in rows])
    print(
        f"   iterations per CPU second: headless {med([b.cpu_rate for b, _ in rows]):,.0f}, "
        f"app worker {med([r.cpu_rate for _, r in rows]):,.0f}  (ratio {cpu_ratio:.2f}x)"
    )
    print("== the screen after the last round")
    print(screen.rstrip("\n"))


if __name__ == "__main__":
    main()
