"""Lockstep training (model/lockstep.py) leaves every network exactly where its own
single run (model/trainer.py) leaves it, whatever batch it shares."""

from __future__ import annotations

import numpy as np
import pytest

from model.config import RNNConfig
from model.lockstep import MAX_LOCKSTEP_HIDDEN, Batch, lockstep_kernel, train_lockstep
from model.network import Network
from model.trainer import train

INITS = ((-1.0, 1.0), (0.0, 1.0), (0.0, 2.0), (-0.25, 0.5))


def _configs(cell: str, hidden: int, bits: int, count: int = 4) -> list[RNNConfig]:
    return [
        RNNConfig(
            seed=7 * hidden + s,
            hidden=hidden,
            bits=bits,
            cell=cell,
            alpha=(0.1, 0.35, 0.05, 1.3)[s % 4],
            init=INITS[s % len(INITS)],
        )
        for s in range(count)
    ]


def _same(a: Network, b: Network) -> bool:
    """Same weights (NaN where the other has NaN: diverged runs too), stream and clock."""
    mine, theirs = a.rng.get_state(), b.rng.get_state()
    return (
        a.iteration == b.iteration
        and np.array_equal(a.params, b.params, equal_nan=True)
        and mine[2:] == theirs[2:]
        and np.array_equal(mine[1], theirs[1])
    )


def _single_runs(configs: list[RNNConfig], iterations: int) -> list[Network]:
    nets = [Network(c) for c in configs]
    for net in nets:
        train(net, iterations)
    return nets


CELLS = ("rnn", "lstm", "gru")
HIDDEN = [*range(1, 21), 24, 31, 32, 48, MAX_LOCKSTEP_HIDDEN]
GATED_HIDDEN = [1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 32, MAX_LOCKSTEP_HIDDEN]


@pytest.mark.parametrize("hidden", HIDDEN)
def test_lockstep_rnn_equals_single_runs(hidden: int) -> None:
    configs = _configs("rnn", hidden, 8)
    nets = [Network(c) for c in configs]
    train_lockstep(nets, 300)
    for mine, single in zip(nets, _single_runs(configs, 300), strict=True):
        assert _same(mine, single)


@pytest.mark.parametrize("hidden", GATED_HIDDEN)
@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_lockstep_gated_cells_equal_single_runs(cell: str, hidden: int) -> None:
    configs = _configs(cell, hidden, 8, count=3)
    nets = [Network(c) for c in configs]
    iterations = 150 if hidden <= 17 else 40
    train_lockstep(nets, iterations)
    for mine, single in zip(nets, _single_runs(configs, iterations), strict=True):
        assert _same(mine, single)


@pytest.mark.parametrize("bits", [2, 3, 5, 12, 16])
@pytest.mark.parametrize("hidden", [1, 3, 16])
@pytest.mark.parametrize("cell", CELLS)
def test_lockstep_equals_single_runs_at_any_width(cell: str, bits: int, hidden: int) -> None:
    configs = _configs(cell, hidden, bits, count=3)
    nets = [Network(c) for c in configs]
    iterations = 260 if cell == "rnn" else 60
    train_lockstep(nets, iterations)
    for mine, single in zip(nets, _single_runs(configs, iterations), strict=True):
        assert _same(mine, single)


@pytest.mark.parametrize("cell", CELLS)
def test_broken_and_saturated_runs_stay_bit_identical(cell: str) -> None:
    configs = [
        RNNConfig(seed=0, hidden=8, alpha=80.0, cell=cell),
        RNNConfig(seed=1, hidden=8, alpha=1e300, init=(0.0, 1e300), cell=cell),  # saturated
        RNNConfig(seed=2, hidden=8, cell=cell),
        RNNConfig(seed=3, hidden=8, cell=cell),
    ]

    def broken(nets: list[Network]) -> list[Network]:
        nets[2].params[:3] = (np.inf, -np.inf, np.nan)  # the weights of a run gone wrong
        nets[3].params[-1] = 1e308
        return nets

    nets = broken([Network(c) for c in configs])
    train_lockstep(nets, 200)
    singles = broken([Network(c) for c in configs])
    for net in singles:
        train(net, 200)
    assert np.isnan(singles[2].params).all()  # the test covers NaN everywhere
    for mine, single in zip(nets, singles, strict=True):
        assert _same(mine, single)


@pytest.mark.parametrize("cell", CELLS)
def test_a_network_does_not_depend_on_its_batch(cell: str) -> None:
    configs = _configs(cell, 6, 8, count=7)
    alone = Network(configs[3])
    train_lockstep([alone], 150)
    together = [Network(c) for c in configs]
    train_lockstep(together, 150)
    assert _same(alone, together[3])


@pytest.mark.parametrize("cell", CELLS)
def test_dropping_networks_keeps_the_others_on_course(cell: str) -> None:
    configs = _configs(cell, 5, 8, count=6)
    nets = [Network(c) for c in configs]
    batch = Batch(nets)
    batch.train(120)
    batch.drop([4, 1, 2])
    batch.train(180)
    singles = _single_runs(configs, 300)
    for k in (4, 1, 2):
        assert _same(nets[k], singles[k])
    for k in (0, 3, 5):  # dropped after 120: left where they were
        assert nets[k].iteration == 120


@pytest.mark.parametrize("cell", CELLS)
def test_beyond_the_checked_sizes_a_batch_trains_each_network_alone(cell: str) -> None:
    assert lockstep_kernel(cell, MAX_LOCKSTEP_HIDDEN, 8, 2) is not None
    assert lockstep_kernel(cell, MAX_LOCKSTEP_HIDDEN + 1, 8, 2) is None
    configs = _configs(cell, MAX_LOCKSTEP_HIDDEN + 1, 4, count=2)
    nets = [Network(c) for c in configs]
    batch = Batch(nets)
    assert not batch.lockstep
    batch.train(3)
    for mine, single in zip(nets, _single_runs(configs, 3), strict=True):
        assert _same(mine, single)


def test_a_batch_refuses_mixed_networks() -> None:
    with pytest.raises(ValueError):
        Batch([Network(RNNConfig(hidden=3)), Network(RNNConfig(hidden=4))])
