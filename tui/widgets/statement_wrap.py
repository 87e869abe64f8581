"""Wrapping a statement to a panel's width without cutting a number or a name in two.

Rich wraps at spaces and folds a word longer than the line wherever the line ends, so
`(future_layer_1_delta·synapse_h.T[:,2]` in a 37-column panel came out as `...[:,2` and
`]` on the next line, and `0.1426×-0.9653` could lose its last digits to the next line.
Here a line may end only after a space or after an operator between terms: the dot
product and times signs, `*`, and a minus between two terms (`1-layer_1`), never a sign
(`×-0.96`) or an exponent's (`1.2e-05`); at a space when that fills half the line at
least. Only a run longer than the whole line, with no such place in it, is cut.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text

BREAK_AFTER = frozenset("·×*@")  # the dot product and times, in Unicode and in ASCII


def break_points(plain: str) -> list[int]:
    """Offsets where a new line may start (the characters before it end the line)."""
    points = []
    for i in range(1, len(plain)):
        before, here = plain[i - 1], plain[i]
        if here == " ":
            continue  # a line starts after the spaces, never on one
        operator = before in BREAK_AFTER or (before == "-" and _between_terms(plain, i - 1))
        if before == " " or operator:
            points.append(i)
    return points


def _between_terms(plain: str, minus: int) -> bool:
    """Whether the minus at `minus` subtracts (`1-layer_1`), rather than being a sign
    (`×-0.96`, `= -0.1`) or an exponent's (`1.2e-05`)."""
    if minus < 1:
        return False
    left = plain[minus - 1]
    if left in "eE" and minus >= 2 and plain[minus - 2].isdigit():
        return False
    return left.isalnum() or left in ")]"


def wrap_statement(line: Text, width: int) -> list[Text]:
    """`line` in lines of at most `width` cells, broken only at `break_points`."""
    plain = line.plain
    if cell_len(plain) <= width or width < 1:
        return [line]
    points = break_points(plain)
    out: list[Text] = []
    start = 0
    while cell_len(plain[start:].rstrip()) > width:
        fitting = [p for p in points if p > start and cell_len(plain[start:p].rstrip()) <= width]
        # a space reads best (`0×0.4304` stays whole); an operator when the space would
        # leave the line less than half full (`= (future_layer_1_delta·`)
        spaces = [p for p in fitting if plain[p - 1] == " "]
        if spaces and cell_len(plain[start : spaces[-1]].rstrip()) * 2 >= width:
            end = spaces[-1]
        else:
            end = fitting[-1] if fitting else _cut(plain, start, width)
        piece = line[start:end]
        piece.rstrip_end(width)  # the spaces it ends on, past the width (as Rich wraps)
        out.append(piece)
        start = end
    out.append(line[start:])
    return out


def _cut(plain: str, start: int, width: int) -> int:
    """Where a run with no break point fits: as many characters as the width holds."""
    end = start + 1
    while end < len(plain) and cell_len(plain[start : end + 1]) <= width:
        end += 1
    return end
