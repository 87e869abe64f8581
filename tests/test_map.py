"""The convergence map (`m`) in the real App under Pilot, by real keys, with tiny sweeps.

What the map shows is checked against what model/sweep.py computes for the same plan;
escape stops the sweep (its thread returns, its worker processes end); a cell and a seed
chosen open that run on the main screen with the weights of training it directly; `u`
brings the network before back. Tests wait on the map's messages and on its worker's
end, never on a clock.
"""

from __future__ import annotations

import asyncio
import functools
import multiprocessing
import re
import threading
from typing import Any

import numpy as np
import pytest
from screen import screen_lines, screen_text, workers_done
from textual.pilot import Pilot

from model.config import RNNConfig
from model.network import RNN, Network
from model.sweep import RunResult, SweepPlan, run_sweep, summarise
from model.trainer import train
from tui.app import RNNApp
from tui.screens import map as map_screen
from tui.screens.main import MainScreen
from tui.screens.map import MapScreen
from tui.sweep_map import MAP_TAKES, MapProgress, MapSettings
from tui.widgets.prompt import PromptScreen

# 3-bit sums, alpha 1: hidden 6 converges for some seeds within 3,000 iterations, hidden
# 3 for none (rnn-tui sweep --bits 3 --alpha 1 --hidden 3,6 --seeds 0-3 ...)
TINY = SweepPlan(
    cells=("rnn",),
    hiddens=(3, 6),
    inits=((-1.0, 1.0), (0.0, 1.0)),
    seeds=(0, 1, 2, 3),
    alpha=1.0,
    bits=3,
    iterations=3000,
    check_every=100,
)
# long enough never to end within a test: only escape ends it
ENDLESS = SweepPlan(
    cells=("rnn",),
    hiddens=(1, 16),
    inits=((-1.0, 1.0),),
    seeds=(0, 1),
    iterations=10**8,
    check_every=1000,
)
SIZES = [(80, 24), (120, 40)]
IDS = ["80x24", "120x40"]


@functools.cache
def swept(plan: SweepPlan) -> tuple[RunResult, ...]:
    rows = run_sweep(plan)
    assert rows is not None
    return tuple(rows)


