"""The first acceptance test: `rnn-tui train` prints the tutorial's published trace,
and for other settings exactly what the tutorial's own program prints."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import PUBLISHED_TRACE, blocks_of, run_cli
from tutorial_reference import run_tutorial

from model.checkpoint import load_checkpoint


def test_default_run_prints_the_published_trace() -> None:
    result = run_cli("train")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert blocks_of(result.stdout) == blocks_of(PUBLISHED_TRACE)
    assert blocks_of(result.stdout)[0].splitlines()[3] == "9 + 60 = 1"
    assert blocks_of(result.stdout)[9].splitlines()[3] == "11 + 3 = 14"
    # anything after the blocks is a '#' summary line
    tail = result.stdout.split("------------")[-1].strip().splitlines()
    assert tail and all(line.startswith("#") for line in tail)


@pytest.mark.parametrize(
    ("seed", "hidden", "alpha", "bits", "iterations", "log_every"),
    [
        (1, 16, 0.1, 8, 1500, 250),
        (7, 4, 0.5, 8, 1200, 300),
        (42, 24, 0.05, 10, 800, 200),
        (3, 1, 1.0, 2, 600, 100),
        (11, 8, 0.2, 16, 300, 60),
    ],
)
def test_other_settings_match_the_tutorials_program(
    tmp_path, seed, hidden, alpha, bits, iterations, log_every
) -> None:
    saved = tmp_path / "net.npz"
    result = run_cli(
        "train",
        "--seed",
        str(seed),
        "--hidden",
        str(hidden),
        "--alpha",
        str(alpha),
        "--bits",
        str(bits),
        "--iterations",
        str(iterations),
        "--log-every",
        str(log_every),
        "--save",
        str(saved),
    )
    assert result.returncode == 0, result.stderr
    reference = run_tutorial(iterations, seed, hidden, alpha, bits, log_every)
    assert blocks_of(result.stdout) == [b.replace("[ ", "[") for b in reference.blocks]
    net = load_checkpoint(saved)
    # bit for bit, not merely close
    assert np.array_equal(net.synapse_0, reference.synapse_0)
    assert np.array_equal(net.synapse_1, reference.synapse_1)
    assert np.array_equal(net.synapse_h, reference.synapse_h)
    ref_state, state = reference.rng.get_state(), net.rng.get_state()
    assert np.array_equal(ref_state[1], state[1]) and ref_state[2] == state[2]
