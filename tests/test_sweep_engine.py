"""The sweep engine (model/sweep.py): each run is exactly `train`'s, converged_at is the
first check at 100%, results do not depend on the worker count, and a screen can stop it."""

from __future__ import annotations

import numpy as np
import pytest

from model.config import RNNConfig
from model.exact_check import every_sum_exact
from model.network import Network
from model.probes import evaluate_net
from model.sweep import (
    RunResult,
    RunSpec,
    SweepPlan,
    groups,
    run_group,
    run_sweep,
    summarise,
    table_lines,
)
from model.trainer import train

# 6-bit sums: small networks reach 100% within a few thousand iterations
QUICK = {"rnn": (8, 1.0), "lstm": (8, 0.5), "gru": (8, 0.5)}
CELLS = tuple(QUICK)


def _plan(cell: str, seeds: tuple[int, ...] = (0, 1), iterations: int = 0) -> SweepPlan:
    hidden, alpha = QUICK[cell]
    return SweepPlan(
        cells=(cell,),
        hiddens=(hidden, 2),
        inits=((-1.0, 1.0), (0.0, 1.0)),
        seeds=seeds,
        alpha=alpha,
        bits=6,
        iterations=iterations or (3000 if cell == "rnn" else 1500),
        check_every=500,
    )


@pytest.mark.parametrize("cell", CELLS)
def test_every_sum_exact_is_the_evaluators_verdict(cell: str) -> None:
    hidden, alpha = QUICK[cell]
    verdicts = []
    for bits, seed in ((6, 0), (6, 1), (8, 2), (4, 3)):
        net = Network(RNNConfig(seed=seed, hidden=hidden, alpha=alpha, bits=bits, cell=cell))
        for _ in range(6):
            train(net, 400)
            verdict = evaluate_net(net).exact == 1.0
            assert every_sum_exact(net) == verdict
            verdicts.append(verdict)
    assert any(verdicts) and not all(verdicts)  # both answers were checked


@pytest.mark.parametrize("cell", CELLS)
def test_a_sweep_run_is_exactly_the_trainers_run(cell: str) -> None:
    plan = _plan(cell)
    finished: dict[int, Network] = {}
    rows = []
    for task in groups(plan, workers=1):
        for row in run_group(
            task,
            plan.iterations,
            plan.check_every,
            on_net=lambda result, net: finished.__setitem__(result.index, net.copy()),
        ):
            rows.append(row)
    assert len(rows) == len(plan.runs())
    assert {r.converged_at is None for r in rows} == {True, False}
    for row in rows:
        single = Network(row.spec.config())
        train(single, row.iterations_run)
        net = finished[row.index]
        assert net.same_state(single), row
        assert row.final_exact == evaluate_net(single).exact
        if row.converged_at is None:
            assert row.iterations_run == plan.iterations
        else:
            assert row.iterations_run == row.converged_at
            assert row.converged_at % plan.check_every == 0


def test_converged_at_is_the_first_check_at_100_percent() -> None:
    rows = run_sweep(_plan("rnn", seeds=(0, 1, 2, 3)), workers=1)
    assert rows is not None
    converged = [r for r in rows if r.converged_at is not None]
    assert converged
    for row in converged:
        net = Network(row.spec.config())
        for check in range(500, row.converged_at + 1, 500):
            train(net, 500)
            assert (evaluate_net(net).exact == 1.0) == (check == row.converged_at)


def test_rows_do_not_depend_on_the_worker_count() -> None:
    plan = _plan("rnn", seeds=(0, 1, 2, 3, 4), iterations=2000)
    one = run_sweep(plan, workers=1)
    seen: list[RunResult] = []
    two = run_sweep(plan, workers=2, on_row=seen.append)
    assert one is not None and one == two
    assert sorted(seen, key=lambda r: r.index) == one


