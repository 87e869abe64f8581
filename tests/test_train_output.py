"""`rnn-tui train`: a lost output or a failing CSV never skips the save (issue 9, item 7).

Before: `rnn-tui train --log-every 1 --save bp.npz | head -1` exited 0 without saving,
and a CSV that could not be written ended the run with no checkpoint. Now the progress
output may go away and the CSV may fail, but the run and the save still happen, and the
exit status says whether everything asked for was done:

* the reader leaves (`| head`): the save or CSV asked for is still written, exit 0; with
  neither asked for the run stops at once, exit 0 (as `yes | head` does);
* the output cannot be written (a full disk), or the CSV cannot: the run finishes, the
  checkpoint is saved, one line on stderr says what failed, exit 1.

Full disks are character devices made with mknod inside tmp_path (major 1, minor 7 is
what /dev/full is: every write fails with ENOSPC), never the system's /dev/full.
"""

from __future__ import annotations

import os
import resource
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, blocks_of, run_cli

from model.checkpoint import load_checkpoint

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="mknod needs root")


def full_device(path: Path) -> Path:
    os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 7))
    return path


def start(*args: str, **popen: object) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tui", *args],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        **popen,  # type: ignore[call-overload]
    )


def read_one_line_and_leave(proc: subprocess.Popen[bytes]) -> tuple[bytes, int, str]:
    """What `| head -1` does: read a line, close the pipe; then wait for the writer."""
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read().decode()
    return first, proc.wait(timeout=300), err


def test_a_reader_that_leaves_does_not_skip_the_save(tmp_path: Path) -> None:
    target = tmp_path / "bp.npz"
    # 5,000 blocks are far more than a pipe holds, so the writer is still writing when
    # the reader leaves and every later write fails with EPIPE.
    proc = start(
        "train",
        "--iterations",
        "5000",
        "--log-every",
        "1",
        "--save",
        str(target),
        stdout=subprocess.PIPE,
    )
    first, status, err = read_one_line_and_leave(proc)
    assert first.startswith(b"Error:[")
    assert (status, err) == (0, "")
    assert load_checkpoint(target).iteration == 5000


def test_a_reader_that_leaves_does_not_skip_the_csv(tmp_path: Path) -> None:
    csv = tmp_path / "log.csv"
    proc = start(
        "train",
        "--iterations",
        "3000",
        "--log-every",
        "1",
        "--csv",
        str(csv),
        stdout=subprocess.PIPE,
    )
    _, status, err = read_one_line_and_leave(proc)
    assert (status, err) == (0, "")
    rows = csv.read_text().splitlines()
    assert len(rows) == 3001 and rows[-1].startswith("3000,")


def test_with_nothing_else_asked_a_reader_that_leaves_ends_the_run(tmp_path: Path) -> None:
    # 100 million iterations would take hours: only stopping at the broken pipe ends it
    # within the timeout.
    proc = start("train", "--iterations", "100000000", "--log-every", "1", stdout=subprocess.PIPE)
    first, status, err = read_one_line_and_leave(proc)
    assert first.startswith(b"Error:[") and (status, err) == (0, "")


@needs_root
def test_output_to_a_full_disk_still_saves_and_exits_1(tmp_path: Path) -> None:
    target = tmp_path / "run.npz"
    with open(full_device(tmp_path / "full"), "wb") as full:
        proc = start(
            "train",
            "--iterations",
            "400",
            "--log-every",
            "1",
            "--save",
            str(target),
            stdout=full,
        )
        _, err = proc.communicate(timeout=300)
    assert proc.returncode == 1
    assert err.decode() == "rnn-tui: error: cannot write the output: No space left on device\n"
    assert load_checkpoint(target).iteration == 400


@needs_root
def test_a_csv_on_a_full_disk_still_saves_and_says_so(tmp_path: Path) -> None:
    target, csv = tmp_path / "run.npz", full_device(tmp_path / "full")
    proc = start(
        "train",
        "--iterations",
        "600",
        "--log-every",
        "100",
        "--csv",
        str(csv),
        "--save",
        str(target),
        stdout=subprocess.PIPE,
    )
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 1
    assert err.decode() == (
        f"rnn-tui: error: cannot write CSV file {str(csv)!r}: No space left on device; "
        f"the run finished and was saved to {str(target)!r}\n"
    )
    assert load_checkpoint(target).iteration == 600
    text = out.decode()
    assert len(blocks_of(text)) == 6 and f"# saved to {target}" in text


def _limit_file_size(limit: int):
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit gets EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_a_csv_that_fills_its_quota_halfway_still_saves(tmp_path: Path) -> None:
    # A real fault halfway through the run: the file-size limit stops the CSV at 20 kB
    # (the checkpoint of a 16-unit network is about 4 kB, under it).
    target, csv = tmp_path / "run.npz", tmp_path / "log.csv"
    proc = start(
        "train",
        "--iterations",
        "3000",
        "--quiet",
        "--csv",
        str(csv),
        "--save",
        str(target),
        stdout=subprocess.PIPE,
        preexec_fn=_limit_file_size(20_000),
    )
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 1 and out == b""
    assert err.decode() == (
        f"rnn-tui: error: cannot write CSV file {str(csv)!r}: File too large; "
        f"the run finished and was saved to {str(target)!r}\n"
    )
    assert 0 < csv.stat().st_size <= 20_000
    assert load_checkpoint(target).iteration == 3000


def test_a_failing_csv_and_a_failing_save_are_two_lines(tmp_path: Path) -> None:
    # the limit is below the checkpoint's size too: both fail, both are reported
    target, csv = tmp_path / "run.npz", tmp_path / "log.csv"
    proc = start(
        "train",
        "--iterations",
        "3000",
        "--quiet",
        "--csv",
        str(csv),
        "--save",
        str(target),
        stdout=subprocess.PIPE,
        preexec_fn=_limit_file_size(1_000),
    )
    _, err = proc.communicate(timeout=300)
    lines = err.decode().splitlines()
    assert proc.returncode == 1 and len(lines) == 2, lines
    assert lines[0] == f"rnn-tui: error: cannot write CSV file {str(csv)!r}: File too large"
    assert lines[1] == f"rnn-tui: error: cannot save checkpoint {str(target)!r}: File too large"
    assert not target.exists()


@needs_root
def test_eval_to_a_full_disk_says_so(tmp_path: Path) -> None:
    checkpoint = tmp_path / "run.npz"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "tui",
            "train",
            "--iterations",
            "10",
            "--quiet",
            "--save",
            str(checkpoint),
        ],
        cwd=ROOT,
        check=True,
    )
    with open(full_device(tmp_path / "full"), "wb") as full:
        proc = start("eval", "--load", str(checkpoint), stdout=full)
        _, err = proc.communicate(timeout=300)
    assert proc.returncode == 1
    assert err.decode() == "rnn-tui: error: cannot write the output: No space left on device\n"


def test_one_iteration_is_counted_in_the_singular(tmp_path) -> None:
    path = str(tmp_path / "one.npz")
    done = run_cli("train", "--iterations", "1", "--save", path)
    assert done.returncode == 0, done.stderr
    assert "# 1 iteration in " in done.stdout and "after 1 iteration\n" in done.stdout
    shown = run_cli("eval", "--load", path)
    assert ", 1 iteration\n" in shown.stdout, shown.stdout
    more = run_cli("train", "--iterations", "2", "--quiet")
    assert more.returncode == 0 and more.stdout == ""
