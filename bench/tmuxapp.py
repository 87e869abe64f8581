"""Drive the real `rnn-tui` app in tmux, on a private tmux server, for the app benchmarks.

Shared by bench_bandwidth.py, bench_app_speed.py, bench_latency.py and bench_memory.py
(and, for `--tree` and the rnn-tui path, bench_startup.py). Each benchmark starts its own
tmux server (`tmux -L <name>-<pid>`), so it never touches anyone's sessions, and kills that
server when done (also on Ctrl+C or an exception).

The app runs as `env -u COLORTERM -u NO_COLOR TERM=xterm-256color rnn-tui --seed 0`, the
terminal a lecturer has over SSH, in a pane of exactly 80x24 unless told otherwise.

Every script takes `--tree DIR` to measure the code in DIR (e.g. an export of a commit,
`git archive HEAD | tar -x -C DIR`) instead of this checkout: DIR goes first on
PYTHONPATH for the app and for the script's own imports of `model` and `tui`. A file
DIR/COMMIT holding the commit id, if present, is echoed in the output.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

# the app saves its session file when it quits: into a folder of the benchmark's, never
# the real home folder
os.environ["XDG_STATE_HOME"] = tempfile.mkdtemp(prefix="rnn-tui-bench-state-")

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
RNN_TUI = VENV_BIN / "rnn-tui" if (VENV_BIN / "rnn-tui").exists() else ROOT / ".venv/bin/rnn-tui"

ITERATION = re.compile(r"iteration ([\d,]+)")
RATE = re.compile(r"([\d,]+) it/s")
# the progress while a run trains ("  45% 123,456 it/s", in focus "(45%) 123,456 it/s"),
# not the last run's rate the status panel keeps after it ("last t: 123,456 it/s")
PROGRESS = re.compile(r"\d+%\)? +[\d,]+ it/s")


def training(screen: str) -> bool:
    """Is a run training, by what the screen shows?"""
    return PROGRESS.search(screen) is not None


COUNT = re.compile(r"\bN ([\d,]+)")


def use_tree(description: str) -> Path:
    """Parse the common `--tree DIR` option; make `model`/`tui` come from DIR; return DIR."""
    parser = argparse.ArgumentParser(description=description.splitlines()[0])
    parser.add_argument(
        "--tree", type=Path, default=ROOT, help="source tree to measure (default: this checkout)"
    )
    tree = parser.parse_known_args()[0].tree.resolve()  # a bench may take more options
    if not (tree / "tui" / "app.py").is_file():
        parser.error(f"{tree} holds no tui/app.py")
    sys.path.insert(0, str(tree))
    os.environ["PYTHONPATH"] = str(tree)
    return tree


def describe(tree: Path) -> str:
    """Which code is measured: the tree, its commit and whether it has local changes."""
    commit = tree / "COMMIT"
    if commit.is_file():
        return f"{tree} (export of {commit.read_text().strip()[:10]})"
    done = subprocess.run(
        ["git", "-C", str(tree), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
        check=False,
    )
    return f"{tree} (git {done.stdout.strip() or 'unknown'})"


def machine() -> str:
    """How busy the (shared) machine was: CPUs and load averages, for reading the figures."""
    one, five, _ = os.getloadavg()
    return f"{os.cpu_count()} CPUs, load average {one:.2f} (1 min), {five:.2f} (5 min)"


TICK = os.sysconf("SC_CLK_TCK")


def thread_cpu(pid: int) -> dict[int, float]:
    """CPU seconds (user + system) of each thread of `pid`, by thread id."""
    seconds = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # the thread ended meanwhile
            continue
        seconds[int(task.name)] = (int(fields[11]) + int(fields[12])) / TICK
    return seconds


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) of process `pid` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def number(text: str) -> int:
    return int(text.replace(",", ""))


class TmuxApp:
    """One rnn-tui process in a detached tmux session on a private server."""

    def __init__(
        self,
        socket: str,
        *,
        width: int = 80,
        height: int = 24,
        args: str = "--seed 0",
        term: str = "xterm-256color",
    ) -> None:
        self.socket = f"{socket}-{os.getpid()}"
        self.width, self.height = width, height
        path = shlex.quote(os.environ.get("PYTHONPATH", str(ROOT)))
        self.command = (
            f"env -u COLORTERM -u NO_COLOR TERM={term} PYTHONPATH={path} "
            f"{shlex.quote(str(RNN_TUI))} {args}"
        )
        self.pid = 0
        self.socket_path: Path | None = None

    # -- tmux plumbing -------------------------------------------------------------------

    def tmux(self, *args: str, check: bool = True) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=False
        )
        if check and done.returncode != 0:
            raise RuntimeError(f"tmux {' '.join(args)}: {done.stderr.strip()}")
        return done.stdout

    def start(self, ready: str = "Quit", timeout: float = 15.0) -> TmuxApp:
        """Start the server and the app (a crash stays on screen: remain-on-exit)."""
        self.tmux(
            "-f", "/dev/null", "start-server",
            ";", "set-option", "-g", "remain-on-exit", "on",
            ";", "set-option", "-g", "status", "off",
            ";", "new-session", "-d", "-s", "app",
            "-x", str(self.width), "-y", str(self.height), self.command,
        )  # fmt: skip
        self.socket_path = Path(self.tmux("display-message", "-p", "#{socket_path}").strip())
        try:
            self.pid = int(self.tmux("display-message", "-p", "-t", "app", "#{pane_pid}"))
            self.wait_for(lambda screen: ready in screen and "pred" in screen, timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        self.tmux("kill-server", check=False)
        if self.socket_path is not None:  # tmux 3.3 leaves the socket file behind
            self.socket_path.unlink(missing_ok=True)

    def __enter__(self) -> TmuxApp:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "app", *keys)

    def screen(self, first: int | None = None, last: int | None = None) -> str:
        """The pane as text (rows `first`..`last` inclusive, 0-based, when given)."""
        args = ["capture-pane", "-p", "-t", "app"]
        if first is not None:
            args += ["-S", str(first), "-E", str(first if last is None else last)]
        return self.tmux(*args)

    def pipe_to(self, path: Path) -> None:
        """Append everything the app writes to the terminal to `path` (tmux pipe-pane)."""
        self.tmux("pipe-pane", "-o", "-t", "app", f"cat >> {shlex.quote(str(path))}")

    def unpipe(self) -> None:
        self.tmux("pipe-pane", "-t", "app")

    def dead(self) -> bool:
        return self.tmux("display-message", "-p", "-t", "app", "#{pane_dead}").strip() == "1"

    # -- reading the screen ----------------------------------------------------------------

    def wait_for(self, ready: Callable[[str], bool], timeout: float, poll: float = 0.05) -> str:
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if ready(screen):
                return screen
            if self.dead():
                raise RuntimeError(f"rnn-tui exited; its pane shows:\n{screen}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"screen never got ready; it shows:\n{screen}")
            time.sleep(poll)

    def status(self, screen: str | None = None) -> tuple[int, int | None, int]:
        """(iteration, it/s shown or None when not training, N) from the status panel."""
        screen = self.screen() if screen is None else screen
        iteration = ITERATION.search(screen)
        rate = RATE.search(screen)
        count = COUNT.search(screen)
        if iteration is None or count is None:
            raise RuntimeError(f"no status panel on screen:\n{screen}")
        return (
            number(iteration.group(1)),
            number(rate.group(1)) if rate else None,
            number(count.group(1)),
        )

    def set_count(self, wanted: int) -> None:
        """Press + or - until the N on screen is `wanted` (a power of ten)."""
        for _ in range(12):
            count = self.status()[2]
            if count == wanted:
                return
            self.keys("+" if count < wanted else "-")
            self.wait_for(lambda s, c=count: self.status(s)[2] != c, 5.0, poll=0.01)
        raise RuntimeError(f"could not set N to {wanted}")

    def server_pid(self) -> int:
        return int(self.tmux("display-message", "-p", "#{pid}").strip())

    def rss_kb(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS")


def commandline() -> str:
    return "python " + " ".join([os.path.relpath(sys.argv[0], ROOT), *sys.argv[1:]])