def test_rows_come_in_plan_order() -> None:
    plan = _plan("rnn", seeds=(5, 3), iterations=1000)
    rows = run_sweep(plan, workers=1)
    assert rows is not None
    assert [r.spec for r in rows] == plan.runs()
    assert [r.index for r in rows] == list(range(len(rows)))


def test_a_sweep_can_be_stopped() -> None:
    plan = _plan("rnn", seeds=tuple(range(4)), iterations=20_000)
    seen: list[RunResult] = []
    progress: list[int] = []
    stopped = run_sweep(
        plan,
        workers=1,
        on_row=seen.append,
        on_progress=progress.append,
        should_stop=lambda: sum(progress) >= 3 * 500 * 8,
    )
    assert stopped is None
    assert sum(progress) < plan.work


def test_progress_adds_up_to_the_plans_work() -> None:
    plan = _plan("lstm", seeds=(0, 1))
    progress: list[int] = []
    rows = run_sweep(plan, workers=1, on_progress=progress.append)
    assert rows is not None and sum(progress) == plan.work


def _result(index: int, hidden: int, converged_at: int | None, exact: float) -> RunResult:
    spec = RunSpec("rnn", hidden, (-1.0, 1.0), 0.1, 8, index)
    return RunResult(index, spec, converged_at, exact, converged_at or 5000)


def test_the_table_counts_medians_quartiles_and_mean_accuracy() -> None:
    results = [
        _result(0, 4, 1000, 1.0),
        _result(1, 4, 3000, 1.0),
        _result(2, 4, None, 0.5),
        _result(3, 4, 2000, 1.0),
        _result(4, 4, 4000, 1.0),
        _result(5, 2, None, 0.25),
    ]
    (four, two) = summarise(results)
    assert (four.hidden, four.runs, four.converged) == (4, 5, 4)
    assert four.quartiles == (1750.0, 2500.0, 3250.0)
    assert four.mean_final_exact == pytest.approx(0.9)
    assert (two.converged, two.quartiles, two.mean_final_exact) == (0, None, 0.25)
    lines = table_lines([four, two])
    assert lines[1].split() == ["rnn", "4", "-1,1", "4/5", "2,500", "1,750", "3,250", "90.00%"]
    assert lines[2].split() == ["rnn", "2", "-1,1", "0/1", "-", "-", "-", "25.00%"]


def test_batches_hold_one_cell_and_size_and_fill_the_workers() -> None:
    plan = SweepPlan(
        cells=("rnn", "gru"), hiddens=(3, 4), inits=((-1.0, 1.0),), seeds=tuple(range(300))
    )
    tasks = groups(plan, workers=2)
    assert all(len({(s.cell, s.hidden) for _, s in task}) == 1 for task in tasks)
    assert all(len(task) <= 128 for task in tasks)
    assert sorted(i for task in tasks for i, _ in task) == list(range(len(plan.runs())))
    single = SweepPlan(cells=("rnn",), hiddens=(3,), inits=((-1.0, 1.0),), seeds=(1, 2, 3))
    assert len(groups(single, workers=2)) == 2
    with pytest.raises(ValueError):
        SweepPlan(cells=(), hiddens=(3,), inits=((-1.0, 1.0),), seeds=(1,))
    assert np.isclose(plan.work, 2 * 2 * 300 * 10_000)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_sweep_can_skip_the_runs_an_earlier_one_ended(workers: int) -> None:
    """What the map resumes from: the runs not skipped, each the row the full sweep gives."""
    plan = _plan("rnn")
    full = run_sweep(plan)
    assert full is not None
    skip = {0, 3, 5}
    seen: list[int] = []
    rest = run_sweep(plan, workers=workers, skip=skip, on_row=lambda r: seen.append(r.index))
    assert rest == [row for row in full if row.index not in skip]
    assert sorted(seen) == sorted(set(range(plan.count)) - skip)
    assert run_sweep(plan, skip=range(plan.count)) == []
    assert sorted(i for task in groups(plan, 2, skip) for i, _ in task) == sorted(
        set(range(plan.count)) - skip
    )
