"""A sum of outer products over timesteps, added in a fixed order in one pass.

The tutorial builds synapse_h's update as `update += outer(state[t], delta[t])` from the
last timestep to the first. At large hidden sizes the rounded result can be made in one
`np.einsum` call instead of B outer products and B additions: with the timestep axis
outermost and a hidden axis innermost, einsum's loop does `out[i, j] += c[t, i] * d[t, j]`
(a separate multiply and add) for t in memory order, starting from zero: the tutorial's
operations, element for element, in its order, without writing B products anywhere.

Which axis einsum's iterator puts innermost is numpy's choice, not ours (at H = 1 it puts
the timesteps there and adds them in another order; a build that fuses multiply-adds
rounds differently), so `sums_in_order` tries the shapes once, on data whose sum depends
on its order, and says whether einsum kept it; the caller falls back to adding one
timestep at a time when it did not.
"""

from __future__ import annotations

from functools import cache

import numpy as np

_OUTER = "ti,tj->ij"  # (T, m) x (T, n) -> (m, n), summed over t in memory order


def outer_sum(columns: np.ndarray, rows: np.ndarray, out: np.ndarray) -> None:
    """out = 0 + outer(columns[0], rows[0]) + outer(columns[1], rows[1]) + ..., in order.

    columns (T, m) and rows (T, n) must be C-contiguous (einsum iterates memory order: a
    reversed view would be turned round), and `sums_in_order(T, m, n)` true.
    """
    np.einsum(_OUTER, columns, rows, out=out)


def _one_by_one(columns: np.ndarray, rows: np.ndarray) -> np.ndarray:
    total = np.zeros((columns.shape[1], rows.shape[1]))
    for column, row in zip(columns, rows, strict=True):
        total += np.outer(column, row)
    return total


@cache
def sums_in_order(steps: int, m: int, n: int) -> bool:
    """Does `outer_sum` add (steps, m) x (steps, n) terms one timestep after another?

    Tried on terms of magnitudes 1e-8 to 1e8 and both signs, where another order of the
    additions rounds differently (a different order at H = 1 differs on every try).
    """
    rng = np.random.RandomState(20261203)
    out = np.empty((m, n))
    for _ in range(3):  # tiny shapes could match by chance once
        columns = rng.standard_normal((steps, m)) * 10.0 ** rng.randint(-8, 9, (steps, m))
        rows = rng.standard_normal((steps, n)) * 10.0 ** rng.randint(-8, 9, (steps, n))
        outer_sum(columns, rows, out)
        if not np.array_equal(out, _one_by_one(columns, rows)):
            return False
    return True