@pytest.fixture
def defaults(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The map opens on `plan` (in the worker thread unless `workers` says otherwise)."""

    def use(plan: SweepPlan, workers: int = 1) -> None:
        monkeypatch.setattr(map_screen, "default_settings", lambda *_: MapSettings(plan, workers))

    use(TINY)
    return use


@pytest.fixture
def endings(monkeypatch: pytest.MonkeyPatch) -> list[MapProgress]:
    """The last report of every sweep the map ran, as its worker returned it."""
    ended: list[MapProgress] = []
    original = map_screen.run_map

    def recorded(*args: Any, **kwargs: Any) -> MapProgress:
        last = original(*args, **kwargs)
        ended.append(last)
        return last

    monkeypatch.setattr(map_screen, "run_map", recorded)
    return ended


def map_of(app: RNNApp) -> MapScreen:
    screen = app.screen
    assert isinstance(screen, MapScreen), type(screen)
    return screen


async def until(pilot: Pilot, done: Any, what: str, limit: int = 20_000) -> None:
    """Wait on the event loop until `done()` (`limit` rounds: a safety net, not a pace)."""
    for _ in range(limit):
        if done():
            return
        await pilot.pause(0.01)
    raise AssertionError(f"never: {what}")


async def map_complete(pilot: Pilot) -> MapScreen:
    screen = map_of(pilot.app)
    await until(
        pilot,
        lambda: screen.progress is not None and screen.progress.finished,
        "the map's sweep ended",
    )
    assert screen.progress is not None and screen.progress.complete
    await pilot.pause()
    return screen


async def idle(screen: MapScreen) -> None:
    """Until every sweep thread of the screen has returned (waited for off the loop)."""
    assert await asyncio.to_thread(screen.idle.wait, 120), "the sweep thread never returned"


def box_text(app: RNNApp) -> str:
    """The words in the modal's box, its wrapped lines joined."""
    inside = [m.group(1) for m in map(re.compile(r".*?│ (.*) │").match, screen_lines(app)) if m]
    return " ".join(" ".join(inside).split())


def said(app: RNNApp, words: str) -> bool:
    return any(words in str(n.message) for n in app._notifications)


def grid_rows(app: RNNApp, hiddens: tuple[int, ...]) -> dict[int, list[tuple[str, str]]]:
    """Each row of the map as (k/n, median) pairs, read off the screen."""
    rows = {}
    for line in screen_lines(app):
        match = re.match(r"\s+(\d+)\s{2}(.*)", line)
        if match and int(match.group(1)) in hiddens and "/" in match.group(2):
            rows[int(match.group(1))] = re.findall(r"(\d+/\d+)\s+([\d,]+|-)", match.group(2))
    return rows


def expected_rows(plan: SweepPlan) -> dict[int, list[tuple[str, str]]]:
    """The same pairs from model/sweep.py's own summary of the plan's runs."""
    rows: dict[int, list[tuple[str, str]]] = {h: [] for h in plan.hiddens}
    for s in summarise(swept(plan)):
        median = "-" if s.quartiles is None else f"{s.quartiles[1]:,.0f}"
        rows[s.hidden].append((f"{s.converged}/{s.runs}", median))
    return rows


@pytest.mark.parametrize("size", SIZES, ids=IDS)
async def test_the_map_shows_the_sweeps_counts_and_medians(
    size: tuple[int, int], defaults: Any
) -> None:
    app = RNNApp(RNN(RNNConfig()))
    async with app.run_test(size=size) as pilot:
        await pilot.press("m")
        await map_complete(pilot)
        expected = expected_rows(TINY)
        assert grid_rows(app, TINY.hiddens) == expected
        assert expected[6][0][0] not in ("0/4", "4/4")  # the plan has both kinds of cell
        text = screen_text(app)
        assert "Convergence map  rnn, seeds 0-3 (4 a cell), alpha 1, 3-bit sums" in text
        assert "done: 16 runs in " in text
        assert "-1,1" in text and "0,1" in text
        # the cursor's cell in words, quartiles included
        await pilot.press("down")
        summary = next(s for s in summarise(swept(TINY)) if (s.hidden, s.init) == (6, (-1.0, 1.0)))
        assert summary.quartiles is not None
        q1, median, q3 = (f"{q:,.0f}" for q in summary.quartiles)
        assert (
            f"hidden 6, rnn init -1,1: {summary.converged} of 4 ended runs reached 100%",
            f"at iteration {median} (median; q1 {q1}, q3 {q3}); mean final exact "
            f"{summary.mean_final_exact:.2%}",
        ) == tuple(line.strip() for line in screen_lines(app)[-4:-2])


async def test_the_map_fills_in_live(monkeypatch: pytest.MonkeyPatch, defaults: Any) -> None:
    """Held after each frame (as PacedTraining holds training): a frame with some runs
    ended shows them, and the cells still running are dim and marked as such."""
    go = threading.Semaphore(0)
    original = map_screen.run_map

    def paced(settings: MapSettings, post: Any, cancelled: Any, **kwargs: Any) -> MapProgress:
        def post_then_wait(progress: MapProgress) -> None:
            post(progress)
            while not progress.finished and not go.acquire(timeout=0.02):
                if cancelled():
                    return

        return original(settings, post_then_wait, cancelled, frame_interval=0.0)

    monkeypatch.setattr(map_screen, "run_map", paced)
    app = RNNApp(RNN(RNNConfig()))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("m")
        screen = map_of(app)
        seen: list[int] = []
        taken = 0  # frames taken: the worker posts the next one only after a release
        while True:
            await until(pilot, lambda taken=taken: screen.frames > taken, "a frame")
            taken = screen.frames
            assert screen.progress is not None
            if screen.progress.finished:
                break
            ended = len(screen.progress.results)
            if 0 < ended < 16 and ended not in seen:
                seen.append(ended)
                await pilot.pause()
                text = screen_text(app)
                assert f"sweeping: {ended} of 16 runs ended, " in text
                assert "% of the work" in text  # what the percentage counts, said
                assert "…" in text or "·" in text
            go.release()
        assert seen  # the map was seen part-way
        await map_complete(pilot)
        assert "…" not in "\n".join(screen_lines(app)[4:7])  # every cell ended


async def test_escape_leaves_and_stops_the_sweep(defaults: Any, endings: list[MapProgress]) -> None:
    defaults(ENDLESS)
    app = RNNApp(RNN(RNNConfig()))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("m")
        screen = map_of(app)
        await until(pilot, lambda: screen.frames > 0, "the first frame")
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)
        await idle(screen)
        assert len(endings) == 1 and endings[0].stopped and endings[0].finished
        assert endings[0].done < ENDLESS.work
        await pilot.press("n")  # the app goes on as before
        assert app.session.position.step == 1


async def test_escape_ends_the_sweeps_worker_processes(
    defaults: Any, endings: list[MapProgress]
) -> None:
    defaults(ENDLESS, workers=2)
    app = RNNApp(RNN(RNNConfig()))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("m")
        screen = map_of(app)
        await until(pilot, lambda: len(multiprocessing.active_children()) == 2, "two workers")
        await pilot.press("escape")
        await idle(screen)
        assert multiprocessing.active_children() == []
        assert endings[0].stopped


