"""The overallError history of a whole run, bounded, exact to truncate and replay.

Two layers, both indexed by absolute iteration number:

* `recent`: the raw overallError of (at least) the last `RECENT` iterations;
* `blocks`: for every complete block of `BLOCK` iterations (iterations k*BLOCK ..
  k*BLOCK + BLOCK - 1; the first block may start later, where the history starts), the
  sum of its errors added in iteration order: 8 bytes per 100 iterations, 80 KB for a
  million. A block's sum is made once, when it completes, from the raw values, so
  truncating the history and appending the same errors again gives bit-identical blocks:
  going back in a run and forward again redraws the same curve.

`view(width)` is what the sparkline draws: per-iteration values while the raw window
covers the whole run, else the block means (and the block under way), squeezed into at
most `width` columns.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np

RECENT = 10_000
BLOCK = 100
AVERAGE_OVER = 100  # iterations in the moving average


@dataclass(frozen=True)
class HistoryView:
    """What the error panel draws: plain numbers, safe to hand to another thread."""

    first: int  # the span drawn is first .. end (iterations)
    end: int
    curve: tuple[float, ...]  # oldest first, at most the width asked for
    last: float | None
    average: float | None
    averaged: int  # how many iterations the average covers


class BlockMissing(ValueError):
    """A history saved by rnn-tui before 2026-12-03 that had gone back in a run starting
    between two blocks: going back dropped one block too many, so its curve cannot be
    placed (the weights and the rest of such a file are sound)."""


class ErrorHistory:
    """overallError per iteration, from iteration `start` (0, or where a file left off)."""

    def __init__(self, start: int = 0) -> None:
        self.start = start  # the first iteration recorded
        self.end = start  # one past the last iteration recorded
        self.blocks: list[float] = []  # sums of the complete blocks, oldest first
        self.recent: list[float] = []  # raw errors of iterations recent_start .. end - 1
        # the complete blocks' means, made as they are first drawn: the curve of a long
        # run is drawn five times a second, and a Python loop over its blocks grew with it
        self._means = np.empty(0)

    def __len__(self) -> int:
        return self.end - self.start

    @property
    def recent_start(self) -> int:
        return self.end - len(self.recent)

    def block_start(self, iteration: int) -> int:
        """First iteration of the block `iteration` falls in (never before the start)."""
        return max(self.start, iteration // BLOCK * BLOCK)

    def append(self, error: float) -> None:
        self.extend((error,))

    def extend(self, errors: Iterable[float]) -> None:
        """Record each error in order. Whatever the chunking, the blocks and the trimming of
        `recent` come out the same: each block is summed once it completes, in iteration
        order, and `recent` is trimmed down to RECENT whenever it would exceed 2 * RECENT
        (a compiled-kernel chunk brings thousands of errors at once: a Python loop over each
        block cost the training thread some 5% of its time)."""
        values = list(map(float, errors))
        if not values:
            return
        recent, end = self.recent, self.end + len(values)
        first = self.block_start(self.end)  # the block under way
        complete = end // BLOCK * BLOCK  # the blocks ending by then are summed now
        if complete > first:
            held = self.end - first  # its values so far, the last of `recent`
            span = recent[len(recent) - held :] + values[: complete - self.end]
            self.blocks += _block_sums(span, first % BLOCK)
        recent += values
        self.end = end
        if len(recent) > 2 * RECENT:
            # where one error at a time would have trimmed last: trims come once every
            # RECENT + 1 errors from the first time 2 * RECENT are exceeded
            keep = RECENT + (len(recent) - 2 * RECENT - 1) % (RECENT + 1)
            del recent[: len(recent) - keep]

    def values(self) -> list[float]:
        """The raw errors held for saving: the last RECENT at most, oldest first."""
        return self.recent[-RECENT:]

    def tail(self, at: int | None = None) -> tuple[float, ...] | None:
        """Raw errors of the block under way at iteration `at` (default: the end), which
        `truncate` needs to come back there; None when they are not held."""
        at = self.end if at is None else at
        first = self.block_start(at)
        if not self.start <= at <= self.end or first < self.recent_start:
            return None
        low, high = first - self.recent_start, at - self.recent_start
        return tuple(self.recent[low:high])

    def truncate(self, end: int, tail: Sequence[float] | None = None) -> bool:
        """Forget the iterations from `end` on.

        The block under way at `end` needs its raw errors: from what is held, or `tail`
        (as `tail()` returned it at `end`). Returns False, changing nothing, without them.
        """
        end = min(max(self.start, end), self.end)
        first, held_from = self.block_start(end), self.recent_start
        rebuild = first < end and first < held_from
        if rebuild and (tail is None or len(tail) != end - first):
            return False
        del self.recent[max(0, end - held_from) :]
        self.end = end
        if rebuild:
            assert tail is not None
            self.recent = [float(v) for v in tail]
        del self.blocks[self._complete_blocks(end) :]
        self._means = self._means[: len(self.blocks)]
        return True

    def _complete_blocks(self, end: int) -> int:
        """How many blocks are complete when the history ends at `end`: one per multiple
        of BLOCK in start + 1 .. end (a first block cut short by the start counts too)."""
        return max(0, end // BLOCK - self.start // BLOCK)

    def copy(self) -> ErrorHistory:
        twin = ErrorHistory(self.start)
        twin.end, twin.blocks, twin.recent = self.end, list(self.blocks), list(self.recent)
        return twin

    def followed_by(self, later: ErrorHistory) -> ErrorHistory:
        """This history and `later`, which starts where this one ends: one history.

        Exact when `later` still holds every raw value or starts on a block boundary;
        otherwise the block they share is this one's part, summed in order, plus `later`'s
        (a rounding apart from the in-order sum: the curve cannot show it)."""
        if later.start != self.end:
            raise ValueError("the later history must start where this one ends")
        whole = self.copy()
        if later.recent_start <= later.start:
            whole.extend(later.recent)
            return whole
        shared = self.block_start(self.end)
        head = self.recent[len(self.recent) - (self.end - shared) :] if shared < self.end else []
        first = later.blocks[0] + _sequential_sum(head) if head else later.blocks[0]
        whole.blocks = [*self.blocks, first, *later.blocks[1:]]
        whole.recent, whole.end = list(later.recent), later.end
        whole._means = np.empty(0)
        return whole

    # -- what the panel shows ------------------------------------------------------------

    def view(self, width: int) -> HistoryView:
        recent = self.recent[-AVERAGE_OVER:]
        return HistoryView(
            first=self.start,
            end=self.end,
            curve=tuple(self.curve(width)),
            last=self.recent[-1] if self.recent else None,
            average=_sequential_sum(recent) / len(recent) if recent else None,
            averaged=len(recent),
        )

    def curve(self, width: int) -> list[float]:
        """The whole run squeezed into at most `width` values, oldest first."""
        n = len(self)
        if n == 0 or width <= 0:
            return []
        if n <= RECENT and self.recent_start <= self.start:
            return bucket_means(self.recent[-n:], width)
        means = self._block_means()
        under_way = self.block_start(self.end)
        if under_way < self.end and under_way >= self.recent_start:
            part = self.recent[under_way - self.end :]
            means = np.append(means, _sequential_sum(part) / len(part))
        return bucket_means(means, width)

    def _block_means(self) -> np.ndarray:
        """Each complete block's mean error, oldest first (the first block may be short)."""
        known, count = len(self._means), len(self.blocks)
        if known < count:
            sums = np.array(self.blocks[known:count], dtype=np.float64)
            sizes = np.full(count - known, float(BLOCK))
            if known == 0 and self.start % BLOCK:
                sizes[0] = BLOCK - self.start % BLOCK  # begins where the history begins
            self._means = np.concatenate([self._means, sums / sizes])
        return self._means

    # -- checkpoints ---------------------------------------------------------------------

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {
            "error_start": np.array(self.start, dtype=np.int64),
            "error_blocks": np.array(self.blocks, dtype=np.float64),
            "error_recent": np.array(self.values(), dtype=np.float64),
        }

    @classmethod
    def from_arrays(
        cls, start: int, end: int, blocks: np.ndarray, recent: np.ndarray, bits: int
    ) -> ErrorHistory:
        """Rebuild a saved history ending at iteration `end` (the checkpoint's iteration)
        of a `bits`-bit network; ValueError when the parts do not fit together or hold an
        error no iteration can make (overallError adds `bits` errors, each below 1)."""
        if not 0 <= start <= end:
            raise ValueError("the error history starts after the checkpoint's iteration")
        if blocks.ndim != 1 or recent.ndim != 1:
            raise ValueError("the error history's arrays must be one-dimensional")
        history = cls(start)
        if len(blocks) != history._complete_blocks(end):
            if start % BLOCK and len(blocks) == history._complete_blocks(end) - 1:
                raise BlockMissing("a block of the error history is missing")
            raise ValueError("the error history's block count does not match its span")
        if len(recent) > min(end - start, RECENT):
            raise ValueError("the error history holds more values than iterations")
        history.end = end
        if history.block_start(end) < end - len(recent):
            raise ValueError("the error history misses values of its last block")
        if not (np.isfinite(blocks).all() and np.isfinite(recent).all()):
            raise ValueError("the error history holds values that are not finite")
        fits = ((recent >= 0) & (recent <= bits)).all()
        if not (fits and ((blocks >= 0) & (blocks <= BLOCK * bits)).all()):
            raise ValueError(f"the error history holds errors outside 0 to {bits}")
        history.blocks = [float(v) for v in blocks]
        history.recent = [float(v) for v in recent]
        return history


