"""Bytes the app writes to the terminal during continuous training, and its screen update rate.

How: `rnn-tui --seed 0` runs in tmux (private server) at 80x24 with TERM=xterm-256color;
`tmux pipe-pane -o 'cat >> FILE'` captures everything the app writes to the terminal.
N is set to 100,000 (`+` twice) and `t` starts training; whenever a run ends inside a
window, `t` starts another. Then, over WINDOWS consecutive windows of SECONDS each:

  * bytes: growth of FILE over the window, in KB/s (1 KB = 1000 bytes);
    target <= 20 KB/s.
  * screen updates: `capture-pane` is sampled every 50 ms and every change of the status
    panel's "iteration N" line counts as one update (a 20 Hz sampler can see up to 20
    updates/s, so a 5 Hz screen is counted exactly); target >= 4 per second. As a check
    from the byte stream itself, the number of times the status panel's row "iteration "
    was rewritten is also given (Textual re-sends a refreshed widget's whole region;
    tmux 3.3 does not answer the synchronized-output query, so the stream carries no
    `ESC[?2026h` frame markers to count).

The window bytes are then broken down by kind (colour/style SGR codes, cursor moves,
text, newlines) and by the panel they were drawn in: each byte is charged to the widget
under the last cursor position `ESC[row;colH` (Textual positions the cursor at the start
of every chop, and a chop never straddles two widgets). The 80x24 cell-to-widget map
comes from the same App run headless with `run_test(size=(80, 24))`.

Run from /work/main:  python bench/bench_bandwidth.py [--tree DIR]
"""

from __future__ import annotations

import asyncio
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from tmuxapp import ITERATION, TmuxApp, commandline, describe, machine, training, use_tree

WINDOWS = 3
SECONDS = 10.0
SAMPLE_EVERY = 0.05
TARGET_KBPS = 20.0
TARGET_UPDATES = 4.0

TOKEN = re.compile(
    rb"(?P<sgr>\x1b\[[0-9;:]*m)"
    rb"|(?P<cup>\x1b\[\d*(?:;\d*)?H)"
    rb"|(?P<csi>\x1b\[[0-9;?<>=!$ ]*[@-~])"
    rb"|(?P<osc>\x1b\][^\x07\x1b]*(?:\x07|\x1b\\))"
    rb"|(?P<esc>\x1b.)"
    rb"|(?P<newline>\r\n|\n|\r)"
    rb"|(?P<text>[^\x1b\r\n]+)",
    re.DOTALL,
)
CUP = re.compile(rb"\x1b\[(\d*)(?:;(\d*))?H")


@dataclass
class Window:
    seconds: float
    nbytes: int
    updates: int  # changes of the iteration line seen by the 50 ms sampler
    status_rewrites: int  # times the stream rewrote the status row "iteration "
    restarts: int

    @property
    def kbps(self) -> float:
        return self.nbytes / self.seconds / 1000

    @property
    def per_second(self) -> float:
        return self.updates / self.seconds


def cell_map(width: int = 80, height: int = 24) -> list[list[str]]:
    """The panel name under each cell of the app's main screen, laid out headless."""
    from model.config import RNNConfig
    from model.network import RNN
    from tui.app import RNNApp

    names = {"inputs", "sums", "hidden", "status", "phase", "error"}

    async def layout() -> list[list[str]]:
        app = RNNApp(RNN(RNNConfig()))
        async with app.run_test(size=(width, height)) as pilot:
            await pilot.pause()
            grid = []
            for y in range(height):
                row = []
                for x in range(width):
                    widget, _ = app.screen.get_widget_at(x, y)
                    name = "other (borders, padding)"
                    for node in (widget, *widget.ancestors_with_self):
                        if getattr(node, "id", None) in names:
                            name = str(node.id)
                            break
                        if type(node).__name__ == "Footer":
                            name = "footer"
                            break
                    row.append(name)
                grid.append(row)
            return grid

    return asyncio.run(layout())


def breakdown(data: bytes, cells: list[list[str]]) -> tuple[Counter[str], Counter[str], Counter]:
    """Bytes by kind, bytes by widget, and (widget, kind) bytes."""
    kinds: Counter[str] = Counter()
    widgets: Counter[str] = Counter()
    both: Counter = Counter()
    where = "before the first cursor move"
    for match in TOKEN.finditer(data):
        kind = match.lastgroup or "text"
        size = match.end() - match.start()
        if kind == "cup":
            cup = CUP.fullmatch(match.group())
            row = int(cup.group(1) or 1) - 1 if cup else 0
            col = int(cup.group(2) or 1) - 1 if cup and cup.group(2) else 0
            inside = 0 <= row < len(cells) and 0 <= col < len(cells[0])
            where = cells[row][col] if inside else "outside"
        if kind == "sgr":
            kind = "sgr reset ESC[0m" if match.group() == b"\x1b[0m" else "sgr style (colour)"
        kinds[kind] += size
        widgets[where] += size
        both[(where, kind)] += size
    return kinds, widgets, both


