"""Shares are never rounded to 100% unless all is right (nor to 0% unless none is).

`rnn-tui train --cell lstm --iterations 2000` printed "exact sums 99.99% and bits
100.00%": with one sum wrong, some bit is wrong, and 100.00% said otherwise.
"""

from __future__ import annotations

import pytest

from model.accuracy import percent


@pytest.mark.parametrize(
    ("fraction", "decimals", "shown"),
    [
        (1.0, 2, "100.00%"),
        (1 - 1 / (16384 * 8), 2, "99.99%"),  # one bit wrong of all 16,384 sums' bits
        (0.9996, 1, "99.9%"),
        (0.5, 2, "50.00%"),
        (0.25, 0, "25%"),
        (1 / 16384 / 8, 2, "0.01%"),
        (0.0, 2, "0.00%"),
        (0.12345, 2, "12.35%"),  # otherwise ordinary rounding
    ],
)
def test_percent(fraction: float, decimals: int, shown: str) -> None:
    assert percent(fraction, decimals) == shown
