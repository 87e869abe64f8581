"""Sums over timesteps of elementwise products, added in a fixed order in one pass.

The tutorial builds synapse_h's update as `update += outer(state[t], delta[t])` from the
last timestep to the first. At large hidden sizes (and for many networks in lockstep)
the rounded result can be made in one `np.einsum` call instead of B products and B
additions: with the timestep axis outermost and another axis innermost, einsum's loop
does `out[...] += a[t, ...] * b[t, ...]` (a separate multiply and add) for t in memory
order, starting from zero: the tutorial's operations, element for element, in its order,
without writing B products anywhere.

Which axis einsum's iterator puts innermost is numpy's choice, not ours (at H = 1 it
puts the timesteps there and adds them in another order), so `sums_in_order` tries the
subscripts and shapes once, on data whose sum depends on its order, and says whether
einsum kept it; callers fall back to adding one timestep at a time when it did not.
Every output index must appear in the operands and t in both, so that each term is a
single rounded product.
"""

from __future__ import annotations

from functools import cache

import numpy as np

OUTER = "ti,tj->ij"  # (T, m) x (T, n) -> (m, n): outer products summed over t


def ordered_sum(subscripts: str, a: np.ndarray, b: np.ndarray, out: np.ndarray) -> None:
    """out = 0 + term(0) + term(1) + ... in t order, term(t) the product of a[t] and b[t]
    as `subscripts` (leading index t on both operands, not in the output) lays them out.

    a and b must be C-contiguous (einsum iterates memory order: a reversed view would be
    turned round), and `sums_in_order(subscripts, a.shape, b.shape)` true.
    """
    np.einsum(subscripts, a, b, out=out)


def _one_by_one(subscripts: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    inputs, result = subscripts.split("->")
    left, right = inputs.split(",")
    per_step = f"{left[1:]},{right[1:]}->{result}"  # a single product per element
    total = np.zeros_like(np.einsum(per_step, a[0], b[0]))
    for t in range(a.shape[0]):
        total += np.einsum(per_step, a[t], b[t])
    return total


@cache
def sums_in_order(subscripts: str, a_shape: tuple[int, ...], b_shape: tuple[int, ...]) -> bool:
    """Does `ordered_sum(subscripts, ...)` on operands of these shapes add the terms one
    timestep after another?

    Tried on terms of magnitudes 1e-8 to 1e8 and both signs, where another order of the
    additions rounds differently (a different order at H = 1 differs on every try).
    """
    rng = np.random.RandomState(20261203)

    def terms(shape: tuple[int, ...]) -> np.ndarray:
        return rng.standard_normal(shape) * 10.0 ** rng.randint(-8, 9, shape)

    for _ in range(3):  # tiny shapes could match by chance once
        a, b = terms(a_shape), terms(b_shape)
        expected = _one_by_one(subscripts, a, b)
        out = np.empty_like(expected)
        ordered_sum(subscripts, a, b, out)
        if not np.array_equal(out, expected):
            return False
    return True