def _sequential_sum(values: Sequence[float]) -> float:
    total = 0.0
    for value in values:
        total += value
    return total


def _block_sums(values: Sequence[float], column: int) -> list[float]:
    """The sums of consecutive blocks of BLOCK values, the first starting at `column` of
    its block, each added in order from 0.0 exactly as `_sequential_sum` adds: the first
    block is padded in front with zeros (0.0 + 0.0 is 0.0, so they change no bit), and
    `np.add.accumulate` adds each row one value after another (`np.add.reduce` would
    add in pairs: other bits)."""
    rows = np.zeros(column + len(values))
    rows[column:] = values
    sums = np.add.accumulate(rows.reshape(-1, BLOCK), axis=1)[:, -1]
    return cast(list[float], sums.tolist())


def bucket_means(values: Sequence[float] | np.ndarray, buckets: int) -> list[float]:
    """`values` squeezed (or left alone) into at most `buckets` means, oldest first:
    bucket i holds values i*n//buckets .. (i+1)*n//buckets - 1."""
    n = len(values)
    if buckets <= 0:
        return []
    if n <= buckets:
        return [float(v) for v in values]
    # (np.add.reduceat sums a bucket pairwise: deterministic, so a curve redrawn from the
    # same history is the same, though not the in-order sum to the last bit)
    edges = np.arange(buckets + 1, dtype=np.int64) * n // buckets
    sums = np.add.reduceat(np.asarray(values, dtype=np.float64), edges[:-1])
    means: list[float] = (sums / np.diff(edges)).tolist()
    return means
