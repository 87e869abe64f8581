"""The command line: contracts of ../shared/DESIGN.md, and no tracebacks for users."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest
from conftest import ROOT, blocks_of, run_cli

from model.checkpoint import load_checkpoint


@pytest.mark.parametrize(
    "args",
    [
        ["--hidden", "0"],
        ["--hidden", "-3"],
        ["--hidden", "many"],
        ["--bits", "1"],
        ["--bits", "33"],
        ["--seed", "-1"],
        ["--seed", "1.5"],
        ["--alpha", "0"],
        ["--alpha", "-0.1"],
        ["--alpha", "nan"],
        ["--alpha", "inf"],
        ["--alpha", "fast"],
        ["--frobnicate"],
        ["train", "--iterations", "-5"],
        ["train", "--iterations", "ten"],
        ["train", "--log-every", "0"],
        ["train", "--hidden", ""],
        ["train", "--load", "/no/such/file.npz"],
        ["train", "--save", "/no/such/folder/net.npz"],
        ["eval"],
        ["eval", "--load", "/no/such/file.npz"],
        ["eval", "--load", "."],
        ["--load", "README.md"],
        ["launch"],
        ["--resume", "train", "--iterations", "0"],  # resume is the app's, not train's
        ["--r", "eval"],  # (an abbreviation of it)
    ],
)
def test_bad_options_exit_2_with_one_clear_line(args: list[str]) -> None:
    result = run_cli(*args, timeout=30)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("rnn-tui: error: "), result.stderr
    assert "Traceback" not in result.stderr


def test_help_and_version() -> None:
    help_ = run_cli("--help")
    assert help_.returncode == 0 and "train" in help_.stdout and "--seed" in help_.stdout
    train_help = run_cli("train", "--help")
    assert train_help.returncode == 0 and "--log-every" in train_help.stdout
    version = run_cli("--version")
    assert version.returncode == 0 and version.stdout.startswith("rnn-tui ")


def test_train_save_then_eval(tmp_path) -> None:
    path = tmp_path / "net.npz"
    result = run_cli("train", "--iterations", "8000", "--quiet", "--save", str(path))
    assert result.returncode == 0 and result.stdout == "" and result.stderr == ""
    assert load_checkpoint(path).iteration == 8000
    evaluated = run_cli("eval", "--load", str(path))
    assert evaluated.returncode == 0, evaluated.stderr
    assert "exact sums 100.00%" in evaluated.stdout and "16,384" in evaluated.stdout


def test_resume_from_checkpoint_continues_the_trace(tmp_path) -> None:
    path = tmp_path / "half.npz"
    first = run_cli("train", "--iterations", "5000", "--save", str(path))
    second = run_cli("train", "--load", str(path), "--iterations", "5000")
    whole = run_cli("train")
    assert first.returncode == second.returncode == whole.returncode == 0
    assert blocks_of(first.stdout) + blocks_of(second.stdout) == blocks_of(whole.stdout)


def test_conflicting_options_with_a_checkpoint(tmp_path) -> None:
    path = tmp_path / "net.npz"
    assert run_cli("train", "--iterations", "10", "--quiet", "--save", str(path)).returncode == 0
    result = run_cli("train", "--load", str(path), "--hidden", "8")
    assert result.returncode == 2 and "conflicts" in result.stderr


def test_csv_history(tmp_path) -> None:
    path = tmp_path / "errors.csv"
    result = run_cli(
        "train", "--iterations", "300", "--log-every", "100", "--quiet", "--csv", str(path)
    )
    assert result.returncode == 0
    rows = path.read_text().splitlines()
    assert rows[0] == "iteration,overallError,exactAccuracy" and len(rows) == 301
    first = rows[1].split(",")
    assert first[0] == "1" and float(first[1]) == pytest.approx(3.45638663, abs=5e-9)
    # accuracy where measured: after the iterations that print a block (j % 100 == 0 here)
    assert 0.0 <= float(first[2]) <= 1.0
    assert [r.split(",")[0] for r in rows[1:] if r.split(",")[2]] == ["1", "101", "201"]


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--seed", "١٢"], "seed must be a whole number"),  # Arabic-Indic digits
        (["--hidden", "２"], "hidden must be a whole number"),  # a full-width digit
        (["--hidden", "16_0"], "hidden must be a whole number"),  # int() reads 160
        (["--alpha", "١"], "alpha must be a number"),
        (["--init", "١,٢"], "init must be two numbers"),
        (["--init", "-1e308,1e308"], "too wide"),
        (["sweep", "--seeds", "١"], "seed must be a whole number"),
        (["--resume", "--cell", "lstm"], "no model options (--cell)"),
        (["--resume", "--init", "0,1"], "no model options (--init)"),
        (["gradcheck", "--hidden", "1024"], "up to 64 hidden units (this network has 1024)"),
    ],
)
def test_numbers_are_ascii_and_resume_takes_no_model_option(args, said) -> None:
    done = run_cli(*args)
    assert done.returncode == 2 and said in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.splitlines()) == 1


def test_a_csv_over_the_loaded_checkpoint_is_refused_before_work(tmp_path) -> None:
    path = tmp_path / "mine.npz"
    assert run_cli("train", "--iterations", "10", "--quiet", "--save", str(path)).returncode == 0
    before = path.read_bytes()
    done = run_cli("train", "--load", str(path), "--csv", str(path), "--iterations", "5")
    assert done.returncode == 2 and "--csv names the checkpoint --load reads" in done.stderr
    assert path.read_bytes() == before


@pytest.mark.skipif(os.geteuid() != 0, reason="mknod needs root")
@pytest.mark.parametrize("args", [["--help"], ["--version"], ["train", "--help"], ["gradcheck"]])
def test_output_lost_to_a_full_disk_is_exit_1_and_one_line(tmp_path, args) -> None:
    # a device like the system's full one, made here: every write fails with ENOSPC
    full = tmp_path / "full-device"
    os.mknod(full, 0o666 | stat.S_IFCHR, os.makedev(1, 7))
    with open(full, "w") as out:
        done = subprocess.run(
            [sys.executable, "-m", "tui", *args],
            stdout=out,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            timeout=120,
            cwd=ROOT,
        )
    assert done.returncode == 1, done.stderr
    assert "No space left on device" in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
