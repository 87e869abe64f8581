"""Under `CI=true` a skipped test fails the run (tests/conftest.py), unless allowed.

Each case runs pytest in a child process on a small suite in a temporary folder, with a
copy of this suite's conftest.py, as `.ci/run` would run the real one.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

CONFTEST = Path(__file__).with_name("conftest.py").read_text()

SUITE = {
    "test_runtime_skip.py": """
import pytest
def test_needs_a_browser():
    pytest.skip("no browser here")
def test_fine():
    pass
""",
    "test_mark_skip.py": """
import pytest
@pytest.mark.skipif(True, reason="needs a tool")
def test_needs_a_tool():
    pass
""",
    "test_module_skip.py": """
import pytest
pytest.importorskip("no_such_module_for_rnn_tui", reason="the extra is missing")
def test_never_collected():
    pass
""",
    "test_expected_failure.py": """
import pytest
@pytest.mark.xfail(reason="a known bug", strict=True)
def test_known_bug():
    assert False
""",
}


def run_suite(
    tmp_path: Path, ci: str | None, allowed: dict[str, str] | None = None
) -> tuple[int, str]:
    conftest = CONFTEST
    if allowed:
        conftest += f"\nCI_ALLOWED_SKIPS.update({allowed!r})\n"
    (tmp_path / "conftest.py").write_text(conftest)
    for name, text in SUITE.items():
        (tmp_path / name).write_text(text)
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "PYTEST_ADDOPTS")}
    if ci is not None:
        env["CI"] = ci
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-rA",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:randomly",
            str(tmp_path),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return result.returncode, result.stdout + result.stderr


def test_outside_ci_a_skip_is_a_skip(tmp_path: Path) -> None:
    status, output = run_suite(tmp_path, ci=None)
    assert status == 0, output
    assert "1 passed, 3 skipped, 1 xfailed" in output


@pytest.mark.parametrize("ci", ["true", "TRUE", "1"])
def test_under_ci_every_skip_fails(tmp_path: Path, ci: str) -> None:
    status, output = run_suite(tmp_path, ci=ci)
    assert status == 1, output
    for reason in ("no browser here", "needs a tool", "the extra is missing"):
        assert f"skipped under CI=true: {reason}" in output, output
    assert "CI_ALLOWED_SKIPS" in output
    # the skip in the test fails it, the skip in its setup (a skipif mark) errs it, the
    # skipped file fails the run after the others ran; an xfail is not a skip
    assert "1 failed, 1 passed, 1 skipped, 1 xfailed, 1 error" in output
    assert "test_module_skip.py: skipped under CI=true: the extra is missing" in output


def test_an_allowed_reason_may_skip_under_ci(tmp_path: Path) -> None:
    allowed = {
        "no browser here": "test",
        "needs a tool": "test",
        "the extra is missing": "test",
    }
    status, output = run_suite(tmp_path, ci="true", allowed=allowed)
    assert status == 0, output
    assert "1 passed, 3 skipped, 1 xfailed" in output
    status, output = run_suite(tmp_path, ci="true", allowed={"needs a tool": "test"})
    assert status == 1
    assert "skipped under CI=true: no browser here" in output
    assert "skipped under CI=true: needs a tool" not in output


def test_the_allow_list_is_empty_today() -> None:
    from conftest import CI_ALLOWED_SKIPS

    assert CI_ALLOWED_SKIPS == {}
