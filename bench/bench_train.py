"""Training speed and memory against the tutorial's own program, measured in one run.

Prints, each with the command that produced it:
  * iterations/s of the fast, bit-identical trainer and of the tutorial's program
    (tests/tutorial_reference.py, which performs the tutorial's numpy calls one for one),
    interleaved in rounds in this process, and their ratio (target >= 6x);
  * whole-process wall time of `rnn-tui train --iterations 10000 --quiet` against the
    tutorial's program run as a process for 10000 iterations (target <= 0.3x);
  * peak resident memory of `rnn-tui train` (target < 100 MB).

Run from a checkout with the project installed:  python bench/bench_train.py
"""

from __future__ import annotations

import resource
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

from model.config import RNNConfig  # noqa: E402
from model.network import RNN  # noqa: E402
from model.trainer import train  # noqa: E402

# Many short rounds, each timing both programs back to back (in alternating order), so
# that a burst of load from other tenants of this shared machine lands in few rounds.
ROUNDS = 31
ITERATIONS = 1000


def _fast_rate() -> tuple[float, RNN]:
    net = RNN(RNNConfig())
    began = time.perf_counter()
    train(net, ITERATIONS)
    return ITERATIONS / (time.perf_counter() - began), net


def _tutorial_rate() -> tuple[float, np.ndarray]:
    began = time.perf_counter()
    reference = run_tutorial(ITERATIONS)
    return ITERATIONS / (time.perf_counter() - began), reference.synapse_h


def in_process_ratio() -> None:
    fast_rates, tutorial_rates = [], []
    for round_ in range(ROUNDS):
        if round_ % 2:
            (fast, net), (tutorial, synapse_h) = _fast_rate(), _tutorial_rate()
        else:
            (tutorial, synapse_h), (fast, net) = _tutorial_rate(), _fast_rate()
        assert np.array_equal(net.synapse_h, synapse_h), "not bit-identical"
        fast_rates.append(fast)
        tutorial_rates.append(tutorial)
    ratios = [f / t for f, t in zip(fast_rates, tutorial_rates, strict=True)]
    quartiles = statistics.quantiles(ratios, n=4)
    print("== faithful training speed, side by side in one process  [python bench/bench_train.py]")
    print(f"   {ROUNDS} rounds of {ITERATIONS} iterations each, weights bit-identical every round")
    print(
        f"   fast trainer     median {statistics.median(fast_rates):8,.0f}"
        f"  best {max(fast_rates):8,.0f} iterations/s"
    )
    print(
        f"   tutorial program median {statistics.median(tutorial_rates):8,.0f}"
        f"  best {max(tutorial_rates):8,.0f} iterations/s"
    )
    print(f"   ratio per round  quartiles {' / '.join(f'{q:.2f}' for q in quartiles)}")
    print(f"   best against best {max(fast_rates) / max(tutorial_rates):.2f}x")
    print(f"   median ratio     {statistics.median(ratios):.2f}x   (target >= 6x)")


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


def peak_memory() -> None:
    """Run first: ru_maxrss of children is the largest of all children so far."""
    subprocess.run(
        [sys.executable, "-m", "tui", "train", "--iterations", "10000"],
        check=True,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print("== peak resident memory of `rnn-tui train` (10000 iterations, with summary)")
    print(f"   {peak_kb / 1024:.1f} MB   (target < 100 MB)")


if __name__ == "__main__":
    peak_memory()  # first, before any other child process runs
    in_process_ratio()
    whole_process()