async def test_new_settings_replace_the_sweep_under_way(
    defaults: Any, endings: list[MapProgress]
) -> None:
    defaults(ENDLESS)
    app = RNNApp(RNN(RNNConfig()))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("m")
        screen = map_of(app)
        await pilot.press("o")
        assert isinstance(app.screen, PromptScreen)
        await pilot.press(
            "home", "ctrl+k", *"--hidden 2 --seeds 0-1 --iterations 200 --check-every 100"
        )
        await pilot.press("enter")
        await map_complete(pilot)
        await idle(screen)
        assert [e.stopped for e in endings] == [True, False]  # the endless one was stopped
        small = SweepPlan(
            cells=("rnn",),
            hiddens=(2,),
            inits=((-1.0, 1.0),),
            seeds=(0, 1),
            iterations=200,
            check_every=100,
        )
        assert screen.settings == MapSettings(small, 1)  # what was left out was kept
        assert grid_rows(app, (2,)) == expected_rows(small)
        assert "seeds 0-1 (2 a cell)" in screen_text(app)


async def test_bad_settings_are_refused_in_the_prompt_with_the_clis_words(defaults: Any) -> None:
    app = RNNApp(RNN(RNNConfig()))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("m")
        screen = await map_complete(pilot)
        before = screen.progress
        for typed, said in [
            ("--hidden 3-1", "argument --hidden: hidden range 3-1 runs backwards"),
            ("--init 1,0", "argument --init: init range needs LO < HI, got '1,0'"),
            ("--cell [red]x[/]", "got '[red]x[/]'"),  # markup shown as typed
            ("[bold]", "unrecognized arguments: [bold]"),
            ("--iterations 50 --check-every 100", "--check-every 100 is more than --iterations 50"),
            ("--csv out.csv", "the map writes no file"),
            # sweep options the map has no use for, and ones sweep has not: said, with
            # what the prompt takes, never silently dropped
            ("--kernel compiled", "--kernel is not a map setting"),
            ("--kernel compiled", MAP_TAKES),
            ("--hidden 3 --verbose", "unrecognized arguments: --verbose; " + MAP_TAKES),
        ]:
            await pilot.press("o")
            await pilot.press("home", "ctrl+k", *typed, "enter")
            assert isinstance(app.screen, PromptScreen)
            await pilot.pause()
            assert said in box_text(app), typed
            await pilot.press("escape")
            assert app.screen is screen
        assert screen.progress is before  # nothing changed


def trained(result: RunResult, iterations: int) -> Network:
    net = Network(result.spec.config())
    train(net, iterations)
    return net


@pytest.mark.parametrize(("row", "seed_index"), [(1, 2), (0, 1)], ids=["converged", "not"])
async def test_a_cell_and_a_seed_open_that_run_at_its_iteration(
    row: int, seed_index: int, defaults: Any
) -> None:
    app = RNNApp(RNN(RNNConfig()))
    async with app.run_test(size=(80, 24)) as pilot:
        await workers_done(app)
        await pilot.press("m")
        await map_complete(pilot)
        result = next(
            r
            for r in swept(TINY)
            if (r.spec.hidden, r.spec.init, r.spec.seed)
            == (TINY.hiddens[row], (-1.0, 1.0), seed_index)
        )
        assert (result.converged_at is not None) == (row == 1)
        at = result.converged_at or result.iterations_run
        for _ in range(row):
            await pilot.press("down")
        await pilot.press("enter")
        seed_list_text = screen_text(app)
        assert f"rnn, {TINY.hiddens[row]} hidden, init -1,1: open a run" in seed_list_text
        word = f"100% exact at iteration {at:,}" if row == 1 else f"exact after {at:,}"
        assert f"seed {seed_index}  " in seed_list_text and word in seed_list_text
        for _ in range(seed_index):
            await pilot.press("down")
        await pilot.press("enter")
        assert isinstance(app.screen, MainScreen)
        await until(pilot, lambda: app.main.training is None, "the jump ended")
        await workers_done(app)
        net = app.session.net
        assert net.iteration == at
        assert net.config == result.spec.config()
        assert np.array_equal(net.params, trained(result, at).params)
        assert app.session.position.step == net.bits  # forward pass done: ready to step
        await pilot.press("n")
        assert app.session.position.step == net.bits + 1
        await pilot.press("u")  # the network before comes back
        assert app.session.net.iteration == 0 and app.session.net.config == RNNConfig()


