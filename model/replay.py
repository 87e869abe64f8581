"""Going back in a run by exact replay: anchors of the run's state, a few hundred floats each.

Training is deterministic: the state at the start of an iteration (weights, random
stream, alpha) decides everything after it. So instead of keeping every step, a
`Timeline` keeps *anchors* — that state every `spacing` iterations — and reaches any
earlier iteration by restoring the nearest anchor before it and training forward with
the same kernel, which gives bit-identical weights (the tests check it).

Some changes cannot be replayed: a new alpha, a training iteration on a sum the user
chose, the network a run started from. Each leaves an *event* anchor holding the state
right after it; replay never starts before the latest event at or before its target.
An iteration trained on a typed sum is also noted (`typed`), so that stepping back into
it shows that sum, not the example the stream would have drawn.

Memory is bounded: anchors are thinned (every other one dropped, the spacing doubled)
when they would take more than `budget` bytes. At 16 hidden units an anchor is about
5 KB, so a million iterations take about 5 MB.
"""

from __future__ import annotations

import bisect
import dataclasses
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from model.network import RNN, same_rng_state
from model.trainer import ChunkReport, train

SPACING = 1000  # iterations between anchors (a multiple of model.history.BLOCK)
# with the compiled kernel: it replays 4000 iterations in some 15 ms, and an anchor (the
# random state read, the weights copied, the chunk cut there) cost its training thread
# about 10% of its time at one per 1000
COMPILED_SPACING = 4 * SPACING
BUDGET = 16 * 2**20  # bytes all anchors may take
RECENT_STARTS = 64  # iteration starts kept besides the anchors, for stepping back quickly


@dataclass(frozen=True)
class Anchor:
    """The state at the start of iteration `iteration`, before its example is drawn."""

    iteration: int
    params: np.ndarray
    rng_state: tuple[Any, ...]
    alpha: float
    event: bool = False  # True: a change replay cannot make; replay never crosses it
    tail: tuple[float, ...] | None = None  # errors of the history block under way

    @property
    def nbytes(self) -> int:
        return int(self.params.nbytes) + int(self.rng_state[1].nbytes) + 200

    @classmethod
    def of(
        cls,
        net: RNN,
        rng_state: tuple[Any, ...],
        *,
        event: bool = False,
        tail: Sequence[float] | None = None,
    ) -> Anchor:
        keys = np.array(rng_state[1], copy=True)
        state = (rng_state[0], keys, *rng_state[2:])
        return cls(
            net.iteration,
            net.params.copy(),
            state,
            net.alpha,
            event,
            None if tail is None else tuple(tail),
        )

    def restore(self, net: RNN) -> None:
        net.load_state(self.params, self.rng_state, self.iteration)
        net.alpha = self.alpha


