"""The training and jump workers' bodies, without Textual: what they post, and when."""

from __future__ import annotations

import itertools
import sys

import numpy as np

from model.config import RNNConfig
from model.network import RNN
from model.stepper import FORWARD
from model.trainer import train
from tui.session import Session
from tui.training import (
    TRAINING_SWITCH_INTERVAL,
    SeekProgress,
    TrainingProgress,
    quick_gil_handover,
    run_seek,
    run_training,
)


class FakeClock:
    """Time that moves only when the test says: `tick` seconds per reading."""

    def __init__(self, tick: float) -> None:
        self.now, self.tick = 0.0, tick

    def __call__(self) -> float:
        self.now += self.tick
        return self.now


def test_accuracy_is_measured_within_the_first_second_and_every_second_after() -> None:
    session = Session(RNN(RNNConfig()))
    clock = FakeClock(0.05)  # each reading 50 ms later, however fast the machine
    posted: list[tuple[float, TrainingProgress]] = []
    run_training(
        session, 30_000, lambda p: posted.append((clock.now, p)), lambda: False, clock=clock
    )
    measured = [at for at, p in posted if p.probes is not None and not p.finished]
    assert len(measured) >= 2, "no accuracy while training"
    assert measured[0] <= 1.0  # the first within the first second of the run
    slack = 0.2 + 2 * clock.tick  # a measurement waits for the next frame
    assert all(b - a <= 1.0 + slack for a, b in itertools.pairwise(measured))
    for _, progress in posted:  # each measurement is of the weights of its moment
        if progress.probes is not None:
            assert progress.probes.accuracy.iteration <= progress.snapshot.iteration + 1
    last = posted[-1][1]
    assert last.finished and last.done == 30_000
    assert last.snapshot.phase == FORWARD and last.snapshot.timestep == 7  # as after f
    assert last.errors.end == 30_000 and last.errors.first == 0


def test_training_in_the_worker_equals_headless_training() -> None:
    session = Session(RNN(RNNConfig()))
    run_training(session, 3000, lambda p: None, lambda: False)
    reference = RNN(RNNConfig())
    train(reference, 3000)
    assert np.array_equal(session.net.params, reference.params)
    assert len(session.errors) == 3000


def test_a_jump_posts_progress_and_arrives_exactly() -> None:
    session = Session(RNN(RNNConfig()))
    posted: list[SeekProgress] = []
    assert run_seek(session, 4000, posted.append, lambda: False, clock=FakeClock(0.05))
    assert posted[-1].finished and posted[-1].reached
    assert any(not p.finished for p in posted)  # long enough to show progress
    reference = RNN(RNNConfig())
    train(reference, 4000)
    assert np.array_equal(session.net.params, reference.params)


def test_a_stopped_jump_says_so_and_leaves_a_consistent_run() -> None:
    session = Session(RNN(RNNConfig()))
    posted: list[SeekProgress] = []
    calls = iter(range(10**9))
    assert not run_seek(session, 50_000, posted.append, lambda: next(calls) > 3)
    assert posted[-1].finished and not posted[-1].reached
    iteration = session.net.iteration
    assert 0 < iteration < 50_000
    reference = RNN(RNNConfig())
    train(reference, iteration)
    assert np.array_equal(session.net.params, reference.params)


def test_training_hands_the_gil_over_quickly_and_restores_the_interval_after() -> None:
    # the UI thread must not keep the training worker waiting 5 ms at each chunk's end
    before = sys.getswitchinterval()
    seen: list[float] = []
    session = Session(RNN(RNNConfig(hidden=2)))
    run_training(
        session,
        500,
        lambda p: seen.append(sys.getswitchinterval()),
        lambda: False,
        frame_interval=0.0,
    )
    *while_training, at_the_end = seen
    assert while_training and set(while_training) == {TRAINING_SWITCH_INTERVAL}
    assert TRAINING_SWITCH_INTERVAL < before == at_the_end == sys.getswitchinterval()


def test_overlapping_trainings_restore_the_interval_only_when_the_last_ends() -> None:
    before = sys.getswitchinterval()
    first, second = quick_gil_handover(), quick_gil_handover()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)  # a cancelled worker ends while the new one trains
    assert sys.getswitchinterval() == TRAINING_SWITCH_INTERVAL
    second.__exit__(None, None, None)
    assert sys.getswitchinterval() == before


class SleepingClock:
    """Time that moves only by the worker's sleeps (training itself takes no time)."""

    def __init__(self) -> None:
        self.now, self.slept = 0.0, 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert 0 < seconds <= 0.02 + 1e-12  # never long without looking for a stop
        self.now += seconds
        self.slept += seconds


def test_a_paced_run_spreads_its_iterations_over_the_seconds_asked() -> None:
    session = Session(RNN(RNNConfig()))
    clock = SleepingClock()
    seen: list[tuple[float, int]] = []

    def post(progress: TrainingProgress) -> None:
        seen.append((clock.now, progress.done))

    done = run_training(
        session, 1000, post, lambda: False, clock=clock, sleep=clock.sleep, seconds=10.0
    )
    # each report waited for after it is shown, but the last: 10 s less one fiftieth
    assert done == 1000 and abs(clock.slept - 9.8) < 1e-9
    frames = [(at, n) for at, n in seen[:-1]]
    assert len(frames) >= 40  # about five a second, each a little further on
    for at, n in frames:  # never more than one report (20 iterations) ahead of the pace
        assert n / 100 - 0.2 - 1e-9 <= at
    reference = RNN(RNNConfig())
    train(reference, 1000)
    assert np.array_equal(session.net.params, reference.params)  # the same run, slower


def test_a_paced_run_of_one_iteration_shows_it_at_once() -> None:
    session = Session(RNN(RNNConfig()))
    clock = SleepingClock()
    done = run_training(
        session, 1, lambda p: None, lambda: False, clock=clock, sleep=clock.sleep, seconds=10.0
    )
    assert done == 1 and clock.slept == 0.0  # nothing to wait for after the last


def test_a_paced_run_stops_within_a_wait_step() -> None:
    session = Session(RNN(RNNConfig()))
    clock = SleepingClock()
    done = run_training(
        session, 1000, lambda p: None, lambda: clock.now >= 2.0, clock=clock,
        sleep=clock.sleep, seconds=10.0,
    )  # fmt: skip
    assert clock.now < 2.0 + 0.021 and 150 <= done <= 250
    assert session.net.iteration == done
