"""Sweep speed: lockstep against the single-network trainer, workers, and the issue's sweep.

Prints, with the load average beside each figure (the machine is shared):
  * aggregate examples/s of a 128-network sweep at hidden 16 (model.sweep, one worker, this
    process) against the single-network trainer's iterations/s (numpy kernel), interleaved
    in rounds; the median ratio and its quartiles (target >= 10x): the sweep in numpy
    lockstep, and, with the `fast` extra, on the compiled kernel (each network its own
    compiled loop, which model/lockstep.py picks when the kernel is active);
  * 256 networks x 10,000 iterations on 2 workers against 1 worker, interleaved (target
    >= 1.6x), with what starting the 2 worker processes costs;
  * with --full: wall time and peak memory (the whole process tree, sampled) of
    `rnn-tui sweep --hidden 1-8,16 --seeds 0-99 --iterations 50000 --check-every 1000`
    (targets <= 5 minutes and <= 500 MB).

Run from a checkout:  python bench/bench_sweep.py [--rounds R] [--full]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from model.config import RNNConfig  # noqa: E402
from model.network import Network  # noqa: E402
from model.sweep import SweepPlan, run_sweep  # noqa: E402
from model.trainer import train  # noqa: E402

HIDDEN = 16
NETWORKS = 128
SINGLE_ITERATIONS = 1500
SWEEP_ITERATIONS = 2000  # long enough that the final evaluation of every run is a small part
# The workers comparison runs longer: starting the worker processes costs some 0.2 s a sweep
# (a fresh interpreter each, importing numpy), a sixth of a 2000-iteration sweep on 2
# workers but little of a real one (the README's run 50,000 iterations); it is printed apart.
WORKER_ITERATIONS = 10_000
CHECK_EVERY = 500
FULL = [
    "sweep", "--hidden", "1-8,16", "--seeds", "0-99", "--iterations", "50000",
    "--check-every", "1000",
]  # fmt: skip


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.2f}/{five:.2f}"


def _single_rate() -> float:
    net = Network(RNNConfig(hidden=HIDDEN))
    began = time.perf_counter()
    train(net, SINGLE_ITERATIONS)
    return SINGLE_ITERATIONS / (time.perf_counter() - began)


def _plan(networks: int, iterations: int) -> SweepPlan:
    return SweepPlan(
        cells=("rnn",),
        hiddens=(HIDDEN,),
        inits=((-1.0, 1.0),),
        seeds=tuple(range(networks)),
        iterations=iterations,
        check_every=CHECK_EVERY,
    )


def _sweep_rate(plan: SweepPlan, workers: int) -> float:
    began = time.perf_counter()
    rows = run_sweep(plan, workers=workers)
    elapsed = time.perf_counter() - began
    assert rows is not None
    return sum(r.iterations_run for r in rows) / elapsed


def _summary(name: str, ratios: list[float], target: float) -> None:
    q1, median, q3 = statistics.quantiles(ratios, n=4, method="inclusive")
    print(
        f"   {name}: median {median:.2f}x  quartiles {q1:.2f} / {q3:.2f}  "
        f"min {min(ratios):.2f}  max {max(ratios):.2f}  (target >= {target}x)"
    )


def _with_kernel(name: str, measure: Callable[[], float]) -> float:
    """`measure()` with `name` (numpy or compiled) training this process's RNNs."""
    from model.kernel_choice import active, adopt, choose

    before = active()
    try:
        choose(name)
        return measure()
    finally:
        adopt(before)


def lockstep_ratio(rounds: int) -> None:
    """The single-network trainer (numpy, as without the extra) against the sweep with
    each kernel; with the compiled one each network trains on its own compiled loop."""
    from model.kernel_choice import choose

    compiled = choose("compiled").name == "compiled"
    plan = _plan(NETWORKS, SWEEP_ITERATIONS)
    kinds = ["numpy"] + (["compiled"] if compiled else [])
    rates: dict[str, list[float]] = {"single": [], **{kind: [] for kind in kinds}}
    before = _load()
    for round_ in range(rounds):
        order = ["single", *kinds]
        for what in order if round_ % 2 == 0 else order[::-1]:
            if what == "single":
                rates["single"].append(_with_kernel("numpy", _single_rate))
            else:
                rates[what].append(_with_kernel(what, lambda: _sweep_rate(plan, 1)))
    print(f"== lockstep sweep against the single-network trainer  [{before} -> {_load()}]")
    singles = rates["single"]
    print(
        f"   {rounds} rounds; single trainer (numpy kernel) median"
        f" {statistics.median(singles):,.0f} it/s; {NETWORKS}-network sweep at hidden"
        f" {HIDDEN}, one worker, median "
        + ", ".join(f"{statistics.median(rates[k]):,.0f} examples/s ({k})" for k in kinds)
    )
    for kind in kinds:
        ratios = [s / t for s, t in zip(rates[kind], singles, strict=True)]
        _summary(f"sweep ({kind} kernel) / single (numpy)", ratios, 10)
    if not compiled:
        print("   (compiled kernel not available here: pip install '.[fast]' adds that row)")


def worker_ratio(rounds: int, kernel: str) -> None:
    from model.kernel_choice import choose

    line = choose(kernel).line
    plan = _plan(2 * NETWORKS, WORKER_ITERATIONS)
    tiny = _plan(2, 10)  # next to nothing to train: what starting 2 workers costs
    ones, twos, starts = [], [], []
    before = _load()
    for round_ in range(rounds):
        began = time.perf_counter()
        run_sweep(tiny, workers=2)
        starts.append(time.perf_counter() - began)
        if round_ % 2:
            twos.append(_sweep_rate(plan, 2))
            ones.append(_sweep_rate(plan, 1))
        else:
            ones.append(_sweep_rate(plan, 1))
            twos.append(_sweep_rate(plan, 2))
    print(f"== 2 workers against 1, {line}  [{before} -> {_load()}]")
    print(
        f"   {rounds} rounds of {2 * NETWORKS} networks x {WORKER_ITERATIONS} iterations; "
        f"median {statistics.median(ones):,.0f} examples/s on 1 worker, "
        f"{statistics.median(twos):,.0f} on 2 (their start included: median"
        f" {statistics.median(starts):.2f} s for a sweep of 2 runs of 10 iterations)"
    )
    _summary("2 workers / 1", [b / a for a, b in zip(ones, twos, strict=True)], 1.6)


def _tree_rss_kb(pid: int) -> int:
    """Resident memory of a process and all its descendants, from /proc."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            with open(f"/proc/{current}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    todo += [int(child) for child in children.read().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def full_sweep() -> None:
    before = _load()
    began = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui", *FULL], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _tree_rss_kb(proc.pid))
        time.sleep(0.5)
    elapsed = time.perf_counter() - began
    output = proc.stdout.read() if proc.stdout else ""
    print(f"== rnn-tui {' '.join(FULL)}  [{before} -> {_load()}]")
    print(f"   {elapsed:.0f} s wall (target <= 300 s), peak memory {peak / 1024:.0f} MB (<= 500)")
    for line in output.splitlines():
        print("   " + line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--full", action="store_true", help="also time the issue's sweep")
    parser.add_argument(
        "--kernel", choices=("numpy", "compiled", "auto"), default="numpy",
        help="the kernel of the workers comparison (default numpy)",
    )  # fmt: skip
    args = parser.parse_args()
    if args.rounds < 2:
        parser.error("--rounds must be at least 2: the spread needs two rounds")
    lockstep_ratio(args.rounds)
    worker_ratio(args.rounds, args.kernel)
    if args.full:
        full_sweep()


if __name__ == "__main__":
    main()
