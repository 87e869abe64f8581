"""Column geometry shared by the panels that line up under the bit columns.

The inputs, sums and hidden panels are equally wide and draw one column per bit, most
significant bit (the last timestep) on the left, as the tutorial prints numbers. They
all ask `BitGrid` where a timestep's column is, so the columns stay aligned.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.style import Style
from rich.text import Span, Text

MARKED = Style(reverse=True, bold=True)  # the current timestep's column
NOTES_WIDTH = 16  # room right of the columns for "9 + 60 = 1" and "◀ carry r=+0.93"
MAX_CELL = 10  # the widest column (a 200-column terminal); 3 at 80x24, 6 at 120x40


@dataclass(frozen=True)
class BitGrid:
    bits: int
    width: int

    @property
    def label_width(self) -> int:
        """Room for a row name and the largest sum: "pred  255 " for 8 bits."""
        return 6 + len(str((1 << self.bits) - 1))

    @property
    def cell(self) -> int:
        """The widest cell (1 to MAX_CELL characters) that fits every bit column and the
        notes: a wider terminal gets wider columns, up to a size still read as one grid."""
        room = (self.width - self.label_width - NOTES_WIDTH) // max(self.bits, 1)
        return max(1, min(MAX_CELL, room))

    def timesteps(self) -> range:
        """Timesteps in display order: MSB (last timestep) first, LSB last."""
        return range(self.bits - 1, -1, -1)

    def label(self, name: str, value: object = "") -> Text:
        return Text(f"{name:<5}{value!s:>{self.label_width - 6}} ")

    def centered(self, glyph: str) -> str:
        """One glyph in a cell, at the same offset in every cell."""
        cells = self.cell
        if cells == 1:
            return glyph
        left = (cells - 1) // 2
        return " " * left + glyph + " " * (cells - 1 - left)

    def marked(self, glyph: str, mark: str) -> str:
        """A glyph at the usual offset followed by a mark (✓/✗) when the cell has room."""
        if self.cell == 1:
            return glyph
        left = (self.cell - 1) // 2
        return (" " * left + glyph + mark)[: self.cell].ljust(self.cell)


def merge_spans(line: Text) -> Text:
    """Join touching spans of equal style, in place.

    Each span reaches the terminal as its own colour code and reset, even when its
    neighbour has the same style; a row of eight equal heatmap cells is one span after this.
    """
    merged: list[Span] = []
    for span in line.spans:
        last = merged[-1] if merged else None
        if last is not None and last.end == span.start and last.style == span.style:
            merged[-1] = Span(last.start, span.end, span.style)
        else:
            merged.append(span)
    line.spans = merged
    return line


def lines_to_text(lines: list[Text]) -> Text:
    """Join rendered lines; clip, never wrap (a wrapped row would break the columns)."""
    text = Text("\n").join(merge_spans(line) for line in lines)
    text.no_wrap = True
    text.overflow = "crop"
    return text
