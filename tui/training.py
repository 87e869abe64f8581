"""The bodies of the app's workers (training, jumps), kept apart from Textual for tests.

They run in a worker thread and own the session while they run. They hand the UI only
immutable values (tuples and numbers, never live numpy arrays), at most every
`frame_interval` seconds; training measures accuracy on a copy of the weights within its
first `FIRST_PROBE` seconds and then every `probe_interval` seconds (big networks are
measured on a sample, labelled, so this stays cheap). The final report carries no
measurement: the app makes it in the background, so the screen shows the end at once.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from model.history import HistoryView
from model.network import Network
from model.probes import NONE, Ablation, Accuracy, carry_probes, evaluate_net
from model.stepper import Snapshot, Stepper
from model.trainer import ChunkReport
from tui.session import Position, Refused, Session
from tui.widgets.error import AccuracyView

FRAME_INTERVAL = 0.2  # seconds between screen updates while training (5 per second)
PROBE_INTERVAL = 1.0  # seconds between accuracy measurements while training, at most
FIRST_PROBE = 0.4  # seconds into a run of its first accuracy measurement
# How long the UI thread may hold the GIL while the training worker waits for it. Python's
# default, 5 ms, made the worker wait at the end of many compiled chunks (each ~3 ms, one
# per 1000 iterations) while a frame was being drawn: some 10% of its time.
TRAINING_SWITCH_INTERVAL = 0.0005
WATCHED_SECONDS = 10.0  # how long `T` spreads a run over: the error falls as a class watches
PACED_FRAMES = 50  # reports of a paced run (each frame shows the iterations up to it)
WAIT_STEP = 0.02  # the longest a paced run sleeps without looking for a stop


_handover_lock = threading.Lock()
_handovers = 0  # trainings under way with the short interval
_interval_before = 0.005


@contextmanager
def quick_gil_handover(interval: float = TRAINING_SWITCH_INTERVAL) -> Iterator[None]:
    """Python's thread switch interval at most `interval` while the block runs; nested or
    overlapping blocks (a cancelled worker still finishing beside a new one) share it, and
    the last to leave restores the interval from before the first."""
    global _handovers, _interval_before
    with _handover_lock:
        if _handovers == 0:
            _interval_before = sys.getswitchinterval()
        _handovers += 1
        sys.setswitchinterval(min(_interval_before, interval))
    try:
        yield
    finally:
        with _handover_lock:
            _handovers -= 1
            if _handovers == 0:
                sys.setswitchinterval(_interval_before)


@dataclass(frozen=True)
class Probes:
    accuracy: AccuracyView
    carry_unit: int | None
    carry_correlation: float | None
    ablated: AccuracyView | None = None  # accuracy under the active ablation, if any
    ablation: Ablation = NONE
    carry_state: str = "h"  # the state the carry unit is a unit of ("c": the LSTM's cell)


@dataclass(frozen=True)
class TrainingProgress:
    snapshot: Snapshot
    errors: HistoryView  # the whole run's error curve so far
    done: int
    total: int
    rate: float  # iterations per second so far
    probes: Probes | None
    finished: bool
    problem: str = ""  # set when training stopped on an unexpected error


def measure(stepper: Stepper, ablation: Ablation = NONE) -> Probes:
    """Accuracy and the carry-like unit of the current weights (works on a copy)."""
    return measure_net(stepper.net.copy(), ablation)


def _view(acc: Accuracy, iteration: int) -> AccuracyView:
    return AccuracyView(acc.exact, acc.per_bit, acc.count, acc.sampled, iteration)


def measure_net(net: Network, ablation: Ablation = NONE) -> Probes:
    """Accuracy (and under `ablation`, if any) and the carry-like unit of a network of any
    cell: the unit of h, or of c for the LSTM, that best tracks the carry. `net` must be a
    copy nobody trains while this runs (it runs in a worker thread)."""
    view = _view(evaluate_net(net), net.iteration)
    ablated = None if ablation == NONE else _view(evaluate_net(net, ablation), net.iteration)
    probes = carry_probes(net)
    state = max(probes, key=lambda name: abs(probes[name].correlation))
    best = probes[state]
    return Probes(view, best.unit, best.correlation, ablated, ablation, state)


def run_training(
    session: Session,
    total: int,
    post: Callable[[TrainingProgress], object],
    cancelled: Callable[[], bool],
    *,
    width: Callable[[], int] = lambda: 40,
    ablation: Ablation = NONE,
    frame_interval: float = FRAME_INTERVAL,
    probe_interval: float = PROBE_INTERVAL,
    clock: Callable[[], float] = time.perf_counter,
    seconds: float = 0.0,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Train `total` iterations of `session`, posting progress; return iterations done.

    `seconds` > 0: at a pace a class can watch, the run spread over about that long (a
    report every PACED_FRAMES-th of it, each waited for; a stop is seen within WAIT_STEP).
    Unpaced, the compiled kernel trains 10,000 iterations in some 0.02 s.

    `width()`: how many columns the error curve is squeezed into (read on each frame, so
    a resized terminal gets the right curve).
    """
    started = clock()
    last_frame = started
    last_probe = started - probe_interval + FIRST_PROBE  # the first within FIRST_PROBE s
    done_so_far = 0

    def keep_pace(done: int) -> None:
        due = started + seconds * done / max(total, 1)
        while not cancelled():
            left = due - clock()
            if left <= 0:
                return
            sleep(min(left, WAIT_STEP))

    def on_chunk(report: ChunkReport) -> None:
        nonlocal done_so_far
        done_so_far = report.done
        frame(report)
        # a paced run waits after showing a chunk (not before: one iteration of N = 1 would
        # sit at 0% for the whole wait), and not after its last
        if seconds > 0 and report.done < total:
            keep_pace(report.done)

    def frame(report: ChunkReport) -> None:
        nonlocal last_frame, last_probe
        now = clock()
        if now - last_frame < frame_interval:
            return
        probes = None
        if now - last_probe >= probe_interval:
            probes = measure(session.stepper, ablation)
            last_probe = now  # at least one measurement a second: big networks sample
        rate = report.done / max(now - started, 1e-9)
        post(
            TrainingProgress(
                session.stepper.trained_snapshot(),
                session.errors.view(width()),
                report.done,
                total,
                rate,
                probes,
                finished=False,
            )
        )
        # on a fixed beat (not "interval after the last post"), or frames drift below 5/s
        last_frame += frame_interval
        if now - last_frame > frame_interval:
            last_frame = now

    problem = ""
    try:
        report_every = max(1, total // PACED_FRAMES) if seconds > 0 else 0
        with quick_gil_handover():
            done = session.train(
                total, on_chunk=on_chunk, should_stop=cancelled, report_every=report_every
            )
    except Exception as err:  # never let a worker take the app down with a traceback
        done, problem = done_so_far, f"training stopped: {err}"
    elapsed = max(clock() - started, 1e-9)
    post(
        TrainingProgress(
            session.stepper.snapshot(),
            session.errors.view(width()),
            done,
            total,
            done / elapsed,
            None,  # the app measures the final weights in the background
            finished=True,
            problem=problem,
        )
    )
    return done


@dataclass(frozen=True)
class SeekProgress:
    """A jump (g) under way: iterations replayed so far of `total`, or its end."""

    target: int
    done: int
    total: int
    finished: bool
    reached: bool = False  # finished at the target (False: stopped or failed on the way)
    problem: str = ""
    step: int | None = None  # the step of `target` sought (None: its forward pass, as g)


def run_seek(
    session: Session,
    target: int,
    post: Callable[[SeekProgress], object],
    cancelled: Callable[[], bool],
    *,
    frame_interval: float = FRAME_INTERVAL,
    clock: Callable[[], float] = time.perf_counter,
    step: int | None = None,
) -> bool:
    """Go to iteration `target` (replaying or training), posting progress while it takes;
    to step `step` of it if given (else its forward pass complete, as `g` shows it)."""
    timeline = session.timeline
    if target < timeline.start:  # the history before it is rebuilt from the seed first
        total = max(timeline.start, 1)
    else:
        total = max(target - min(timeline.base(target).iteration, target), 1)
    last_frame = clock()

    def on_chunk(report: ChunkReport) -> None:
        nonlocal last_frame
        now = clock()
        if now - last_frame >= frame_interval:
            last_frame = now
            post(SeekProgress(target, report.done, total, finished=False, step=step))

    problem, reached = "", False
    try:
        if step is None:
            reached = session.go_to(target, on_chunk=on_chunk, should_stop=cancelled)
        else:
            where = Position(target, step)
            reached = session.seek(where, on_chunk=on_chunk, should_stop=cancelled)
    except Refused as err:
        problem = str(err)
    except Exception as err:  # never let a worker take the app down with a traceback
        problem = f"going to iteration {target:,} failed: {err}"
    post(
        SeekProgress(
            target, total, total, finished=True, reached=reached, problem=problem, step=step
        )
    )
    return reached
