"""The convergence map without a screen: settings typed as `rnn-tui sweep`'s options, the
worker's reports, the grid's numbers, and the session opening a run of the map."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from model.config import RNNConfig
from model.network import RNN
from model.probes import Ablation
from model.sweep import SweepPlan, run_sweep, summarise
from model.trainer import train
from tui import sweep_map
from tui.cli import UsageError, _joined_init, build_parser
from tui.session import Refused, Session
from tui.sweep_cli import _number_list
from tui.sweep_map import (
    MAP_MAX_RUNS,
    MAP_OPTIONS,
    MAP_TAKES,
    MapMemory,
    MapProgress,
    MapSettings,
    default_settings,
    list_text,
    map_view,
    opening_iteration,
    parse_settings,
    run_map,
    seeds_of,
    settings_text,
)

SMALL = SweepPlan(
    cells=("rnn",),
    hiddens=(3, 6),
    inits=((-1.0, 1.0), (0.0, 1.0)),
    seeds=(0, 1, 2),
    alpha=1.0,
    bits=3,
    iterations=3000,
    check_every=100,
)


@pytest.mark.parametrize(
    ("values", "text"),
    [((1, 2, 3, 4, 5, 6, 7, 8, 16), "1-8,16"), ((3,), "3"), ((0, 2, 3, 5), "0,2-3,5")],
)
def test_lists_are_written_as_the_sweeps_parser_reads_them(
    values: tuple[int, ...], text: str
) -> None:
    assert list_text(values) == text
    assert _number_list("hidden", 0, 1024)(text) == values


def test_the_defaults_are_the_issues_map_with_the_clis_iterations() -> None:
    settings = default_settings("gru", 0.25, 6)
    plan = settings.plan
    assert plan.cells == ("gru",) and plan.alpha == 0.25 and plan.bits == 6
    assert plan.hiddens == (1, 2, 3, 4, 5, 6, 7, 8, 16)
    assert plan.inits == ((-1.0, 1.0), (0.0, 1.0), (0.0, 2.0))
    assert (plan.iterations, plan.check_every) == (10_000, 1000)  # `rnn-tui sweep`'s
    assert settings.workers >= 1


def test_settings_read_back_from_their_own_text() -> None:
    settings = MapSettings(
        SweepPlan(
            cells=("rnn", "gru"),
            hiddens=(2, 3, 4, 9),
            inits=((-0.5, 0.25), (0.1, 0.30000000000000004)),
            seeds=(7, 8, 10),
            alpha=0.123456789,
            bits=5,
            iterations=777,
            check_every=70,
        ),
        3,
    )
    text = settings_text(settings)
    assert text.startswith("--cell rnn,gru --hidden 2-4,9 --seeds 7-8,10 --init -0.5,0.25 ")
    assert parse_settings(text, default_settings("rnn", 0.1, 8)) == (settings, None)


def test_options_left_out_keep_their_values() -> None:
    current = MapSettings(SMALL, 2)
    changed, problem = parse_settings("--hidden 4 --init 0,2", current)
    assert problem is None and changed is not None
    assert changed.plan == SweepPlan(
        cells=SMALL.cells,
        hiddens=(4,),
        inits=((0.0, 2.0),),
        seeds=SMALL.seeds,
        alpha=SMALL.alpha,
        bits=SMALL.bits,
        iterations=SMALL.iterations,
        check_every=SMALL.check_every,
    )
    assert changed.workers == 2
    assert parse_settings("  ", current) == (current, None)


@pytest.mark.parametrize(
    "typed",
    [
        "--hidden 3-1",
        "--hidden 1,,2",
        "--seeds 1,1",
        "--init 1,0",
        "--init nan,1",
        "--init -1,1 --init -1,1",
        "--cell rnn,cnn",
        "--iterations 50 --check-every 100",
        "--alpha -1",
        "--bits 40",
        "--workers 0",
        "--hidden",
        "[red]x[/]",
    ],
)
def test_bad_settings_get_the_clis_own_message(typed: str) -> None:
    settings, problem = parse_settings(typed, MapSettings(SMALL, 1))
    assert settings is None
    with pytest.raises(UsageError) as cli:
        args = build_parser().parse_args(["sweep", *_joined_init(typed.split())])
        from tui.sweep_cli import plan_from

        plan_from(args)
    # an option neither takes: the CLI's words, then what the map's prompt takes
    assert problem in (str(cli.value), f"{cli.value}; {MAP_TAKES}")


@pytest.mark.parametrize("typed", ["--kernel compiled", "--kernel numpy", "--kern auto"])
def test_the_map_refuses_a_kernel_and_names_what_it_takes(typed: str) -> None:
    settings, problem = parse_settings(typed, MapSettings(SMALL, 1))
    assert settings is None and problem is not None
    assert problem.startswith("--kernel is not a map setting") and problem.endswith(MAP_TAKES)
    assert "\n" not in problem


def test_the_options_the_map_takes_are_the_ones_its_settings_are_written_in() -> None:
    written = {word for word in settings_text(MapSettings(SMALL, 1)).split() if word[:2] == "--"}
    assert written == set(MAP_OPTIONS)


def test_the_map_refuses_to_write_a_csv() -> None:
    assert parse_settings("--csv out.csv", MapSettings(SMALL, 1)) == (
        None,
        "the map writes no file: rnn-tui sweep --csv PATH does",
    )


def test_the_worker_posts_the_sweep_as_it_fills_in_and_ends_with_every_row() -> None:
    posts: list[MapProgress] = []
    last = run_map(MapSettings(SMALL, 1), posts.append, lambda: False, frame_interval=0.0)
    assert posts[-1] is last and last.complete and last.problem == ""
    counts = [len(p.results) for p in posts]
    assert counts == sorted(counts) and counts[0] < counts[-1] == 12
    assert [p.done for p in posts] == sorted(p.done for p in posts)
    assert last.done == SMALL.work  # converged runs count their skipped iterations
    expected = run_sweep(SMALL)
    assert expected is not None
    assert sorted(last.results, key=lambda r: r.index) == expected


def test_the_worker_stops_when_cancelled() -> None:
    posts: list[MapProgress] = []
    last = run_map(MapSettings(SMALL, 1), posts.append, lambda: True)
    assert posts == [last] and last.finished and last.stopped and not last.complete


def test_the_worker_continues_a_stopped_sweep_with_its_rows_kept() -> None:
    settings = MapSettings(SMALL, 1)
    posts: list[MapProgress] = []
    some_ended = lambda: bool(posts) and len(posts[-1].results) >= 2  # noqa: E731
    stopped = run_map(settings, posts.append, some_ended, frame_interval=0.0)
    assert stopped.stopped and 0 < len(stopped.results) < SMALL.count
    memory = MapMemory()
    sweep = memory.begin()
    assert memory.record(sweep, stopped) and memory.continuing(settings) is stopped
    assert memory.continuing(MapSettings(SMALL, 2)) is None  # other settings: a new sweep
    last = run_map(settings, lambda _: None, lambda: False, earlier=stopped, frame_interval=0.0)
    assert last.complete and last.kept == len(stopped.results)
    assert last.results[: last.kept] == stopped.results
    assert sorted(last.results, key=lambda r: r.index) == run_sweep(SMALL)
    assert last.done == SMALL.work
    assert not memory.record(sweep - 1, last)  # an older sweep's report is not kept
    assert memory.record(sweep, last) and memory.complete is last
    assert memory.continuing(settings) is None  # complete: shown, not continued


def test_a_failing_sweep_is_reported_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("a sweep worker process died")

    monkeypatch.setattr(sweep_map, "run_sweep", broken)
    last = run_map(MapSettings(SMALL, 1), lambda _: None, lambda: False)
    assert last.stopped and last.problem == "The sweep stopped: a sweep worker process died"


def test_the_grid_is_the_sweeps_summary_cell_by_cell() -> None:
    rows = run_sweep(SMALL)
    assert rows is not None
    view = map_view(SMALL, rows)
    assert view.hiddens == (3, 6)
    assert view.columns == (("rnn", (-1.0, 1.0)), ("rnn", (0.0, 1.0)))
    for s in summarise(rows):
        cell = view.at(SMALL.hiddens.index(s.hidden), SMALL.inits.index(s.init))
        assert (cell.total, cell.finished, cell.converged) == (3, s.runs, s.converged)
        assert cell.median == (None if s.quartiles is None else s.quartiles[1])
    partial = map_view(SMALL, rows[:1])
    assert partial.at(0, 0).finished == 1 and partial.at(1, 1).summary is None
    seeds = seeds_of(SMALL, rows[:2], 0, 0)
    assert seeds == ((0, rows[0]), (1, rows[1]), (2, None))
    for row in rows:
        at = opening_iteration(row)
        assert at == (row.converged_at if row.converged_at is not None else SMALL.iterations)


# -- the session: a run of the map opened ---------------------------------------------------


def test_a_run_opened_and_taken_to_its_iteration_equals_training_it() -> None:
    session = Session(RNN(RNNConfig()))
    session.step()
    config = RNNConfig(seed=2, hidden=6, alpha=1.0, bits=3, init=(0.0, 1.0))
    message = session.open_run(RNN(config))
    assert "u brings back the network you had (iteration 0)" in message
    assert session.go_to(1700)
    direct = RNN(config)
    train(direct, 1700)
    assert session.net.iteration == 1700 and session.net.config == config
    assert np.array_equal(session.net.params, direct.params)
    session.undo()
    assert session.net.config == RNNConfig() and session.position.step == 1


def test_opening_a_run_is_refused_where_going_forward_would_be() -> None:
    session = Session(RNN(RNNConfig()))
    session.set_ablation(Ablation(None, True))
    with pytest.raises(Refused, match="The ablation"):
        session.open_run(RNN(RNNConfig(seed=3)))
    session.set_ablation(Ablation())
    session.busy = True
    with pytest.raises(Refused, match="Training is running"):
        session.open_run(RNN(RNNConfig(seed=3)))
    assert session.net.config == RNNConfig()
    with pytest.raises(Refused, match="Nothing to undo"):
        session.busy = False
        session.undo()


def test_the_map_refuses_more_runs_than_it_can_draw_and_says_the_cli_can() -> None:
    current = default_settings("rnn", 0.1, 8)
    at_cap = f"--hidden 1 --init -1,1 --seeds 0-{MAP_MAX_RUNS - 1}"
    settings, problem = parse_settings(at_cap, current)
    assert problem is None and settings is not None and len(settings.plan.seeds) == MAP_MAX_RUNS
    settings, problem = parse_settings(f"--hidden 1 --init -1,1 --seeds 0-{MAP_MAX_RUNS}", current)
    assert settings is None
    assert problem == (
        f"that is {MAP_MAX_RUNS + 1:,} runs; the map draws at most {MAP_MAX_RUNS:,} "
        "(rnn-tui sweep makes more)"
    )
