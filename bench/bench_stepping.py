"""Lecture stepping after a long run: replay memory, `g` jumps, and b/n/f/enter latency.

How, part 1 (in-process, no screen): a `Session` trains 1,000,000 iterations (seed 0,
the defaults) as the app's training worker does; then the replay states' memory is read
(`Timeline.nbytes`: anchors and cached iteration starts), and `go_to` jumps to JUMPS
iterations drawn with random.Random(0) over the whole history, each timed; the run is
checked bit-identical to a headless twin at three of them.
Targets: replay memory <= 20 MB; a jump <= 1 s median.

How, part 2 (tmux, 80x24, TERM=xterm-256color, as a user sees it): the app trains
1,000,000 iterations from the keyboard (N = 100,000, `t` ten times), jumps with `g` to
iteration 500,000 and to iteration 999,000 in turn, and after each presses the cycle
`b b f enter b n n b` then `b` x 9 (back to where it began) KEY_ROUNDS times; every
press changes the status panel's iteration/phase lines, which `capture-pane` reads about
every 2 ms until they change.
Latency = from just before `tmux send-keys` to the first capture showing the change.
Targets: median <= 50 ms, p90 <= 100 ms per key.

Run from /work/main:  python bench/bench_stepping.py [--tree DIR] [--quick]
(--quick: 100,000 iterations instead of 1,000,000, for a try-out; not the figure.)
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from tmuxapp import TmuxApp, commandline, describe, machine, training, use_tree

JUMPS = 15
KEY_ROUNDS = 6
# from forward t=7 of iteration I back to it: into the update, the next example and back
CYCLE = ["b", "b", "f", "Enter", "b", "n", "n", "b", *["b"] * 9]
STATUS_ROWS = (0, 1)  # iteration and phase lines of the status panel at 80x24
POLL = 0.002
TIMEOUT = 5.0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    rank = q * (len(ordered) - 1)
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def in_process(iterations: int) -> None:
    from model.config import RNNConfig
    from model.network import RNN
    from model.trainer import train
    from tui.session import Session

    session = Session(RNN(RNNConfig()))
    began = time.perf_counter()
    session.train(iterations)
    trained_in = time.perf_counter() - began
    memory = session.timeline.nbytes
    rng = random.Random(0)
    targets = [rng.randrange(iterations + 1) for _ in range(JUMPS)]
    seconds = []
    for target in targets:
        began = time.perf_counter()
        session.go_to(target)
        seconds.append(time.perf_counter() - began)
    checked = 0
    for target in targets[:3]:
        session.go_to(target)
        twin = RNN(RNNConfig())
        train(twin, target)
        assert (session.net.params == twin.params).all(), f"jump to {target} not exact"
        checked += 1
    print(f"== replay states and jumps after {iterations:,} iterations (in-process)")
    print(f"   trained in {trained_in:.1f} s; anchors {len(session.timeline):,}")
    verdict = "OK" if memory <= 20 * 2**20 else "MISSED"
    print(f"   replay memory {memory / 2**20:.2f} MB (target <= 20 MB)  {verdict}")
    median = statistics.median(seconds)
    verdict = "OK" if median <= 1.0 else "MISSED"
    print(
        f"   g to {JUMPS} random iterations: median {median * 1000:.0f} ms, "
        f"p90 {percentile(seconds, 0.9) * 1000:.0f} ms, max {max(seconds) * 1000:.0f} ms "
        f"(target median <= 1 s)  {verdict}; {checked} checked bit-identical"
    )


def status(app: TmuxApp) -> str:
    return app.screen(*STATUS_ROWS)


def press(app: TmuxApp, key: str) -> float:
    before = status(app)
    began = time.perf_counter()
    app.keys(key)
    while status(app) == before:
        if time.perf_counter() - began > TIMEOUT:
            raise TimeoutError(f"{key} changed nothing on screen: {before!r}")
        time.sleep(POLL)
    return (time.perf_counter() - began) * 1000


def in_tmux(iterations: int) -> None:
    runs = iterations // 100_000
    latencies: dict[str, list[float]] = {key: [] for key in set(CYCLE)}
    with TmuxApp("bench-stepping") as app:
        app.set_count(100_000)
        for run in range(runs):
            app.keys("t")
            done = f"iteration {(run + 1) * 100_000:,}"
            app.wait_for(lambda s, done=done: done in s and not training(s), 120.0, poll=0.05)
        for target in (iterations // 2, iterations - 1000):
            app.keys("g")
            app.wait_for(lambda s: "Go to iteration" in s, 5.0, poll=0.01)
            time.sleep(0.5)  # the prompt's input takes the focus a frame after it shows
            app.keys(str(target))
            app.wait_for(lambda s, t=target: str(t) in s, 5.0, poll=0.01)
            app.keys("Enter")
            app.wait_for(lambda s, t=target: f"iteration {t:,}" in s, 30.0, poll=0.01)
            time.sleep(0.5)  # let the accuracy measurement after the jump finish
            for _ in range(KEY_ROUNDS):
                for key in CYCLE:
                    latencies[key].append(press(app, key))
                    time.sleep(0.05)
    print(f"== keypress to screen after {iterations:,} iterations, tmux 80x24")
    for key in ("b", "n", "f", "Enter"):
        values = latencies[key]
        median, p90 = statistics.median(values), percentile(values, 0.9)
        verdict = "OK" if median <= 50 and p90 <= 100 else "MISSED"
        print(
            f"   {key:<5} median {median:5.1f} ms  p90 {p90:5.1f} ms  max {max(values):5.1f} ms"
            f"  ({len(values)} presses)  {verdict}"
        )


def main() -> None:
    quick = "--quick" in sys.argv
    if quick:
        sys.argv.remove("--quick")
    tree = use_tree(__doc__ or "")
    iterations = 100_000 if quick else 1_000_000
    print(f"app: {describe(tree)}; machine: {machine()}  [{commandline()}]")
    in_process(iterations)
    in_tmux(iterations)


if __name__ == "__main__":
    main()
