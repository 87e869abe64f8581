"""The encoding of sums into bit rows: the table lookup against the definition."""

from __future__ import annotations

import numpy as np
import pytest

from model.encoding import TABLE_BITS, bits_lsb_first, problem_bits


def _by_definition(a: list[int], b: list[int], bits: int) -> tuple[np.ndarray, np.ndarray]:
    pairs = list(zip(a, b, strict=True))
    X = np.array([[bits_lsb_first(x, bits), bits_lsb_first(y, bits)] for x, y in pairs])
    Y = np.array([bits_lsb_first(x + y, bits) for x, y in pairs])
    return X.transpose(0, 2, 1).astype(float), Y.reshape(len(a), bits, 1, 1).astype(float)


@pytest.mark.parametrize("bits", [2, 3, 8, TABLE_BITS, TABLE_BITS + 1, 16, 32])
def test_every_operand_is_encoded_lsb_first(bits: int) -> None:
    limit = 1 << (bits - 1)
    rng = np.random.RandomState(bits)
    # both ends of the range and random sums between
    a = [0, limit - 1, 0, limit - 1, *rng.randint(limit, size=200).tolist()]
    b = [0, limit - 1, limit - 1, 0, *rng.randint(limit, size=200).tolist()]
    X, Y = problem_bits(np.array(a), np.array(b), bits)
    want_X, want_Y = _by_definition(a, b, bits)
    assert X.dtype == Y.dtype == np.float64
    assert X.shape == (len(a), bits, 2) and Y.shape == (len(a), bits, 1, 1)
    assert np.array_equal(X, want_X) and np.array_equal(Y, want_Y)


def test_the_table_cannot_be_changed_through_a_result() -> None:
    X, _ = problem_bits(np.array([3]), np.array([1]), 8)
    X[:] = 7.0
    again, _ = problem_bits(np.array([3]), np.array([1]), 8)
    assert again[0, :2].tolist() == [[1.0, 1.0], [1.0, 0.0]]
