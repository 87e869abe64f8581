"""The LSTM and GRU: training speed against a plain implementation, and evaluation time.

Prints, with the command that produced it (python bench/bench_cells.py [rounds]):
  * iterations/s of each gated cell's fast per-example trainer and of a straightforward
    numpy implementation of DESIGN.md's equations in the tutorial's style
    (tests/cell_reference.py: one numpy call per formula on (1, n) rows), interleaved
    in rounds in this process, weights bit-identical every round, and their ratio
    (target >= 5x); and, when the `fast` extra (numba) is installed and passes its
    self-check, of the compiled loop (model/compiled/gated_loop.py), its first 300
    iterations bit-identical to the numpy kernel's every round, timed over 3,000;
  * the time of exhaustive evaluation (all 16,384 8-bit sums, prefix sharing) of each
    cell at hidden 16 once trained to 100% (target <= 30 ms for the gated cells), as wall
    time and as this process's CPU time (what the other tenants of a shared machine
    cannot inflate as much).

Medians of interleaved rounds with quartiles: the machine is shared, the ratio is
steadier than either rate.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import numpy as np  # noqa: E402
from cell_reference import run_cell  # noqa: E402

from model import kernel_choice  # noqa: E402
from model.config import RNNConfig  # noqa: E402
from model.network import RNN  # noqa: E402
from model.probes import evaluate_net  # noqa: E402
from model.trainer import train  # noqa: E402

ITERATIONS = 300
COMPILED_ITERATIONS = 3000  # 300 take the compiled loop some 5 ms: too short to time
NUMPY = kernel_choice.KernelStatus("numpy", "numpy")


def _rates(cell: str, compiled: kernel_choice.KernelStatus | None) -> tuple[float, ...]:
    kernel_choice.adopt(NUMPY)
    net = RNN(RNNConfig(cell=cell))
    began = time.perf_counter()
    train(net, ITERATIONS)
    fast = ITERATIONS / (time.perf_counter() - began)
    began = time.perf_counter()
    plain = run_cell(cell, ITERATIONS)
    slow = ITERATIONS / (time.perf_counter() - began)
    assert np.array_equal(net.synapse_h, plain.synapse_h), "not bit-identical"
    assert np.array_equal(net.bias, plain.bias), "not bit-identical"
    if compiled is None:
        return fast, slow
    kernel_choice.adopt(compiled)
    by_compiled = RNN(RNNConfig(cell=cell))
    began = time.perf_counter()
    train(by_compiled, ITERATIONS)
    first = time.perf_counter() - began
    assert by_compiled.params.tobytes() == net.params.tobytes(), "compiled: not bit-identical"
    began = time.perf_counter()
    train(by_compiled, COMPILED_ITERATIONS - ITERATIONS)
    rate = COMPILED_ITERATIONS / (first + time.perf_counter() - began)
    kernel_choice.adopt(NUMPY)
    return fast, slow, rate


def _compiled_kernel() -> kernel_choice.KernelStatus | None:
    """The compiled kernel, when it is installed and trains the gated cells here."""
    status = kernel_choice.choose("compiled")
    kernel_choice.adopt(NUMPY)
    if status.name != "compiled" or status.gated_note:
        print(f"   (no compiled column: {status.line_for(['lstm', 'gru'])})")
        return None
    return status


def _quartiles(values: list[float]) -> str:
    q = statistics.quantiles(values, n=4)
    return " / ".join(f"{v:.2f}" for v in q)


def training(rounds: int) -> None:
    print(f"== gated cells' training, side by side  [python bench/bench_cells.py {rounds}]")
    print(f"   {rounds} rounds of {ITERATIONS} iterations each, hidden 16, weights bit-identical")
    compiled = _compiled_kernel()
    for cell in ("lstm", "gru"):
        rates = [_rates(cell, compiled) for _ in range(rounds)]
        fast, slow = [r[0] for r in rates], [r[1] for r in rates]
        ratios = [f / s for f, s in zip(fast, slow, strict=True)]
        print(
            f"   {cell}: fast median {statistics.median(fast):7,.0f} it/s, "
            f"plain median {statistics.median(slow):6,.0f} it/s; ratio median "
            f"{statistics.median(ratios):.2f}x (quartiles {_quartiles(ratios)})  (target >= 5x)"
        )
        if compiled is not None:
            by_compiled = [r[2] for r in rates]
            over_fast = [c / f for c, f in zip(by_compiled, fast, strict=True)]
            over_plain = [c / s for c, s in zip(by_compiled, slow, strict=True)]
            print(
                f"   {cell}: compiled median {statistics.median(by_compiled):7,.0f} it/s "
                f"({COMPILED_ITERATIONS:,} iterations); {statistics.median(over_fast):.1f}x "
                f"the fast numpy kernel (quartiles {_quartiles(over_fast)}), "
                f"{statistics.median(over_plain):.0f}x plain"
            )


def evaluation(repeats: int) -> None:
    print("== exhaustive evaluation, 16,384 sums, hidden 16  [python bench/bench_cells.py]")
    for cell, iterations in (("rnn", 7000), ("lstm", 3000), ("gru", 2000)):
        net = RNN(RNNConfig(cell=cell))
        train(net, iterations)
        for _ in range(3):
            evaluate_net(net)  # warm-up
        times, cpu = [], []
        for _ in range(repeats):
            began, began_cpu = time.perf_counter(), time.process_time()
            acc = evaluate_net(net)
            times.append((time.perf_counter() - began) * 1e3)
            cpu.append((time.process_time() - began_cpu) * 1e3)
        target = "" if cell == "rnn" else "  (target <= 30 ms)"
        print(
            f"   {cell}: wall median {statistics.median(times):6.1f} ms (quartiles "
            f"{_quartiles(times)}), CPU median {statistics.median(cpu):5.1f} ms (quartiles "
            f"{_quartiles(cpu)}) over {repeats} runs; exact {acc.exact:.2%}{target}"
        )


if __name__ == "__main__":
    try:
        rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 9
    except ValueError:
        sys.exit(f"bench_cells.py: rounds must be a whole number, not {sys.argv[1]!r}")
    if rounds < 2:
        sys.exit("bench_cells.py: rounds must be at least 2: the spread needs two rounds")
    training(rounds)
    evaluation(21)