async def test_the_map_comes_back_at_once_with_its_last_sweep(
    defaults: Any, endings: list[MapProgress]
) -> None:
    app = RNNApp(RNN(RNNConfig()))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("m")
        first = await map_complete(pilot)
        await pilot.press("escape", "m")
        again = map_of(app)
        assert again is not first and again.progress is first.progress
        assert again.frames == 0 and len(endings) == 1  # no second sweep
        assert grid_rows(app, TINY.hiddens) == expected_rows(TINY)


async def test_a_run_that_has_not_ended_cannot_be_opened(defaults: Any) -> None:
    defaults(ENDLESS)
    app = RNNApp(RNN(RNNConfig()))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("m")
        screen = map_of(app)
        await pilot.press("enter")
        assert app.screen is screen
        assert said(app, "No run of this cell has ended yet.")
        await pilot.press("escape")
        await idle(screen)


async def test_the_map_needs_the_session_free(defaults: Any) -> None:
    """An ablation on: the run is not opened (training it would be refused), the map stays."""
    app = RNNApp(RNN(RNNConfig()))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("h")  # cut synapse_h
        await pilot.press("m")
        await map_complete(pilot)
        await pilot.press("down", "enter", "enter")
        assert isinstance(app.screen, MapScreen)
        assert said(app, "The ablation (synapse_h=0) is on")
        assert said(app, "Escape leaves the map for those keys.")  # x does nothing here
        assert app.session.net.config == RNNConfig() and app.session.net.iteration == 0


async def test_the_cursor_is_where_it_was_when_the_map_is_opened_again(defaults: Any) -> None:
    app = RNNApp(RNN(RNNConfig()))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("m")
        await map_complete(pilot)
        await pilot.press("down", "right")
        detail = "hidden 6, rnn init 0,1:"
        assert detail in screen_text(app)
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)
        await pilot.press("m")
        again = map_of(app)
        await pilot.pause()
        assert again.cursor == (1, 1)
        assert detail in screen_text(app)
        await pilot.press("up")  # and it moves on from there
        assert "hidden 3, rnn init 0,1:" in screen_text(app)


def paced_map(monkeypatch: pytest.MonkeyPatch) -> tuple[threading.Semaphore, list[Any]]:
    """The map's worker held after each frame until released (as in the test above);
    the `earlier` sweep each call was given is listed."""
    go = threading.Semaphore(0)
    given: list[Any] = []
    original = map_screen.run_map

    def paced(settings: MapSettings, post: Any, cancelled: Any, **kwargs: Any) -> MapProgress:
        given.append(kwargs.get("earlier"))

        def post_then_wait(progress: MapProgress) -> None:
            post(progress)
            while not progress.finished and not go.acquire(timeout=0.02):
                if cancelled():
                    return

        return original(settings, post_then_wait, cancelled, frame_interval=0.0, **kwargs)

    monkeypatch.setattr(map_screen, "run_map", paced)
    return go, given


async def test_escape_keeps_the_runs_ended_and_m_resumes_the_sweep(
    monkeypatch: pytest.MonkeyPatch, defaults: Any
) -> None:
    go, given = paced_map(monkeypatch)
    app = RNNApp(RNN(RNNConfig()))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("m")
        first = map_of(app)
        taken = 0  # frames taken: the worker posts the next one only after a release
        while True:  # until some runs, not all, have ended
            await until(pilot, lambda taken=taken: first.frames > taken, "a frame")
            taken = first.frames
            assert first.progress is not None
            if 4 <= len(first.progress.results) < 16:
                break
            go.release()
        await pilot.pause()
        assert "esc keeps the runs ended" in screen_text(app)
        ended = first.progress.results
        await pilot.press("escape")
        await idle(first)  # the sweep has stopped and recorded how far it got
        kept = app.main.map_memory.latest
        assert kept is not None and kept.stopped and kept.results[: len(ended)] == ended
        await pilot.press("m")
        again = map_of(app)
        await pilot.pause()
        assert given[1] is kept  # continued from there, not started again
        text = screen_text(app)
        assert f"continued: {len(kept.results)} of 16 runs ended" in text, text
        taken = 0
        while True:
            await until(pilot, lambda taken=taken: again.frames > taken, "a frame")
            taken = again.frames
            assert again.progress is not None
            if again.progress.finished:
                break
            go.release()
        await map_complete(pilot)
        results = again.progress.results
        assert results[: len(kept.results)] == kept.results
        assert sorted(r.index for r in results) == list(range(16))  # each run once
        assert sorted(results, key=lambda r: r.index) == list(swept(TINY))
        assert grid_rows(app, TINY.hiddens) == expected_rows(TINY)
        assert "done: 16 runs" in screen_text(app)
