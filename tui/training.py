"""The body of the app's training worker, kept apart from Textual so it can be tested.

It runs in a worker thread and owns the model while it runs. It hands the UI only
immutable `TrainingProgress` values (tuples and numbers, never live numpy arrays), at
most every `frame_interval` seconds, and measures accuracy on a copy of the weights
at most every `probe_interval` seconds (less often when measuring is slow). The final
report carries no measurement: the app makes it in the background, so the screen shows
the end of training at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from model.probes import NONE, Ablation, Accuracy, carry_probe, evaluate
from model.stepper import Snapshot, Stepper
from model.trainer import ChunkReport
from tui.widgets.error import AccuracyView

FRAME_INTERVAL = 0.2  # seconds between screen updates while training (5 per second)
PROBE_INTERVAL = 1.0  # seconds between accuracy measurements while training


@dataclass(frozen=True)
class Probes:
    accuracy: AccuracyView
    carry_unit: int | None
    carry_correlation: float | None
    ablated: AccuracyView | None = None  # accuracy under the active ablation, if any
    ablation: Ablation = NONE


@dataclass(frozen=True)
class TrainingProgress:
    snapshot: Snapshot
    errors: tuple[float, ...]  # overallError of the iterations since the previous report
    done: int
    total: int
    rate: float  # iterations per second so far
    probes: Probes | None
    finished: bool
    problem: str = ""  # set when training stopped on an unexpected error


def measure(stepper: Stepper, ablation: Ablation = NONE) -> Probes:
    """Accuracy and the carry-like unit of the current weights (works on copies)."""
    net = stepper.net
    s0, s1, sh = net.synapse_0.copy(), net.synapse_1.copy(), net.synapse_h.copy()
    return measure_weights(s0, s1, sh, net.bits, net.iteration, ablation)


def _view(acc: Accuracy, iteration: int) -> AccuracyView:
    return AccuracyView(acc.exact, acc.per_bit, acc.count, acc.sampled, iteration)


def measure_weights(
    s0: np.ndarray,
    s1: np.ndarray,
    sh: np.ndarray,
    bits: int,
    iteration: int,
    ablation: Ablation = NONE,
) -> Probes:
    """Accuracy (and under `ablation`, if any) and the carry-like unit of these weights."""
    view = _view(evaluate(s0, s1, sh, bits), iteration)
    ablated = None if ablation == NONE else _view(evaluate(s0, s1, sh, bits, ablation), iteration)
    probe = carry_probe(s0, s1, sh, bits)
    return Probes(view, probe.unit, probe.correlation, ablated, ablation)


def run_training(
    stepper: Stepper,
    total: int,
    post: Callable[[TrainingProgress], None],
    cancelled: Callable[[], bool],
    *,
    ablation: Ablation = NONE,
    frame_interval: float = FRAME_INTERVAL,
    probe_interval: float = PROBE_INTERVAL,
    clock: Callable[[], float] = time.perf_counter,
) -> int:
    """Train `total` iterations on `stepper`, posting progress; return iterations done."""
    started = clock()
    pending: list[float] = []
    last_frame = started
    last_probe = started
    wait_between_probes = probe_interval
    done_so_far = 0

    def on_chunk(report: ChunkReport) -> None:
        nonlocal last_frame, last_probe, done_so_far, wait_between_probes
        pending.extend(report.errors)
        done_so_far = report.done
        now = clock()
        if now - last_frame < frame_interval:
            return
        probes = None
        if now - last_probe >= wait_between_probes:
            probes = measure(stepper, ablation)
            last_probe = clock()
            # a big network's measurement must not eat the training time: space them out
            wait_between_probes = max(probe_interval, 20 * (last_probe - now))
        rate = report.done / max(now - started, 1e-9)
        post(
            TrainingProgress(
                stepper.trained_snapshot(),
                tuple(pending),
                report.done,
                total,
                rate,
                probes,
                finished=False,
            )
        )
        pending.clear()
        # on a fixed beat (not "interval after the last post"), or frames drift below 5/s
        last_frame += frame_interval
        if now - last_frame > frame_interval:
            last_frame = now

    problem = ""
    try:
        done = stepper.train(total, on_chunk=on_chunk, should_stop=cancelled)
    except Exception as err:  # never let a worker take the app down with a traceback
        done, problem = done_so_far, f"training stopped: {err}"
    elapsed = max(clock() - started, 1e-9)
    post(
        TrainingProgress(
            stepper.snapshot(),
            tuple(pending),
            done,
            total,
            done / elapsed,
            None,  # the app measures the final weights in the background
            finished=True,
            problem=problem,
        )
    )
    return done
