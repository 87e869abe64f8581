"""Projector focus and the inspector: keypress-to-screen latency, and bandwidth while training.

How: `rnn-tui --seed 0` runs in tmux (private server, TERM=xterm-256color, see tmuxapp.py).

* Latency, at 80x24 and at 200x60 (one app per size): ROUNDS interleaved rounds, each of
  PRESSES presses of `n` on the main screen (the baseline: until its status rows change),
  PRESSES in the focus sum panel (`z`, then `n`: every step changes the status
  line's phase, read with `capture-pane` about every 2 ms until it differs) and PRESSES in
  the inspector (`i`, then `down`/`up` alternately: read until the statement's first line
  names the new unit). Latency = from just before `tmux send-keys` to the first capture
  showing the change, tmux's delivery and the app's output included. Random gaps of
  0.1-0.3 s between presses. Target: median <= 50 ms, p90 <= 100 ms.
* Bandwidth at 80x24: N = 100,000, `t` trains (restarted when a run ends) while each focus
  panel (sum, hidden, error) is on screen for SECONDS; `tmux pipe-pane` counts the bytes
  the app writes. Target <= 20 KB/s.

The machine is shared: its load averages are printed with the figures.

`--against DIR` measures a second tree (e.g. an export of the commit before a change) in
the same run: both apps are started at each size and every round measures one, then the
other (the order alternating round by round), so both see the same load.

Run from the checkout:  python bench/bench_focus.py [--tree DIR] [--against DIR]
"""

from __future__ import annotations

import os
import random
import re
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from tmuxapp import TmuxApp, commandline, describe, machine, training, use_tree

ROUNDS = 3
PRESSES = 10
POLL = 0.002
TIMEOUT = 3.0
SECONDS = 6.0
TARGET_MEDIAN, TARGET_P90, TARGET_KBPS = 50.0, 100.0, 20.0
STATEMENT = re.compile(r"layer_1(?:_delta)?\[t=\d+\]\[h(\d+)\]")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    rank = q * (len(ordered) - 1)
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def timed(app: TmuxApp, key: str, changed) -> float:  # type: ignore[no-untyped-def]
    """Milliseconds from sending `key` until `changed(screen)` holds."""
    began = time.perf_counter()
    app.keys(key)
    while True:
        if changed(app.screen()):
            return (time.perf_counter() - began) * 1000
        if time.perf_counter() - began > TIMEOUT:
            raise TimeoutError(f"the screen never changed after {key!r}:\n{app.screen()}")
        time.sleep(POLL)


def main_round(app: TmuxApp, rng: random.Random) -> list[float]:
    """The baseline: `n` on the main screen, read until its status rows change."""
    times = []
    for _ in range(PRESSES):
        time.sleep(rng.uniform(0.1, 0.3))
        before = app.screen(0, 4)
        times.append(
            timed(app, "n", lambda s, b=before: "\n".join(s.splitlines()[:5]) != b.rstrip("\n"))
        )
    return times


def focus_round(app: TmuxApp, rng: random.Random) -> list[float]:
    app.keys("z")
    app.wait_for(lambda s: "the sum" in s, 5.0, poll=0.01)
    times = []
    for _ in range(PRESSES):
        time.sleep(rng.uniform(0.1, 0.3))
        before = app.screen(0, 0)
        times.append(timed(app, "n", lambda s, b=before: s.splitlines()[0] != b.rstrip("\n")))
    app.keys("Escape")
    app.wait_for(lambda s: "pred" in s and "the sum" not in s, 5.0, poll=0.01)
    return times


def unit_shown(screen: str) -> int | None:
    found = STATEMENT.search(screen)
    return int(found.group(1)) if found else None


def inspector_round(app: TmuxApp, rng: random.Random) -> list[float]:
    app.keys("i")
    screen = app.wait_for(lambda s: unit_shown(s) is not None, 5.0, poll=0.01)
    times = []
    for _ in range(PRESSES):
        time.sleep(rng.uniform(0.1, 0.3))
        unit = unit_shown(app.screen()) or 0
        key, wanted = ("Down", unit + 1) if unit < 8 else ("Up", unit - 1)
        times.append(timed(app, key, lambda s, w=wanted: unit_shown(s) == w))
    app.keys("Escape")
    app.wait_for(lambda s: "pred" in s and unit_shown(s) is None, 5.0, poll=0.01)
    del screen
    return times


Rounds = dict[str, list[list[float]]]


def app_of(tree: Path, name: str, width: int, height: int) -> TmuxApp:
    """An app running the code in `tree` (PYTHONPATH is read when the app is made)."""
    before = os.environ["PYTHONPATH"]
    os.environ["PYTHONPATH"] = str(tree)
    try:
        return TmuxApp(name, width=width, height=height)
    finally:
        os.environ["PYTHONPATH"] = before