class Timeline:
    """Anchors of one run, from the iteration it started at."""

    def __init__(
        self,
        start: Anchor,
        *,
        spacing: int = SPACING,
        budget: int = BUDGET,
    ) -> None:
        start = dataclasses.replace(start, event=True)  # nothing before it can be replayed
        self.spacing, self.budget = spacing, budget
        self._iterations: list[int] = [start.iteration]
        self._anchors: dict[int, Anchor] = {start.iteration: start}
        self._starts: OrderedDict[int, Anchor] = OrderedDict()
        self._nbytes = start.nbytes
        # iterations trained on a sum the user typed (o), not the stream's: the course of
        # the run from its anchors needs them (each is followed by an event anchor)
        self.typed: dict[int, tuple[int, int]] = {}

    @property
    def start(self) -> int:
        return self._iterations[0]

    @property
    def nbytes(self) -> int:
        return self._nbytes + sum(a.nbytes for a in self._starts.values())

    def __len__(self) -> int:
        return len(self._iterations)

    def anchors(self) -> list[Anchor]:
        return [self._anchors[i] for i in self._iterations]

    # -- recording ---------------------------------------------------------------------

    def wants(self, iteration: int) -> bool:
        """Should the start of `iteration` be kept as a regular anchor?"""
        return iteration % self.spacing == 0 and iteration not in self._anchors

    def record(self, anchor: Anchor) -> None:
        """Keep a regular anchor (or an event: then everything after it is forgotten)."""
        if anchor.event:
            self.forget_after(anchor.iteration - 1)
            self._starts.pop(anchor.iteration, None)
        elif anchor.iteration in self._anchors:
            return
        if anchor.iteration not in self._anchors:
            bisect.insort(self._iterations, anchor.iteration)
        else:
            self._nbytes -= self._anchors[anchor.iteration].nbytes
        self._anchors[anchor.iteration] = anchor
        self._nbytes += anchor.nbytes
        if self._nbytes > self.budget:
            self._thin()

    def note_typed(self, iteration: int, a: int, b: int) -> None:
        """Iteration `iteration` of this course trains on a + b, drawn from no stream."""
        self.typed[iteration] = (a, b)

    def remember_start(self, anchor: Anchor) -> None:
        """Keep the start of a recent iteration (stepping back across updates is instant)."""
        if anchor.iteration in self._anchors:
            return
        self._starts[anchor.iteration] = anchor
        self._starts.move_to_end(anchor.iteration)
        while len(self._starts) > RECENT_STARTS:
            self._starts.popitem(last=False)

    def forget_after(self, iteration: int) -> None:
        """Drop every anchor after `iteration` (the run has taken another course)."""
        cut = bisect.bisect_right(self._iterations, iteration)
        for gone in self._iterations[max(cut, 1) :]:
            self._nbytes -= self._anchors.pop(gone).nbytes
        del self._iterations[max(cut, 1) :]
        for later in [i for i in self._starts if i > iteration]:
            del self._starts[later]
        for later in [i for i in self.typed if i > iteration]:
            del self.typed[later]

    def _thin(self) -> None:
        self.spacing *= 2
        for iteration in list(self._iterations[1:]):
            anchor = self._anchors[iteration]
            if not anchor.event and iteration % self.spacing != 0:
                self._nbytes -= anchor.nbytes
                del self._anchors[iteration]
                self._iterations.remove(iteration)

    def extend_back(self, earlier: Timeline, reached: Anchor) -> None:
        """Put `earlier` in front: the anchors of a replay from before this timeline's start
        that reached `reached`, the very state this timeline started from. The start is
        then no barrier, unless a change was made at that iteration (it stays an event)."""
        if earlier.start >= self.start or earlier.typed:
            raise ValueError("an earlier timeline of the stream alone must start before this one")
        start = self._anchors[self.start]
        if same_state(start, reached):
            self._anchors[self.start] = dataclasses.replace(start, event=False)
        before = [i for i in earlier._iterations if i < self.start]
        for iteration in before:
            self._anchors[iteration] = earlier._anchors[iteration]
            self._nbytes += earlier._anchors[iteration].nbytes
        self._iterations = before + self._iterations
        self.spacing = max(self.spacing, earlier.spacing)
        if self._nbytes > self.budget:
            self._thin()

    # -- finding a way back ----------------------------------------------------------------

    def next_event_after(self, iteration: int) -> int | None:
        """The first event anchor's iteration after `iteration`, if any."""
        for later in self._iterations[bisect.bisect_right(self._iterations, iteration) :]:
            if self._anchors[later].event:
                return later
        return None

    def event_at(self, iteration: int) -> Anchor | None:
        anchor = self._anchors.get(iteration)
        return anchor if anchor is not None and anchor.event else None

    def base(self, target: int, *, not_after: int | None = None, starts: bool = True) -> Anchor:
        """The anchor to replay from to reach the start of `target`: the latest one at or
        before `not_after` (default: `target`), but never before the latest event at or
        before `target`. `starts`: recent iteration starts may serve too."""
        limit = target if not_after is None else min(not_after, target)
        index = bisect.bisect_right(self._iterations, target) - 1
        barrier = self._iterations[0]
        for i in range(index, -1, -1):
            if self._anchors[self._iterations[i]].event:
                barrier = self._iterations[i]
                break
        limit = max(limit, barrier)
        best = self._anchors[self._iterations[bisect.bisect_right(self._iterations, limit) - 1]]
        if starts:
            for iteration, anchor in self._starts.items():
                if best.iteration < iteration <= limit:
                    best = anchor
        return best


def same_state(one: Anchor, other: Anchor) -> bool:
    """Do two anchors hold the same state, bit for bit (weights, random stream, alpha)?"""
    return (
        one.iteration == other.iteration
        and one.alpha == other.alpha
        and np.array_equal(one.params, other.params)
        and same_rng_state(one.rng_state, other.rng_state)
    )


def replay(
    net: RNN,
    base: Anchor,
    target: int,
    *,
    on_chunk: Callable[[ChunkReport], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> int:
    """Restore `base` into `net` and train on to the start of `target`; return iterations run.

    The result is bit-identical to the run that made the anchor, trained to `target`.
    """
    base.restore(net)
    return train(net, target - base.iteration, on_chunk=on_chunk, should_stop=should_stop)
