"""Keypress-to-screen latency while the app trains, as a terminal user sees it.

How: `rnn-tui --seed 0` runs in tmux (private server) at 80x24 with TERM=xterm-256color.
N is set to 100,000 and `t` starts training. Then PRESSES times, at random gaps of
0.02-0.12 s (a run of 100,000 lasts some 0.2 s with the compiled kernel, 4 s with
numpy's), `-` or `+` is sent (alternately, so N toggles 100,000 <-> 10,000; neither
stops training) and the status panel's "N ..." line is read with `capture-pane` about
every 2 ms until it shows the new N. Latency = from just before `tmux send-keys` to the
first capture showing the change (so it includes tmux delivering the key and the app's
output reaching tmux, as over a real terminal). Whenever a run ends, `t` starts another
before the next press, so every press lands during training (checked: presses that
happen not to be during training are not counted).

The same is measured with the app idle (IDLE_PRESSES presses) as a baseline.
Targets while training: median <= 50 ms, p90 <= 100 ms.

Run from /work/main:  python bench/bench_latency.py [--tree DIR]
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from tmuxapp import COUNT, TmuxApp, commandline, describe, machine, number, training, use_tree

PRESSES = 30
BASE = 100_000  # N toggles BASE <-> BASE / 10 (the app's largest N is 100,000)
GAP = (0.02, 0.12)  # seconds before a press during training: a compiled run lasts 0.2 s
IDLE_PRESSES = 10
POLL = 0.002
TIMEOUT = 2.0
TARGET_MEDIAN, TARGET_P90 = 50.0, 100.0
STATUS_ROWS = (0, 4)  # the status panel's rows on an 80x24 screen


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    rank = q * (len(ordered) - 1)
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def shown_count(app: TmuxApp) -> tuple[int | None, bool]:
    """(N on screen, whether training is under way) from the status rows."""
    screen = app.screen(*STATUS_ROWS)
    found = COUNT.search(screen)
    return (number(found.group(1)) if found else None), training(screen)


def press(app: TmuxApp) -> tuple[float, bool]:
    """Toggle N with + or -; return (milliseconds until the screen shows it, training)."""
    count, training = shown_count(app)
    key, wanted = ("-", BASE // 10) if count == BASE else ("+", BASE)
    began = time.perf_counter()
    app.keys(key)
    while True:
        now, running = shown_count(app)
        if now == wanted:
            return (time.perf_counter() - began) * 1000, training and running
        if time.perf_counter() - began > TIMEOUT:
            raise TimeoutError(f"N never changed to {wanted:,}")
        time.sleep(POLL)


def main() -> None:
    tree = use_tree(__doc__ or "")
    rng = random.Random(0)
    idle: list[float] = []
    busy: list[float] = []
    skipped = restarts = 0
    with TmuxApp("bench-latency") as app:
        app.set_count(BASE)
        for _ in range(IDLE_PRESSES):
            time.sleep(rng.uniform(0.1, 0.3))
            idle.append(press(app)[0])
        app.set_count(BASE)
        while len(busy) < PRESSES:
            count, running = shown_count(app)
            if not running:
                if count != BASE:
                    app.set_count(BASE)
                app.keys("t")
                app.wait_for(training, 5.0, poll=0.01)
                restarts += 1
            time.sleep(rng.uniform(*GAP))
            millis, running = press(app)
            if running:
                busy.append(millis)
            else:
                skipped += 1
        app.keys("t")
    cmd = commandline()
    print(f"app: {describe(tree)}; machine: {machine()}")
    print(f"== keypress to screen (+/- changing N), 80x24, tmux capture-pane  [{cmd}]")
    print(
        f"   idle:     median {statistics.median(idle):5.1f} ms  "
        f"p90 {percentile(idle, 0.9):5.1f} ms  max {max(idle):5.1f} ms  ({len(idle)} presses)"
    )
    median, p90 = statistics.median(busy), percentile(busy, 0.9)
    print(
        f"   training: median {median:5.1f} ms  p90 {p90:5.1f} ms  max {max(busy):5.1f} ms"
        f"  ({len(busy)} presses during training; {restarts} runs started;"
        f" {skipped} presses not counted)"
    )
    print(f"   all training presses, ms: {', '.join(f'{v:.0f}' for v in busy)}")
    verdict = "OK" if median <= TARGET_MEDIAN and p90 <= TARGET_P90 else "MISSED"
    print(f"   targets: median <= {TARGET_MEDIAN:g} ms, p90 <= {TARGET_P90:g} ms  {verdict}")


if __name__ == "__main__":
    main()
