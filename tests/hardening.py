"""Shared helpers of the hardening tests (issue 5): scale knobs and the figures they report.

Every hardening test runs a number of cases set by an environment variable, so that the
default run stays quick and a long run needs no code change:

    HARDENING_SCALE=10 python -m pytest tests/test_hardening_*.py      # everything x10
    HARDENING_CLI_EXAMPLES=2000 python -m pytest tests/test_hardening_cli.py

The figures (cases, events, trials, seeds, times) are written to the terminal at the end
of each module, whatever the capture mode, and appended to the file named by
HARDENING_FIGURES when that is set.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator

import pytest


def scaled(name: str, default: int) -> int:
    """`default` cases, or `$name`, times `$HARDENING_SCALE` (a float, default 1)."""
    count = int(os.environ.get(name, default))
    return max(1, round(count * float(os.environ.get("HARDENING_SCALE", "1"))))


class Figures:
    """Counters and lines a module reports when it ends."""

    def __init__(self, module: str) -> None:
        self.module = module
        self.counts: dict[str, int] = {}
        self.lines: list[str] = []
        self.began = time.perf_counter()

    def count(self, key: str, by: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + by

    def note(self, line: str) -> None:
        self.lines.append(line)

    def report(self) -> list[str]:
        elapsed = time.perf_counter() - self.began
        out = [f"[{self.module}] {elapsed:.1f} s"]
        out += [f"[{self.module}]   {key}: {value:,}" for key, value in sorted(self.counts.items())]
        out += [f"[{self.module}]   {line}" for line in self.lines]
        return out


def figures_fixture(module: str):
    """A module-scoped fixture yielding a Figures that is printed when the module ends."""

    @pytest.fixture(scope="module")
    def figures(request: pytest.FixtureRequest) -> Iterator[Figures]:
        figs = Figures(module)
        yield figs
        lines = figs.report()
        reporter = request.config.pluginmanager.get_plugin("terminalreporter")
        capture = request.config.pluginmanager.get_plugin("capturemanager")
        if reporter is not None:
            # Outside the capture, so the figures show in a normal run (no -s needed).
            with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
                reporter.write_line("")
                for line in lines:
                    reporter.write_line(line)
        target = os.environ.get("HARDENING_FIGURES")
        if target:
            with open(target, "a", encoding="utf-8") as handle:
                handle.writelines(line + "\n" for line in lines)

    return figures
