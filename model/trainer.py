"""Fast training: many iterations of the kernel, chunked for progress and cancellation.

The examples of a chunk are drawn from the random stream in one call and encoded in a
few vectorised calls; the stream ends exactly where one-by-one drawing would leave it
(checked by the tests), so chunking changes speed, never results.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from model.encoding import problem_bits
from model.kernel import IterationKernel
from model.network import RNN

CHUNK = 128  # iterations between progress reports / stop checks (~10 ms)


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


def kernel_for(net: RNN) -> IterationKernel:
    return IterationKernel(net.hidden, net.bits)


def train(
    net: RNN,
    iterations: int,
    *,
    kernel: IterationKernel | None = None,
    on_chunk: Callable[[ChunkReport], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    log_every: int = 0,
    on_log: Callable[[ExampleReport], None] | None = None,
    chunk: int = CHUNK,
) -> int:
    """Train `iterations` examples, exactly as the tutorial would; return how many ran.

    `should_stop` is polled between chunks, so a stop leaves the model at a whole
    iteration with the random stream consistent. `on_log` receives a report for every
    iteration whose index j satisfies j % log_every == 0 (log_every=0: never).
    """
    kernel = kernel or kernel_for(net)
    run = kernel.run
    done = 0
    with np.errstate(all="ignore"):  # a diverging run shows up as numbers, not warnings
        while done < iterations:
            if should_stop is not None and should_stop():
                break
            count = min(chunk, iterations - done)
            a, b = net.draw_examples(count)
            X, Y = problem_bits(a, b, net.bits)
            errors = [0.0] * count
            for i in range(count):
                j = net.iteration
                errors[i] = run(net, X[i], Y[i])
                if log_every and on_log is not None and j % log_every == 0:
                    on_log(
                        ExampleReport(
                            j,
                            int(a[i]),
                            int(b[i]),
                            net.bits,
                            errors[i],
                            tuple(kernel.predicted_bits()),
                        )
                    )
            done += count
            if on_chunk is not None:
                on_chunk(ChunkReport(net.iteration, done, tuple(errors)))
    return done
