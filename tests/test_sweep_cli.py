"""`rnn-tui sweep` as a user runs it: the table, the CSV, the progress bar, bad input,
and rows a reader can check seed by seed with `rnn-tui train` and `rnn-tui eval`."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, run_cli

from model.sweep import CSV_HEADER

QUICK = ("--bits", "6", "--alpha", "1.0", "--check-every", "500")


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open() as handle:
        return list(csv.DictReader(handle))


def test_sweep_prints_the_table_and_writes_one_csv_row_per_run(tmp_path: Path) -> None:
    out = tmp_path / "runs.csv"
    result = run_cli(
        "sweep",
        "--hidden",
        "2,8",
        "--seeds",
        "0-2",
        "--init",
        "-1,1",
        "--init",
        "0,1",
        "--iterations",
        "2500",
        "--csv",
        str(out),
        "--workers",
        "1",
        *QUICK,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # not a terminal: no progress bar
    lines = result.stdout.splitlines()
    assert lines[0].split() == [
        "cell",
        "hidden",
        "init",
        "converged",
        "median",
        "q1",
        "q3",
        "mean",
        "exact",
    ]
    settings = [line.split()[:3] for line in lines[1:5]]
    assert settings == [
        ["rnn", "2", "-1,1"],
        ["rnn", "2", "0,1"],
        ["rnn", "8", "-1,1"],
        ["rnn", "8", "0,1"],
    ]
    assert lines[5].startswith("# 12 runs")
    assert out.read_text().splitlines()[0] == CSV_HEADER
    rows = _rows(out)
    assert [(r["hidden"], r["init_low"], r["seed"]) for r in rows] == [
        (h, lo, s) for h in ("2", "8") for lo in ("-1.0", "0.0") for s in ("0", "1", "2")
    ]
    for row in rows:
        assert (row["cell"], row["alpha"], row["bits"], row["init_high"]) == (
            "rnn",
            "1.0",
            "6",
            "1.0",
        )
        if row["converged_at"]:
            assert row["final_exact"] == "1.0"
            assert row["iterations_run"] == row["converged_at"]
        else:
            assert float(row["final_exact"]) < 1.0 and row["iterations_run"] == "2500"
    # the table's counts are the CSV's
    converged_8 = sum(
        1 for r in rows if r["hidden"] == "8" and r["init_low"] == "-1.0" and r["converged_at"]
    )
    assert lines[3].split()[3] == f"{converged_8}/3"


def test_rows_can_be_checked_seed_by_seed_with_train_and_eval(tmp_path: Path) -> None:
    out = tmp_path / "runs.csv"
    result = run_cli(
        "sweep",
        "--hidden",
        "8",
        "--seeds",
        "0-3",
        "--iterations",
        "3000",
        "--csv",
        str(out),
        "--workers",
        "2",
        *QUICK,
    )
    assert result.returncode == 0, result.stderr
    rows = _rows(out)
    converged = [r for r in rows if r["converged_at"]]
    assert converged
    for row in converged[:2]:
        at = int(row["converged_at"])
        for iterations, expected in ((at, "100.00%"), (at - 500, None)):
            ckpt = tmp_path / f"seed{row['seed']}_{iterations}.npz"
            trained = run_cli(
                "train",
                "--seed",
                row["seed"],
                "--hidden",
                "8",
                "--bits",
                "6",
                "--alpha",
                "1.0",
                "--iterations",
                str(iterations),
                "--quiet",
                "--save",
                str(ckpt),
            )
            assert trained.returncode == 0, trained.stderr
            shown = run_cli("eval", "--load", str(ckpt))
            assert shown.returncode == 0, shown.stderr
            exact = shown.stdout.split("exact sums ")[1].split()[0]
            if expected is None:
                assert exact != "100.00%"  # the check before converged_at was below 100%
            else:
                assert exact == expected


BAD = [
    (["--hidden", "0"], "hidden must be between 1 and 1024, got 0"),
    (["--hidden", "8-1"], "hidden range 8-1 runs backwards"),
    (["--hidden", ""], "hidden list is empty"),
    (["--hidden", "1,,2"], "hidden list must be numbers and ranges like 1-8,16"),
    (["--hidden", "1-3,x"], "hidden list must be numbers and ranges like 1-8,16"),
    (["--seeds", "-1"], "seed list must be numbers and ranges"),
    (["--seeds", "0-4294967296"], "seed must be between 0 and 4294967295"),
    (["--seeds", "0-2000000"], "too long"),
    (["--seeds", "3,1-4"], "seed list names 3 more than once"),
    (["--cell", "rnn,tree"], "cell must be one of rnn, lstm, gru, got 'tree'"),
    (["--cell", "rnn,,gru"], "cell list must be cells separated by commas"),
    (["--cell", "gru,gru"], "more than once"),
    (["--init", "1,0"], "init range needs LO < HI"),
    (["--init", "0,inf"], "init bounds must be finite"),
    (["--init", "0,1", "--init", "0,1"], "same range more than once"),
    (["--alpha", "0"], "alpha must be a positive finite number"),
    (["--bits", "40"], "bits must be between 2 and 32"),
    (["--iterations", "0"], "iterations must be between 1"),
    (["--iterations", "100", "--check-every", "1000"], "no run would ever be checked"),
    (["--check-every", "0"], "check-every must be between 1"),
    (["--workers", "0"], "workers must be between 1 and 256"),
    (["--workers", "two"], "workers must be a whole number"),
    (["--frobnicate"], "unrecognized arguments"),
    (
        ["--hidden", "1-1000", "--seeds", "0-99999", "--init", "0,1", "--init", "0,2"],
        "runs; a sweep makes at most",
    ),
]


@pytest.mark.parametrize(("options", "message"), BAD, ids=[" ".join(b[0]) for b in BAD])
def test_bad_options_are_one_line_and_exit_2(options: list[str], message: str) -> None:
    result = run_cli("sweep", *options)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_app_options_before_sweep_are_refused() -> None:
    result = run_cli("--hidden", "4", "sweep")
    assert result.returncode == 2
    assert "put sweep options after it" in result.stderr


def test_an_unwritable_csv_is_refused_before_any_work(tmp_path: Path) -> None:
    folder = tmp_path / "a folder"
    folder.mkdir()
    for target, reason in (
        (folder, "it is a directory"),
        (tmp_path / "missing" / "x.csv", "does not exist"),
    ):
        result = run_cli(
            "sweep", "--iterations", "100000", "--check-every", "1000", "--csv", str(target)
        )
        assert result.returncode == 2
        assert reason in result.stderr and result.stderr.count("\n") == 1


def test_a_terminal_gets_a_progress_bar_with_an_eta(tmp_path: Path) -> None:
    import pty

    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tui",
            "sweep",
            "--hidden",
            "2",
            "--seeds",
            "0-1",
            "--iterations",
            "2000",
            "--workers",
            "1",
            *QUICK,
        ],
        stdout=subprocess.PIPE,
        stderr=follower,
        cwd=ROOT,
        text=True,
    )
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    stdout, _ = proc.communicate(timeout=120)
    os.close(leader)
    assert proc.returncode == 0
    assert b"ETA" in seen and b"runs" in seen and b"[" in seen
    assert "0/2" in stdout  # the table still goes to stdout


def _readme_sweep_table() -> dict[tuple[str, str, str], str]:
    """The README's sweep table: (cell, hidden, init) -> "converged/total median"."""
    text = (ROOT / "README.md").read_text()
    lines = text[text.index("| hidden | rnn -1,1 |") :].splitlines()
    columns = [name.split() for name in lines[0].strip("|").split("|")[1:]]
    table = {}
    for line in lines[2:]:
        if not line.startswith("|"):
            break
        hidden, *cells = (cell.strip().strip("*") for cell in line.strip("|").split("|"))
        for (cell, init), value in zip(columns, cells, strict=True):
            table[(cell, hidden, init)] = value
    return table


@pytest.mark.slow
def test_the_readmes_sweep_table_is_what_the_tool_prints() -> None:
    # some of its cells, the RNN's for 4, 5 and 16 units: the README quotes the tool's table
    readme = _readme_sweep_table()
    result = run_cli(
        "sweep", "--cell", "rnn", "--hidden", "4,5,16", "--init", "-1,1", "--init", "0,1",
        "--seeds", "0-19", "--iterations", "50000", "--check-every", "1000", timeout=900,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    checked = 0
    for line in result.stdout.splitlines():
        parts = line.split()
        if parts and parts[0] == "rnn":
            _, hidden, init, converged, median = parts[:5]
            printed = converged if median == "-" else f"{converged} {median}"
            assert readme[("rnn", hidden, init)] == printed, (hidden, init)
            checked += 1
    assert checked == 6
