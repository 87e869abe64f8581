"""The compiled kernel (the `fast` extra) against the tutorial's own program, in one run.

Prints, each with the command that produced it:
  * in-process iterations/s by hidden size and bits: the compiled kernel, the numpy kernel
    and the tutorial's program (tests/tutorial_reference.py, the tutorial's numpy calls one
    for one), interleaved in rounds; medians, quartiles of the per-round ratio, and the
    weights checked bit-identical to the tutorial's in every round (after the tutorial's
    iteration count; the compiled kernel's rate is timed over 10 times as many)
    (targets: compiled >= 100x at hidden 16 and 8 bits, >= 50x at 16 and 32 bits);
  * whole-process wall time of `rnn-tui train --iterations 100000 --quiet --kernel compiled`
    (compile cached) against the tutorial's program run as a process for 100,000
    iterations (target <= 0.03x);
  * a sweep's runs: lockstep numpy (many networks per numpy call) against the compiled
    kernel, one network at a time (model/lockstep.py picks the compiled one when active).

Run from a checkout with the project and its `fast` extra installed:
    python bench/bench_compiled.py            (about 5 minutes)
    python bench/bench_compiled.py --quick    (fewer rounds, no whole-process run)
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from tutorial_reference import run_tutorial  # noqa: E402

from model import kernel_choice  # noqa: E402
from model.config import RNNConfig  # noqa: E402
from model.network import Network  # noqa: E402
from model.trainer import train  # noqa: E402

SHAPES = [(1, 8), (4, 8), (16, 8), (16, 16), (16, 32), (32, 8), (64, 8)]  # (hidden, bits)
TARGETS = {(16, 8): 100.0, (16, 16): 50.0, (16, 32): 50.0}


def _rate(kernel: str, hidden: int, bits: int, iterations: int) -> tuple[float, dict]:
    """Iterations/s of `train` with this kernel, and the weights after `iterations`.

    The compiled kernel trains on for 9 x `iterations` more in the same timed call
    sequence: at some 400,000 iterations/s the tutorial's few hundred iterations take
    about a millisecond, which would time mostly the first chunks' set-up."""
    kernel_choice.adopt(kernel_choice.KernelStatus(kernel, kernel))
    net = Network(RNNConfig(hidden=hidden, bits=bits))
    more = 9 * iterations if kernel == "compiled" else 0
    began = time.perf_counter()
    train(net, iterations)
    weights = {name: getattr(net, name).copy() for name in ("synapse_0", "synapse_1", "synapse_h")}
    train(net, more)
    return (iterations + more) / (time.perf_counter() - began), weights


def _tutorial(hidden: int, bits: int, iterations: int) -> tuple[float, object]:
    began = time.perf_counter()
    reference = run_tutorial(iterations, hidden=hidden, bits=bits)
    return iterations / (time.perf_counter() - began), reference


def _quartiles(values: list[float]) -> str:
    q = statistics.quantiles(values, n=4)
    return f"{q[0]:.1f}/{q[2]:.1f}"


