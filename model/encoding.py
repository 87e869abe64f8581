"""Binary encoding of the addition problems.

The tutorial prints numbers most significant bit first (`Pred:[0 1 0 ...]`) but feeds
them to the network least significant bit first, so that the carry flows forward in
time. Timestep `t` therefore sees bit `t` of each operand (bit 0 = LSB).
"""

from __future__ import annotations

import functools

import numpy as np


def bits_msb_first(value: int, bits: int) -> list[int]:
    """`value` as `bits` binary digits, most significant first (the tutorial's rows)."""
    return [(value >> (bits - 1 - i)) & 1 for i in range(bits)]


def bits_lsb_first(value: int, bits: int) -> list[int]:
    """`value` as `bits` binary digits in the order the network reads them."""
    return [(value >> t) & 1 for t in range(bits)]


def from_bits_lsb_first(digits: list[int] | np.ndarray) -> int:
    return sum(int(d) << t for t, d in enumerate(digits))


TABLE_BITS = 10  # up to this width, bits are looked up: 1024 x 10 floats, 80 KB at most


@functools.lru_cache(maxsize=TABLE_BITS)
def _bit_table(bits: int) -> np.ndarray:
    """Row v: the bits of v as floats, LSB first, for every v below 2**bits."""
    table = np.empty((1 << bits, bits))
    _shift_bits(np.arange(1 << bits, dtype=np.int64), table)
    table.flags.writeable = False
    return table


def _shift_bits(operand: np.ndarray, out: np.ndarray) -> None:
    """out[k, t] = bit t of operand[k], shifted and masked straight into out's floats."""
    shifts = np.arange(out.shape[-1], dtype=np.int64)
    np.bitwise_and(np.right_shift(operand[:, None], shifts), 1, out=out, casting="unsafe")


def problem_bits(a: np.ndarray, b: np.ndarray, bits: int) -> tuple[np.ndarray, np.ndarray]:
    """Inputs and targets for many problems at once, LSB first.

    a, b: (n,) integer operands, each below 2**(bits - 1) (so a + b is below 2**bits).
    Returns X (n, bits, 2) and Y (n, bits, 1, 1), float64 (Y holds each timestep's target
    as the tutorial's (1, 1) `y`), so a whole chunk of training examples is encoded in a
    few numpy calls, each bit written straight into its float slot. Up to TABLE_BITS
    bits each operand's row is copied from a table (a compiled-kernel chunk spent some 6%
    of its time shifting and masking); wider sums are shifted and masked.
    """
    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    n = len(a)
    X = np.empty((n, bits, 2))
    Y = np.empty((n, bits, 1, 1))
    targets = ((a, X[:, :, 0]), (b, X[:, :, 1]), (a + b, Y.reshape(n, bits)))
    if bits <= TABLE_BITS:
        table = _bit_table(bits)
        for operand, out in targets:
            np.take(table, operand, axis=0, out=out)
        return X, Y
    for operand, out in targets:
        _shift_bits(operand, out)
    return X, Y


def carry_out(a: int, b: int, bits: int) -> list[int]:
    """The carry out of each position of a + b, LSB first: what the state after timestep t
    must hold for timestep t + 1 (sum bit t is a_t ^ b_t ^ carry in; carries are the bits
    of (a + b) ^ a ^ b, and the carry out of t is the carry into t + 1)."""
    carries = (a + b) ^ a ^ b
    return [(carries >> (t + 1)) & 1 for t in range(bits)]
