"""Time the exhaustive evaluator on the tutorial's trained 8-bit network.

Run from a checkout:  python bench/bench_eval.py

Trains the tutorial's network (seed 0, 16 hidden, alpha 0.1) for 8000 iterations, then
times `evaluate` (prefix sharing) against `evaluate_naive` (one batched forward pass over
every pair) in the same run, and the carry probe. Medians after a warm-up; wall-clock
times on a shared machine vary, the ratio less so.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from probe_reference import evaluate_naive

from model.config import RNNConfig
from model.network import RNN
from model.probes import carry_probe, evaluate
from model.trainer import train

TARGET_MS = 15.0
ITERATIONS = 8000


def median_ms(run: Callable[[], object], repeats: int, warmup: int = 5) -> tuple[float, float]:
    """(median, best) wall-clock milliseconds of `run` over `repeats` calls after a warm-up."""
    for _ in range(warmup):
        run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times), min(times)


def main() -> None:
    net = RNN(RNNConfig())
    train(net, ITERATIONS)
    weights = (net.synapse_0, net.synapse_1, net.synapse_h)
    bits = net.bits

    fast = evaluate(*weights, bits)
    slow = evaluate_naive(*weights, bits)
    if fast != slow:
        raise SystemExit(f"evaluate and evaluate_naive disagree: {fast} vs {slow}")

    fast_ms, fast_best = median_ms(lambda: evaluate(*weights, bits), repeats=50)
    slow_ms, slow_best = median_ms(lambda: evaluate_naive(*weights, bits), repeats=20, warmup=2)
    probe_ms, probe_best = median_ms(lambda: carry_probe(*weights, bits), repeats=50)
    probe = carry_probe(*weights, bits)

    verdict = "ok" if fast_ms <= TARGET_MS else "OVER TARGET"
    print(
        f"exhaustive evaluation of {fast.count:,} sums: {fast_ms:.1f} ms median "
        f"(target <= {TARGET_MS:.0f} ms, {verdict}; best {fast_best:.1f} ms)  "
        f"[python bench/bench_eval.py]"
    )
    print(f"naive batched evaluation:        {slow_ms:.1f} ms median (best {slow_best:.1f} ms)")
    print(f"speedup (median/median):         {slow_ms / fast_ms:.1f}x")
    print(f"carry probe:                     {probe_ms:.1f} ms median (best {probe_best:.1f} ms)")
    print(
        f"after {ITERATIONS} iterations: exact {fast.exact:.4f}, per-bit {fast.per_bit:.4f}; "
        f"carry unit {probe.unit} (r = {probe.correlation:+.3f})"
    )


if __name__ == "__main__":
    main()
