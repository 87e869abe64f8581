"""Fast training: many iterations of the kernel, chunked for progress and cancellation.

The examples of a chunk are drawn from the random stream in one call and encoded in a
few vectorised calls; the stream ends exactly where one-by-one drawing would leave it
(checked by the tests), so chunking changes speed, never results.

Chunks are sized by time, not by count: an iteration of a 1024-unit network takes
about 600 times as long as one of a 16-unit network, and a fixed count of 128 made a
stop (or quit) wait some 10 s there. Each chunk is sized from the one before it to
take about CHUNK_SECONDS, starting from a single iteration and at most doubling, so
`should_stop` is polled every ~0.03-0.06 s (or every iteration, when one takes longer)
at any size.

When the compiled kernel is active for the network's cell (model/kernel_choice.py: the
RNN, and the LSTM and GRU once their self-check runs passed too) a chunk runs in one call
of the compiled loop, which leaves the same bits and the same kernel buffers as the
numpy kernel would; the log reports of the chunk's iterations follow it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from model.cells import cell_module
from model.encoding import problem_bits
from model.kernel_choice import ChunkRunner, chunk_runner
from model.network import RNN

if TYPE_CHECKING:
    from model.cells.rnn import IterationKernel as Kernel  # every cell's kernel has its API
else:
    Kernel = Any

CHUNK_SECONDS = 0.03  # aimed time of a chunk: between progress reports and stop checks
MAX_CHUNK = 4096  # bounds the examples drawn and encoded at once


def next_chunk(size: int, elapsed: float, target: float = CHUNK_SECONDS) -> int:
    """The size of the next chunk, after one of `size` iterations took `elapsed` s.

    Scaled to take `target` seconds, but at most doubled (one fast chunk is no proof),
    never below one iteration and never above MAX_CHUNK.
    """
    scaled = 2 * size if elapsed <= 0 else round(size * target / elapsed)
    return max(1, min(MAX_CHUNK, 2 * size, scaled))


def next_size(size: int, count: int, elapsed: float, target: float = CHUNK_SECONDS) -> int:
    """The next chunk's size after one meant to be `size` ran `count` iterations.

    A chunk cut short (at a boundary, or at the end) says how fast iterations run, not
    how many the next may take: it shrinks the size when it took longer than the aim,
    never for being short. (The app ends a chunk at every 1000th iteration; growing again from
    each short remainder made some 2.4 chunks per 1000 iterations instead of 1.)
    """
    if count >= size:
        return next_chunk(count, elapsed, target)
    if elapsed <= target:  # a remainder of a few iterations timed with a chunk's fixed
        return size  # costs would look slow: only one that overran the aim shrinks it
    return max(1, min(size, round(count * target / elapsed)))


def first_compiled_chunk(hidden: int, bits: int) -> int:
    """The compiled loop's first chunk: about a millisecond's worth (some 400 million
    multiply-adds a second), not one iteration. The app trains in segments of 1000
    iterations (between replay anchors), and growing from 1 each time cost 8 chunks' set-up
    per segment; at 1024 hidden units this is still one iteration."""
    return max(1, 400_000 // (hidden * hidden * bits + 100 * bits))


@dataclass(frozen=True)
class ExampleReport:
    """What the tutorial prints about one iteration (its j % 1000 == 0 block)."""

    iteration: int  # the tutorial's j: iterations completed before this one
    a: int
    b: int
    bits: int
    overall_error: float
    predicted_lsb_first: tuple[int, ...]

    @property
    def predicted_value(self) -> int:
        return sum(bit << t for t, bit in enumerate(self.predicted_lsb_first))


@dataclass(frozen=True)
class ChunkReport:
    """Progress after a chunk: plain numbers only, safe to hand to another thread."""

    iteration: int  # iterations completed in total
    done: int  # iterations completed by this call so far
    errors: tuple[float, ...]  # overallError of each iteration in the chunk


def kernel_for(net: RNN) -> Kernel:
    """A fresh kernel of the network's cell, sized for its hidden units and bits."""
    kernel: Kernel = cell_module(net.cell).IterationKernel(net.hidden, net.bits)
    return kernel


