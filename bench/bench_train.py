"""Training speed and memory against the tutorial's own program, measured in one run.

Prints, each with the command that produced it:
  * by hidden size (1 to 256 units, 8-bit sums): iterations/s of the fast, bit-identical
    trainer and of the tutorial's program (tests/tutorial_reference.py, which performs the
    tutorial's numpy calls one for one), interleaved in rounds in this process; medians,
    the ratio's median and its spread (min-max over the rounds). Weights are compared bit
    for bit every round. Targets: >= 6x at hidden 1-32, >= 3x at 64-256;
  * whole-process wall time of `rnn-tui train --iterations 10000 --quiet` against the
    tutorial's program run as a process for 10000 iterations (target <= 0.3x);
  * peak resident memory of `rnn-tui train`, numpy kernel (target < 100 MB) and compiled.

Run from a checkout with the project installed:
    python bench/bench_train.py [--hidden 1,16,256] [--rounds N] [--table-only]
    python bench/bench_train.py --crossover   # where summing in place starts to pay
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import numpy as np  # noqa: E402
from tutorial_reference import run_tutorial  # noqa: E402

from model.cells.rnn import IN_PLACE_FROM, IterationKernel  # noqa: E402
from model.config import RNNConfig  # noqa: E402
from model.encoding import problem_bits  # noqa: E402
from model.network import RNN  # noqa: E402
from model.trainer import train  # noqa: E402

HIDDEN = (1, 2, 4, 8, 16, 32, 64, 128, 256)
ROUNDS = 15
# Iterations per run, so that the tutorial's run takes ~0.1-0.2 s. A round is one run of
# the tutorial's program and REPEATS runs of ours (each checked bit for bit against it),
# back to back in alternating order: both sides then take about as long, so a burst of
# load from other tenants of this shared machine weighs on them alike and lands in few
# rounds.
ITERATIONS = {64: 300, 128: 200, 256: 100}
SMALL_ITERATIONS = 400
REPEATS = {64: 3, 128: 2, 256: 2}
SMALL_REPEATS = 6
WEIGHTS = ("synapse_0", "synapse_1", "synapse_h")


def _tutorial(hidden: int, iterations: int) -> tuple[float, float, object]:
    """(wall s, process CPU s, the tutorial's final weights)."""
    wall, cpu = time.perf_counter(), time.process_time()
    reference = run_tutorial(iterations, hidden=hidden)
    return time.perf_counter() - wall, time.process_time() - cpu, reference


def _fast(hidden: int, iterations: int, repeats: int) -> tuple[float, float, list[RNN]]:
    """(wall s, process CPU s, the networks) of `repeats` runs of ours, each from the
    tutorial's initial weights (drawing them is timed on both sides)."""
    wall = cpu = 0.0
    nets = []
    for _ in range(repeats):
        began, began_cpu = time.perf_counter(), time.process_time()
        net = RNN(RNNConfig(hidden=hidden))
        train(net, iterations)
        wall += time.perf_counter() - began
        cpu += time.process_time() - began_cpu
        nets.append(net)
    return wall, cpu, nets


def _check(hidden: int, nets: list[RNN], reference: object) -> None:
    for net in nets:
        for name in WEIGHTS:
            same = np.array_equal(getattr(net, name), getattr(reference, name))
            assert same, f"hidden {hidden}: {name} differs from the tutorial's"


def by_hidden_size(sizes: tuple[int, ...], rounds: int, command: str) -> None:
    print(f"== faithful training speed by hidden size, side by side in one process  [{command}]")
    print(f"   8-bit sums, seed 0, alpha 0.1; {rounds} interleaved rounds per size, medians;")
    print("   ratio = ours / tutorial it/s, wall clock (min-max over rounds); CPU: the same")
    print("   ratio in process CPU time; identical: rounds whose weights all matched bit for bit")
    print("   hidden  iterations  tutorial it/s  ours it/s  ratio (min-max)       CPU  identical")
    for hidden in sizes:
        iterations = ITERATIONS.get(hidden, SMALL_ITERATIONS)
        repeats = REPEATS.get(hidden, SMALL_REPEATS)
        ours, theirs, ratios, cpu_ratios, checked = [], [], [], [], 0
        for round_ in range(rounds):
            if round_ % 2:
                mine, mine_cpu, nets = _fast(hidden, iterations, repeats)
                tutorial, tutorial_cpu, reference = _tutorial(hidden, iterations)
            else:
                tutorial, tutorial_cpu, reference = _tutorial(hidden, iterations)
                mine, mine_cpu, nets = _fast(hidden, iterations, repeats)
            _check(hidden, nets, reference)  # every run of every round, bit for bit
            checked += 1
            ours.append(repeats * iterations / mine)
            theirs.append(iterations / tutorial)
            ratios.append(ours[-1] / theirs[-1])
            cpu_ratios.append(repeats * tutorial_cpu / mine_cpu)
        target = 6 if hidden <= 32 else 3
        spread = f"({min(ratios):.2f}-{max(ratios):.2f})"
        print(
            f"   {hidden:6d}  {iterations:10d}  {statistics.median(theirs):13,.0f}"
            f"  {statistics.median(ours):9,.0f}  {statistics.median(ratios):5.2f}x {spread:13s}"
            f"  {statistics.median(cpu_ratios):5.2f}x  {checked}/{rounds}   target >= {target}x",
            flush=True,
        )


CROSSOVER_HIDDEN = (8, 16, 20, 24, 32, 40, 48, 64, 96)


def _update_seconds(hidden: int, in_place: bool) -> float:
    """Best of several timings of the kernel's update step (the only part that differs)."""
    net = RNN(RNNConfig(hidden=hidden))
    kernel = IterationKernel(hidden, net.bits, in_place)
    a, b = net.draw_examples(1)
    X, Y = problem_bits(a, b, net.bits)
    kernel.run(net, X[0], Y[0])  # real states and deltas to sum
    best = float("inf")
    for _ in range(7):
        began = time.perf_counter()
        for _ in range(300):
            kernel.update(net)
        best = min(best, (time.perf_counter() - began) / 300)
    return best


def crossover(command: str) -> None:
    print(f"== summing the gradients: (bits x P) buffer or in place, by hidden size  [{command}]")
    print(f"   update step, best of 7 x 300 calls, 8 bits; in place from {IN_PLACE_FROM} units")
    print("   hidden   buffer us   in place us")
    for hidden in CROSSOVER_HIDDEN:
        buffered = min(_update_seconds(hidden, False) for _ in range(2))
        in_place = min(_update_seconds(hidden, True) for _ in range(2))
        print(f"   {hidden:6d}  {buffered * 1e6:10.2f}  {in_place * 1e6:12.2f}", flush=True)


TUTORIAL_PROCESS = (
    "import sys; sys.path.insert(0, 'tests')\n"
    "from tutorial_reference import run_tutorial\n"
    "print('\\n'.join(run_tutorial(10000).blocks))\n"
)


def timed(command: list[str]) -> float:
    began = time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return time.perf_counter() - began


def whole_process() -> None:
    ours = [sys.executable, "-m", "tui", "train", "--iterations", "10000", "--quiet"]
    theirs = [sys.executable, "-c", TUTORIAL_PROCESS]
    mine, tutorial = [], []
    for _ in range(3):
        mine.append(timed(ours))
        tutorial.append(timed(theirs))
    ratio = statistics.median(m / t for m, t in zip(mine, tutorial, strict=True))
    print("== whole process, 10000 iterations  [python bench/bench_train.py]")
    print(f"   rnn-tui train --iterations 10000 --quiet   median {statistics.median(mine):.2f} s")
    print(
        f"   the tutorial's program                      median {statistics.median(tutorial):.2f} s"
    )
    print(f"   ratio {ratio:.2f}x   (target <= 0.3x)")


# Runs `rnn-tui train` as its only child and prints that child's peak resident KB
# (ru_maxrss of children is the largest of all children so far: one wrapper per figure).
_PEAK_OF_CHILD = """
import resource, subprocess, sys
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def peak_memory() -> None:
    """Peak resident memory of `rnn-tui train`, with each kernel: numba's compiler (LLVM)
    is loaded with the compiled one and takes some 110 MB by itself."""
    print("== peak resident memory of `rnn-tui train --iterations 10000` (with summary)")
    for kernel in ("numpy", "compiled"):
        train = [sys.executable, "-m", "tui", "train", "--iterations", "10000"]
        wrapper = [sys.executable, "-c", _PEAK_OF_CHILD, *train, "--kernel", kernel]
        result = subprocess.run(wrapper, cwd=ROOT, capture_output=True, text=True)
        if result.returncode != 0:
            print(f"   --kernel {kernel:8}  not measured: {result.stderr.strip()[-200:]}")
            continue
        peak_mb = int(result.stdout.split()[-1]) / 1024
        target = "(target < 100 MB)" if kernel == "numpy" else "(numba's LLVM included)"
        print(f"   --kernel {kernel:8}  {peak_mb:6.1f} MB   {target}")


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        message = f"expected hidden sizes like 1,16,256, got {text!r}"
        raise argparse.ArgumentTypeError(message) from None
    if not sizes or min(sizes) < 1 or max(sizes) > 1024:
        raise argparse.ArgumentTypeError(f"hidden sizes must be between 1 and 1024, got {text!r}")
    return sizes


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hidden", type=_sizes, default=HIDDEN, help="sizes, e.g. 1,16,256")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="rounds per size")
    parser.add_argument("--table-only", action="store_true", help="skip process and memory")
    parser.add_argument("--crossover", action="store_true", help="only the crossover table")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error(f"--rounds must be at least 1, got {args.rounds}")
    command = " ".join(["python bench/bench_train.py", *argv])
    if args.crossover:
        crossover(command)
        return
    if not args.table_only:
        peak_memory()
    by_hidden_size(args.hidden, args.rounds, command)
    if not args.table_only:
        whole_process()


if __name__ == "__main__":
    main(sys.argv[1:])
