"""Start-up time of the app to a full first frame, in a pseudo-terminal.

How: RUNS times, `rnn-tui --seed 0` is spawned on a fresh pty (os.openpty) sized 80x24
with TIOCSWINSZ, TERM=xterm-256color; its output is read without pause. Times from the
spawn to:

  * first frame: the output so far contains both "pred" (the sums panel) and "Quit" (the
    footer), i.e. the whole main screen has been written once (target: median <= 0.7 s);
  * settled: the last byte written before the output went quiet for QUIET seconds (this
    includes the accuracy probe, measured in a worker after mount, arriving on screen).

Then `q` is sent and the exit awaited (time to exit is shown too). As a floor, the time
for `python -c "import textual.app"` in a subprocess is given, the import cost every
Textual app pays before drawing anything.

Run from /work/main:  python bench/bench_startup.py [--tree DIR]
"""

from __future__ import annotations

import fcntl
import os
import select
import statistics
import struct
import subprocess
import sys
import termios
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from tmuxapp import RNN_TUI, commandline, describe, machine, use_tree

RUNS = 7
QUIET = 0.5
TIMEOUT = 15.0
TARGET = 0.7


@dataclass(frozen=True)
class Startup:
    first_frame: float
    settled: float
    exit: float
    nbytes: int


def spawn_once(width: int = 80, height: int = 24) -> Startup:
    main, child = os.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", height, width, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLORTERM", "NO_COLOR")}
    env.update(TERM="xterm-256color", COLUMNS=str(width), LINES=str(height))
    began = time.perf_counter()
    process = subprocess.Popen(
        [str(RNN_TUI), "--seed", "0"],
        stdin=child,
        stdout=child,
        stderr=child,
        env=env,
        start_new_session=True,
    )
    os.close(child)
    data = b""
    first_frame = last_byte = 0.0
    try:
        while True:
            wait = QUIET if first_frame else TIMEOUT
            ready, _, _ = select.select([main], [], [], wait)
            now = time.perf_counter()
            if not ready:
                if first_frame:
                    break  # quiet after the first frame: settled
                raise TimeoutError(f"no first frame in {TIMEOUT} s; got {data[-300:]!r}")
            try:
                chunk = os.read(main, 65536)
            except OSError:  # the child closed the pty: it exited
                raise RuntimeError(f"rnn-tui exited early; wrote {data[-500:]!r}") from None
            data += chunk
            last_byte = now
            if not first_frame and b"pred" in data and b"Quit" in data:
                first_frame = now
        quit_sent = time.perf_counter()
        os.write(main, b"q")
        deadline = quit_sent + TIMEOUT
        while process.poll() is None and time.perf_counter() < deadline:
            ready, _, _ = select.select([main], [], [], 0.05)
            if ready:
                try:
                    os.read(main, 65536)
                except OSError:
                    break
        process.wait(timeout=max(0.1, deadline - time.perf_counter()))
        exited = time.perf_counter() - quit_sent
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(main)
    return Startup(first_frame - began, last_byte - began, exited, len(data))


def import_floor() -> float:
    began = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import textual.app"], check=True)
    return time.perf_counter() - began


def main() -> None:
    tree = use_tree(__doc__ or "")
    spawn_once()  # warm the file cache; not counted
    runs = [spawn_once() for _ in range(RUNS)]
    floors = [import_floor() for _ in range(3)]
    cmd = commandline()
    print(f"app: {describe(tree)}; machine: {machine()}")
    print(f"== start-up to the first full frame, pty 80x24, TERM=xterm-256color  [{cmd}]")
    for i, run in enumerate(runs, 1):
        print(
            f"   run {i}: first frame {run.first_frame:.3f} s, settled {run.settled:.3f} s, "
            f"{run.nbytes:,} bytes; exit after q {run.exit:.3f} s"
        )
    first = statistics.median(r.first_frame for r in runs)
    settled = statistics.median(r.settled for r in runs)
    verdict = "OK" if first <= TARGET else "MISSED"
    print(f"   median first frame {first:.3f} s   (target <= {TARGET} s)  {verdict}")
    print(f"   median settled     {settled:.3f} s   (output quiet for {QUIET} s after)")
    print(f"   median exit after q {statistics.median(r.exit for r in runs):.3f} s")
    print(f"   floor: python -c 'import textual.app'  median {statistics.median(floors):.3f} s")


if __name__ == "__main__":
    main()
