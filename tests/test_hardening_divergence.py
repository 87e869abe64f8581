"""Hardening (issue 5, item 5): extreme settings run in the app and the CLI, honestly.

alpha 1000, hidden 1, hidden 256, bits 2 and bits 32, each:

* in the App under Pilot at 80x24: a few steps, a short training, a settle;
  no exception, no error notification, no warning (warnings are errors here, and the
  worker threads' warnings are recorded too); the status panel states the settings and
  the model's own iteration; the accuracy is labelled a sample exactly when the sums are
  too many to try them all; weights that stay finite are not called DIVERGED;
* on the command line, `python -W error -m tui train --iterations 200 ...` with --save
  (a child process), then `eval` of the saved file (in-process, warnings as errors):
  exit 0, nothing on stderr, the tutorial's blocks on stdout, and a checkpoint that
  loads with the same settings.
"""

from __future__ import annotations

import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, blocks_of
from hardening import Figures, figures_fixture
from screen import screen_lines, workers_done
from test_hardening_app import drain, quick_press

import tui.cli as cli
from model.checkpoint import load_checkpoint
from model.config import RNNConfig
from model.network import RNN
from model.probes import evaluate
from tui.app import RNNApp

figures = figures_fixture("divergence")

SETTINGS = {
    "alpha-1000": {"alpha": 1000.0},
    "hidden-1": {"hidden": 1},
    "hidden-256": {"hidden": 256},
    "bits-2": {"bits": 2},
    "bits-32": {"bits": 32},
}


RUNS = [(name, (80, 24)) for name in SETTINGS]  # the size the design promises


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize(("name", "size"), RUNS, ids=[f"{n}-{w}x{h}" for n, (w, h) in RUNS])
async def test_extreme_settings_in_the_app(
    name: str, size: tuple[int, int], figures: Figures
) -> None:
    config = RNNConfig(**SETTINGS[name])  # type: ignore[arg-type]
    app = RNNApp(RNN(config))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        async with app.run_test(size=size) as pilot:
            await pilot.press("minus")  # N = 100
            await pilot.press(*"nnnn")  # forward steps through the App's own key path
            for _ in range(2 * config.bits):  # the rest of the iteration, quicker
                await quick_press(app, "n")
            await pilot.press("t")
            await workers_done(app)
            await pilot.pause()
            await pilot.press(*"nn")
            await workers_done(app)
            await pilot.pause()
            await drain(app)

            assert app.is_running and app._exception is None
            errors = [n.message for n in app._notifications if n.severity == "error"]
            assert not errors, errors
            net = app.session.stepper.net
            assert net.iteration >= 101, net.iteration  # the stepped one and N = 100
            lines = screen_lines(app)
            text = "\n".join(lines)
            head = re.search(r"iteration ([\d,]+)", text)
            assert head and int(head.group(1).replace(",", "")) == net.iteration
            expected = ["RNN", "seed 0", f"alpha {config.alpha:g}", f"hidden {config.hidden}"]
            if config.bits != 8:
                expected.append(f"bits {config.bits}")
            low, high = config.init
            expected.append(f"init {low:g},{high:g}")
            side = [part.strip() for line in lines for part in line.split("▏")[1:]]
            at = next(i for i, part in enumerate(side) if part.startswith("RNN seed 0"))
            # the settings line and the N line under it, where the words it had no room for
            # go: whole words, in order, the cell to the bits at least (init may be left out)
            shown = f"{side[at]} {side[at + 1]}"
            present = [word for word in expected if word in shown]
            assert present == expected[: len(present)], (shown, expected)
            assert len(present) >= len(expected) - 1, (shown, expected)
            if config.bits != 8:
                figures.note(f"{name} at {size[0]}x{size[1]}: status {shown!r}")
            assert ("DIVERGED" in text) == (not net.is_finite())
            if net.is_finite():
                accuracy = evaluate(net.synapse_0, net.synapse_1, net.synapse_h, net.bits)
                assert ("sample" in text) == accuracy.sampled, "sample label"
            figures.count("app runs")
            figures.note(
                f"{name} at {size[0]}x{size[1]}: iteration {net.iteration}, "
                f"finite {net.is_finite()}, max |w| {np.abs(net.params).max():.3g}"
            )
    messages = sorted({f"{w.filename}:{w.lineno}: {w.message}" for w in caught})
    assert not caught, messages


@pytest.mark.parametrize("name", list(SETTINGS))
def test_extreme_settings_on_the_command_line(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], figures: Figures
) -> None:
    options: list[str] = []
    for key, value in SETTINGS[name].items():
        options += [f"--{key}", str(value)]
    saved = tmp_path / "run.npz"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-W", "error", "-m", "tui", *args],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=ROOT,
        )

    trained = run(
        "train", "--iterations", "200", "--log-every", "50", *options, "--save", str(saved)
    )
    assert trained.returncode == 0, trained.stderr
    assert trained.stderr == "", trained.stderr
    assert len(blocks_of(trained.stdout)) == 4  # iterations 0, 50, 100, 150
    assert "Traceback" not in trained.stdout
    net = load_checkpoint(saved)
    assert net.iteration == 200 and net.is_finite()
    for key, value in SETTINGS[name].items():
        assert (net.alpha if key == "alpha" else getattr(net.config, key)) == value

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # in-process: a numpy warning fails the run
        status = cli.main(["eval", "--load", str(saved)])
    out, err = capsys.readouterr()
    assert status == 0 and err == "", err
    assert "exact sums" in out
    sampled = evaluate(net.synapse_0, net.synapse_1, net.synapse_h, net.bits).sampled
    assert ("sample" in out) == sampled
    figures.count("CLI runs (train + eval)")
    figures.note(f"{name}: {out.splitlines()[-1]}")