def latency(trees: list[Path], width: int, height: int, rng: random.Random) -> list[Rounds]:
    """Rounds of each tree's app at one size, interleaved (order alternating per round)."""
    results: list[Rounds] = [{"main": [], "focus": [], "inspector": []} for _ in trees]
    with ExitStack() as stack:
        apps = []
        for k, tree in enumerate(trees):
            app = stack.enter_context(app_of(tree, f"bench-focus-{width}-{k}", width, height))
            app.keys(*"nnnn")  # forward t=3: the inspector has values to show
            app.wait_for(lambda s: "forward t=3" in s, 5.0, poll=0.01)
            apps.append(app)
        for round_no in range(ROUNDS):
            order = list(range(len(trees)))
            if round_no % 2:
                order.reverse()
            for k in order:
                app, rounds = apps[k], results[k]
                rounds["main"].append(main_round(app, rng))
                rounds["focus"].append(focus_round(app, rng))
                rounds["inspector"].append(inspector_round(app, rng))
    return results


def bandwidth() -> dict[str, float]:
    """KB/s written while training with each focus panel on screen, at 80x24."""
    rates = {}
    with tempfile.TemporaryDirectory(prefix="rnn-focus-") as tmp:
        capture = Path(tmp) / "terminal.bin"
        capture.touch()
        with TmuxApp("bench-focus-bw") as app:
            app.set_count(100_000)
            app.keys("z")
            app.wait_for(lambda s: "the sum" in s, 5.0, poll=0.01)
            app.pipe_to(capture)
            app.keys("t")
            app.wait_for(lambda s: training(s), 10.0, poll=0.02)
            for panel, title in (("sum", "the sum"), ("hidden", "hidden units"), ("error", "")):
                if panel != "sum":
                    app.keys("z")
                    app.wait_for(lambda s, t=title: t in s or "exact accuracy" in s, 5.0)
                time.sleep(0.5)
                start, began = capture.stat().st_size, time.monotonic()
                while time.monotonic() - began < SECONDS:
                    if not training(app.screen(0, 0)):  # a run ended: start another
                        app.keys("t")
                        time.sleep(0.3)
                    time.sleep(0.1)
                seconds = time.monotonic() - began
                rates[panel] = (capture.stat().st_size - start) / seconds / 1000
            app.keys("t")
            app.unpipe()
    return rates


def verdict(ok: bool) -> str:
    return "OK" if ok else "MISSED"


def against() -> Path | None:
    """Take `--against DIR` out of the arguments (use_tree parses the rest)."""
    if "--against" not in sys.argv:
        return None
    at = sys.argv.index("--against")
    if at + 1 >= len(sys.argv):
        sys.exit("bench_focus.py: --against needs a source tree")
    other = Path(sys.argv[at + 1]).resolve()
    del sys.argv[at : at + 2]
    if not (other / "tui" / "app.py").is_file():
        sys.exit(f"bench_focus.py: {other} holds no tui/app.py")
    return other


def report(rounds: Rounds) -> None:
    for kind, per_round in rounds.items():
        times = [t for r in per_round for t in r]
        medians = [statistics.median(r) for r in per_round]
        median, p90 = statistics.median(times), percentile(times, 0.9)
        target = (
            "(baseline)"
            if kind == "main"
            else verdict(median <= TARGET_MEDIAN and p90 <= TARGET_P90)
        )
        print(
            f"   {kind:<9} median {median:5.1f} ms  p90 {p90:5.1f} ms  max {max(times):5.1f} ms"
            f"  ({len(times)} presses; round medians {min(medians):.1f}..{max(medians):.1f} ms)"
            f"  {target}"
        )


def main() -> None:
    other = against()
    tree = use_tree(__doc__ or "")
    trees = [tree] if other is None else [tree, other]
    rng = random.Random(0)
    cmd = commandline()
    print(f"app: {describe(tree)}; machine at start: {machine()}")
    if other is not None:
        print(f"against: {describe(other)} (rounds interleaved)")
    for width, height in ((80, 24), (200, 60)):
        results = latency(trees, width, height, rng)
        for measured, rounds in zip(trees, results, strict=True):
            print(f"== keypress to screen, {width}x{height}, {measured}  [{cmd}]")
            report(rounds)
        print(f"   machine after: {machine()}")
    rates = bandwidth()
    print(f"== bandwidth while training in focus, 80x24, {SECONDS:g} s per panel  [{cmd}]")
    for panel, kbps in rates.items():
        print(
            f"   {panel:<7} {kbps:6.1f} KB/s  (target <= {TARGET_KBPS:g})"
            f"  {verdict(kbps <= TARGET_KBPS)}"
        )
    print(f"   machine after: {machine()}")


if __name__ == "__main__":
    main()