def train(
    net: RNN,
    iterations: int,
    *,
    kernel: Kernel | None = None,
    on_chunk: Callable[[ChunkReport], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    log_every: int = 0,
    on_log: Callable[[ExampleReport], None] | None = None,
    chunk: int | None = None,
    boundary: int = 0,
    clock: Callable[[], float] = time.perf_counter,
) -> int:
    """Train `iterations` examples, exactly as the tutorial would; return how many ran.

    `should_stop` is polled between chunks, so a stop leaves the model at a whole
    iteration with the random stream consistent. `on_log` receives a report for every
    iteration whose index j satisfies j % log_every == 0 (log_every=0: never), right after
    that iteration, with the network as it left it (a listener may measure it: a compiled
    chunk ends there).
    `chunk` fixes the chunk size; by default chunks are sized by time on `clock`
    (see the module's docstring). Results are the same whatever the chunking.
    `boundary` > 0: no chunk crosses a multiple of it, so `on_chunk` sees the start of
    every such iteration (the random stream just before its example is drawn).
    """
    if log_every < 0:
        raise ValueError(f"log_every must be 0 (never) or positive, got {log_every}")
    kernel = kernel or kernel_for(net)
    compiled = chunk_runner(kernel)  # the compiled loop, when it is active for this cell
    done = 0
    if chunk is not None:
        size = chunk
    else:
        size = 1 if compiled is None else first_compiled_chunk(net.hidden, net.bits)
    with np.errstate(all="ignore"):  # a diverging run shows up as numbers, not warnings
        while done < iterations:
            if should_stop is not None and should_stop():
                break
            if compiled is None:
                # the app chooses its kernel in the background: a run started before that
                # goes on compiled from the chunk after (the kernels agree bit for bit)
                compiled = chunk_runner(kernel)
            began = clock()
            count = min(size, iterations - done)
            if boundary > 0:
                count = min(count, boundary - net.iteration % boundary)
            if compiled is not None and log_every and on_log is not None:
                count = min(count, _through_next_log(net.iteration, log_every))
            a, b = net.draw_examples(count)
            X, Y = problem_bits(a, b, net.bits)
            if compiled is not None:
                errors = _compiled_chunk(compiled, net, a, b, X, Y, log_every, on_log)
            else:
                errors = _numpy_chunk(kernel, net, a, b, X, Y, log_every, on_log)
            done += count
            if chunk is None:  # timed before on_chunk: a slow listener is not our work
                size = next_size(size, count, clock() - began)
            if on_chunk is not None:
                on_chunk(ChunkReport(net.iteration, done, tuple(errors)))
    return done


def _through_next_log(iteration: int, log_every: int) -> int:
    """Iterations from `iteration` up to and including the next one logged (j % log_every
    == 0), where a compiled chunk must end: its reports come after the whole chunk."""
    return -iteration % log_every + 1


def _numpy_chunk(
    kernel: Kernel,
    net: RNN,
    a: np.ndarray,
    b: np.ndarray,
    X: np.ndarray,
    Y: np.ndarray,
    log_every: int,
    on_log: Callable[[ExampleReport], None] | None,
) -> list[float]:
    """A chunk by the numpy kernel, one example after another (logging as it goes)."""
    run = kernel.run
    errors = [0.0] * len(X)
    for i in range(len(X)):
        j = net.iteration
        errors[i] = run(net, X[i], Y[i])
        if log_every and on_log is not None and j % log_every == 0:
            bits = tuple(kernel.predicted_bits())
            on_log(ExampleReport(j, int(a[i]), int(b[i]), net.bits, errors[i], bits))
    return errors


def _compiled_chunk(
    run_chunk: ChunkRunner,
    net: RNN,
    a: np.ndarray,
    b: np.ndarray,
    X: np.ndarray,
    Y: np.ndarray,
    log_every: int,
    on_log: Callable[[ExampleReport], None] | None,
) -> list[float]:
    """A chunk by the compiled loop; the log reports of its iterations, after it."""
    first = net.iteration
    errors, predicted = run_chunk(net, X, Y)
    if log_every and on_log is not None:
        for i in range(-first % log_every, len(errors), log_every):
            bits = tuple(int(bit) for bit in predicted[i])
            on_log(ExampleReport(first + i, int(a[i]), int(b[i]), net.bits, float(errors[i]), bits))
    return errors.tolist()