def measure_window(app: TmuxApp, capture: Path) -> Window:
    start_size = capture.stat().st_size
    began = time.monotonic()
    last_line = None
    updates = restarts = 0
    idle_since: float | None = None
    while (now := time.monotonic()) - began < SECONDS:
        screen = app.screen(0, 4)
        found = ITERATION.search(screen)
        line = found.group(0) if found else None
        if line != last_line:
            if last_line is not None:
                updates += 1
            last_line = line
        if not training(screen):  # the run ended: start another, as a lecturer would
            idle_since = idle_since or now
            if now - idle_since > 0.2:
                app.keys("t")
                restarts += 1
                idle_since = None
        else:
            idle_since = None
        time.sleep(max(0.0, SAMPLE_EVERY - (time.monotonic() - now)))
    seconds = time.monotonic() - began
    end_size = capture.stat().st_size
    data = capture.read_bytes()[start_size:end_size]
    return Window(seconds, end_size - start_size, updates, data.count(b"iteration "), restarts)


def main() -> None:
    tree = use_tree(__doc__ or "")
    cells = cell_map()
    with tempfile.TemporaryDirectory(prefix="rnn-bandwidth-") as tmp:
        capture = Path(tmp) / "terminal.bin"
        capture.touch()
        windows: list[Window] = []
        with TmuxApp("bench-bandwidth") as app:
            app.pipe_to(capture)
            app.set_count(100_000)
            app.keys("t")
            app.wait_for(lambda s: training(s), 10.0, poll=0.02)
            time.sleep(0.5)
            offsets = [capture.stat().st_size]
            for _ in range(WINDOWS):
                windows.append(measure_window(app, capture))
                offsets.append(capture.stat().st_size)
            screen = app.screen()
            app.keys("t")
            app.unpipe()
        data = capture.read_bytes()[offsets[0] : offsets[-1]]
        total_seconds = sum(w.seconds for w in windows)

    cmd = commandline()
    print(f"app: {describe(tree)}; machine: {machine()}")
    print(f"== bandwidth during continuous training, 80x24, TERM=xterm-256color  [{cmd}]")
    for i, w in enumerate(windows, 1):
        print(
            f"   window {i}: {w.nbytes:8,} bytes in {w.seconds:.2f} s = {w.kbps:6.1f} KB/s, "
            f"{w.updates} screen updates = {w.per_second:.1f}/s "
            f"(stream: status row rewritten {w.status_rewrites}x; runs restarted {w.restarts})"
        )
    kbps = statistics.median(w.kbps for w in windows)
    rate = statistics.median(w.per_second for w in windows)
    per_frame = statistics.median(w.nbytes / max(w.status_rewrites, 1) for w in windows)
    verdict = "OK" if kbps <= TARGET_KBPS else "MISSED"
    print(f"   median bandwidth      {kbps:6.1f} KB/s  (target <= {TARGET_KBPS:g} KB/s)  {verdict}")
    verdict = "OK" if rate >= TARGET_UPDATES else "MISSED"
    print(f"   median screen updates {rate:6.1f} /s    (target >= {TARGET_UPDATES:g}/s)  {verdict}")
    print(f"   median bytes per screen update {per_frame:,.0f}")

    kinds, widgets, both = breakdown(data, cells)
    total = sum(kinds.values())
    print(f"== bytes by kind, all windows ({total:,} bytes in {total_seconds:.1f} s)  [{cmd}]")
    for kind, size in kinds.most_common():
        kbps = size / total_seconds / 1000
        print(f"   {kind:<20} {size:9,} bytes  {size / total:6.1%}  {kbps:6.1f} KB/s")
    print(f"== bytes by panel (charged to the widget under the last cursor move)  [{cmd}]")
    for widget, size in widgets.most_common():
        sgr = both[(widget, "sgr style (colour)")] + both[(widget, "sgr reset ESC[0m")]
        print(
            f"   {widget:<26} {size:9,} bytes  {size / total:6.1%}  "
            f"{size / total_seconds / 1000:6.1f} KB/s  (SGR codes {sgr / max(size, 1):4.0%})"
        )
    print("== the screen at the end of the last window")
    print(screen.rstrip("\n"))


if __name__ == "__main__":
    main()
