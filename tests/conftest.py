"""Shared fixtures: the tutorial's published trace, a way to run the CLI, private state
folders; and under `CI=true`, a skipped test is a failed one (unless its reason is allowed
below)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/tutorial_reference.py

# The ten blocks printed by the tutorial's program (seed 0, 16 hidden, alpha 0.1),
# copied from the published article (the older numpy spacing `[ 3.45...]` normalised).
PUBLISHED_TRACE = """\
Error:[3.45638663]
Pred:[0 0 0 0 0 0 0 1]
True:[0 1 0 0 0 1 0 1]
9 + 60 = 1
------------
Error:[3.63389116]
Pred:[1 1 1 1 1 1 1 1]
True:[0 0 1 1 1 1 1 1]
28 + 35 = 255
------------
Error:[3.91366595]
Pred:[0 1 0 0 1 0 0 0]
True:[1 0 1 0 0 0 0 0]
116 + 44 = 72
------------
Error:[3.72191702]
Pred:[1 1 0 1 1 1 1 1]
True:[0 1 0 0 1 1 0 1]
4 + 73 = 223
------------
Error:[3.5852713]
Pred:[0 0 0 0 1 0 0 0]
True:[0 1 0 1 0 0 1 0]
71 + 11 = 8
------------
Error:[2.53352328]
Pred:[1 0 1 0 0 0 1 0]
True:[1 1 0 0 0 0 1 0]
81 + 113 = 162
------------
Error:[0.57691441]
Pred:[0 1 0 1 0 0 0 1]
True:[0 1 0 1 0 0 0 1]
81 + 0 = 81
------------
Error:[1.42589952]
Pred:[1 0 0 0 0 0 0 1]
True:[1 0 0 0 0 0 0 1]
4 + 125 = 129
------------
Error:[0.47477457]
Pred:[0 0 1 1 1 0 0 0]
True:[0 0 1 1 1 0 0 0]
39 + 17 = 56
------------
Error:[0.21595037]
Pred:[0 0 0 0 1 1 1 0]
True:[0 0 0 0 1 1 1 0]
11 + 3 = 14
------------
"""


def run_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run `rnn-tui ARGS` as a user would, in a child process."""
    return subprocess.run(
        [sys.executable, "-m", "tui", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )


def blocks_of(output: str) -> list[str]:
    """The tutorial-style blocks of `rnn-tui train` output (summary `#` lines dropped)."""
    lines = [line for line in output.splitlines() if not line.startswith("#")]
    text = "\n".join(lines).replace("[ ", "[")
    return [block.strip() + "\n------------" for block in text.split("------------")[:-1]]


@pytest.fixture(autouse=True)
def _kernel_choice_restored() -> Generator[None, None, None]:
    """A test that runs the CLI in this process chooses a kernel for the process: undo it."""
    from model import kernel_choice

    before = kernel_choice.active()
    yield
    kernel_choice.adopt(before)


# -- tests of the compiled kernel run only where the `fast` extra is installed --------------


def has_numba() -> bool:
    return importlib.util.find_spec("numba") is not None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without numba, tests marked `compiled` are deselected, not skipped: the suite runs
    whole without the extra (CI=true refuses skips), and .ci/run runs them again with it."""
    if has_numba():
        return
    needing = [item for item in items if item.get_closest_marker("compiled") is not None]
    if needing:
        config.hook.pytest_deselected(items=needing)
        items[:] = [item for item in items if item.get_closest_marker("compiled") is None]


@pytest.fixture(autouse=True)
def _private_state_folders(tmp_path_factory: pytest.TempPathFactory, monkeypatch) -> None:
    """No test writes to the real home folder: the app's session file goes to a temporary
    XDG_STATE_HOME (and HOME), inherited by the processes tests start."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".local" / "state"))


# -- under CI=true, nothing is skipped ------------------------------------------------------

# The skip reasons CI accepts, each with why: the exact reason text -> the justification.
# Empty: `.ci/run` installs everything the suite needs (Chromium included), so a skip there
# means a check silently did not run. Add an entry only for a test that cannot run on CI's
# machine at all, and say why.
CI_ALLOWED_SKIPS: dict[str, str] = {}


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1")


def _skip_reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    longrepr = report.longrepr  # (file, line, "Skipped: reason") for a skip
    text = str(longrepr[2]) if isinstance(longrepr, tuple) else str(longrepr)
    return text.removeprefix("Skipped: ")


def _refused_skip(report: pytest.TestReport | pytest.CollectReport) -> str | None:
    """The reason of a skip CI does not accept, or None."""
    if not (_in_ci() and report.skipped) or hasattr(report, "wasxfail"):
        return None  # not CI, not a skip, or an expected failure (not a skip)
    reason = _skip_reason(report)
    return None if reason in CI_ALLOWED_SKIPS else reason


HOW_TO_FIX = (
    "CI runs every test: install what it needs in .ci/run, or add the reason with a "
    "justification to CI_ALLOWED_SKIPS in tests/conftest.py"
)
_skipped_files: list[str] = []  # files skipped whole at collection, under CI


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
    outcome = yield
    report = outcome.get_result()
    if (reason := _refused_skip(report)) is not None:  # the test is reported as failed
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true: {reason}\n({HOW_TO_FIX})"


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Generator[None, Any, None]:
    # A module-level importorskip skips a whole file at collection; failing that report
    # would stop the whole run, so it is listed and fails the run at the end instead.
    outcome = yield
    if (reason := _refused_skip(outcome.get_result())) is not None:
        _skipped_files.append(f"{collector.nodeid}: skipped under CI=true: {reason}")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _skipped_files:
        terminalreporter.section("skipped files under CI=true", sep="=", red=True)
        for line in _skipped_files:
            terminalreporter.line(line)
        terminalreporter.line(HOW_TO_FIX)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _skipped_files and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