def in_process(rounds: int) -> None:
    print(f"== in-process iterations/s, {rounds} interleaved rounds per row, weights compared")
    print("   with the tutorial's bit for bit every round  [python bench/bench_compiled.py]")
    print(
        f"   {'hidden':>6} {'bits':>4} {'tutorial':>9} {'numpy':>9} {'compiled':>10}"
        f" {'numpy x':>8} {'compiled x':>10} {'(q1/q3)':>13}  target"
    )
    for hidden, bits in SHAPES:
        iterations = max(200, 160_000 // (hidden * bits + 8 * bits))
        rates: dict[str, list[float]] = {"tutorial": [], "numpy": [], "compiled": []}
        for round_ in range(rounds):
            order = ["tutorial", "numpy", "compiled"]
            trained: dict[str, object] = {}
            for kind in order[round_ % 3 :] + order[: round_ % 3]:  # each goes first in turn
                if kind == "tutorial":
                    rate, trained[kind] = _tutorial(hidden, bits, iterations)
                else:
                    rate, trained[kind] = _rate(kind, hidden, bits, iterations)
                rates[kind].append(rate)
            for kind in ("numpy", "compiled"):  # this round's weights, bit for bit
                for name in ("synapse_0", "synapse_1", "synapse_h"):
                    mine, theirs = trained[kind][name], getattr(trained["tutorial"], name)
                    assert mine.tobytes() == theirs.tobytes(), (
                        f"{kind} differs from the tutorial (hidden {hidden}, {bits} bits)"
                    )
        med = {kind: statistics.median(values) for kind, values in rates.items()}
        numpy_x = [n / t for n, t in zip(rates["numpy"], rates["tutorial"], strict=True)]
        compiled_x = [c / t for c, t in zip(rates["compiled"], rates["tutorial"], strict=True)]
        target = TARGETS.get((hidden, bits))
        print(
            f"   {hidden:>6} {bits:>4} {med['tutorial']:>9,.0f} {med['numpy']:>9,.0f}"
            f" {med['compiled']:>10,.0f} {statistics.median(numpy_x):>7.1f}x"
            f" {statistics.median(compiled_x):>9.1f}x {_quartiles(compiled_x):>13}"
            f"  {f'>= {target:g}x' if target else ''}"
        )
    kernel_choice.adopt(kernel_choice.KernelStatus("numpy", "numpy"))


TUTORIAL_PROCESS = (
    "import sys; sys.path.insert(0, 'tests')\n"
    "from tutorial_reference import run_tutorial\n"
    "print('\\n'.join(run_tutorial(100000).blocks))\n"
)


def _timed(command: list[str]) -> float:
    began = time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return time.perf_counter() - began


def whole_process(rounds: int) -> None:
    ours = [sys.executable, "-m", "tui", "train", "--iterations", "100000", "--quiet"]
    ours += ["--kernel", "compiled"]
    _timed(ours)  # compiles (once per machine and version) and caches
    mine, tutorial = [], []
    for _ in range(rounds):
        mine.append(_timed(ours))
        tutorial.append(_timed([sys.executable, "-c", TUTORIAL_PROCESS]))
    ratios = [m / t for m, t in zip(mine, tutorial, strict=True)]
    print("== whole process, 100,000 iterations  [python bench/bench_compiled.py]")
    print(f"   {' '.join(ours[1:])}   median {statistics.median(mine):.2f} s")
    print(f"   the tutorial's program   median {statistics.median(tutorial):.2f} s")
    print(
        f"   ratio median {statistics.median(ratios):.4f}x  (per round "
        f"{', '.join(f'{r:.4f}' for r in ratios)}; target <= 0.03x)"
    )


def sweep(rounds: int) -> None:
    from model.sweep import RunSpec, run_group

    specs = [(i, RunSpec("rnn", 16, (-1.0, 1.0), 0.1, 8, seed)) for i, seed in enumerate(range(16))]
    iterations = 2000
    times: dict[str, list[float]] = {"numpy": [], "compiled": []}
    finals: dict[str, list[object]] = {}
    for round_ in range(rounds):
        for kind in ("numpy", "compiled") if round_ % 2 == 0 else ("compiled", "numpy"):
            kernel_choice.adopt(kernel_choice.KernelStatus(kind, kind))
            began = time.perf_counter()
            finals[kind] = list(run_group(specs, iterations, 10**9))
            times[kind].append(time.perf_counter() - began)
    kernel_choice.adopt(kernel_choice.KernelStatus("numpy", "numpy"))
    assert finals["numpy"] == finals["compiled"], "the sweeps differ"
    per_run = {k: len(specs) * iterations / statistics.median(v) for k, v in times.items()}
    print("== a sweep's group: 16 runs of hidden 16, 2,000 iterations each, results equal")
    print(f"   lockstep numpy  median {statistics.median(times['numpy']):.2f} s"
          f"  ({per_run['numpy']:,.0f} network-iterations/s)")  # fmt: skip
    print(f"   compiled        median {statistics.median(times['compiled']):.2f} s"
          f"  ({per_run['compiled']:,.0f} network-iterations/s)")  # fmt: skip
    ratios = [n / c for n, c in zip(times["numpy"], times["compiled"], strict=True)]
    print(f"   compiled is {statistics.median(ratios):.1f}x lockstep (median of {rounds} rounds)")


if __name__ == "__main__":
    quick = "--quick" in sys.argv[1:]
    print(f"# {kernel_choice.choose('compiled').line}")
    if kernel_choice.active().name != "compiled":
        sys.exit("bench_compiled: the compiled kernel is not available here")
    in_process(5 if quick else 15)
    sweep(3 if quick else 7)
    if not quick:
        whole_process(5)
