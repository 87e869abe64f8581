"""Projector focus, the sum: a, b, predicted and true bits in big characters, and the
tutorial's line `a + b = pred` in big digits.

Columns run most significant bit first, as the tutorial prints numbers and as the main
screen draws them. The current timestep's column is drawn in reverse video, every
predicted bit has a ✓ or ✗ under it (v / x in ASCII) and unknown bits are a small dot:
nothing here needs colour to be read (colour only repeats it).
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.style import Style
from rich.text import Text

from model.encoding import bits_lsb_first
from model.stepper import Snapshot
from tui.glyphs import current
from tui.widgets.focus_font import big_text, big_width, glyph_height, glyph_width
from tui.widgets.inputs import current_timestep
from tui.widgets.lines import LinesWidget

LABEL = 10  # "pred  255 " beside each big bit row
RIGHT, WRONG = Style(color="green", bold=True), Style(color="red", bold=True)
NOW = Style(reverse=True, bold=True)


@dataclass(frozen=True)
class SumLayout:
    scale: int  # of the bit rows
    gap: int  # columns between bit columns
    sum_scale: int  # of the `a + b = pred` line (0: no room, drawn as plain text)

    def column(self, ascii: bool) -> int:
        return glyph_width(self.scale, ascii) + self.gap


def rows_needed(scale: int, ascii: bool) -> int:
    """Title, header, a, b, rule, pred, marks, true, blank, sum, verdict."""
    return 6 + 5 * glyph_height(scale, ascii)


def sum_layout(width: int, height: int, bits: int, sum_text: str, ascii: bool) -> SumLayout:
    """The biggest scale whose rows fit (at least 1: a small screen crops)."""
    scale = 1
    for candidate in (4, 3, 2):
        gap = candidate + 1
        wide = LABEL + bits * (glyph_width(candidate, ascii) + gap)
        if wide <= width and rows_needed(candidate, ascii) <= height:
            scale = candidate
            break
        if ascii:  # seven-segment digits come in one size
            break
    sum_scale = 0
    tight = rows_needed(scale, ascii) > height  # even the smallest digits crop the rows
    for candidate in range(scale, 0, -1):
        if tight:  # the sum as one line of text, so that the verdict under it shows
            break
        if big_width(sum_text, candidate, ascii, gap=candidate) + LABEL <= width:
            sum_scale = candidate
            break
    return SumLayout(scale, max(2, scale + 1), sum_scale)


def sum_line(snap: Snapshot) -> str:
    """The tutorial's `a + b = pred` (pred as far as the forward pass has got; ? before)."""
    known = any(bit is not None for bit in snap.predicted)
    return f"{snap.a} + {snap.b} = {snap.predicted_value if known else '?'}"


class FocusSum(LinesWidget):
    """The sum, full screen. `value` is the big line's text, e.g. `9 + 60 = 1`."""

    DEFAULT_CSS = """
    FocusSum { text-wrap: nowrap; text-overflow: clip; height: 1fr; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.snapshot: Snapshot | None = None

    @property
    def value(self) -> str:
        return "" if self.snapshot is None else sum_line(self.snapshot)

    def show(self, snapshot: Snapshot | None) -> None:
        if snapshot is not self.snapshot:
            self.snapshot = snapshot
            self.update_lines()

    def build(self) -> list[Text]:
        snap = self.snapshot
        if snap is None:
            return []
        ascii = current().ascii
        layout = sum_layout(self.size.width, self.size.height, snap.bits, self.value, ascii)
        lines = [Text("the sum  ", "bold").append(snap.phase_label, "bold reverse")]
        lines.append(self._header(snap, layout, ascii))
        lines += self._bit_rows("a", snap.a, bits_lsb_first(snap.a, snap.bits), snap, layout)
        lines += self._bit_rows("b", snap.b, bits_lsb_first(snap.b, snap.bits), snap, layout)
        rule = "-" if ascii else "─"
        lines.append(Text(" " * LABEL + rule * (snap.bits * layout.column(ascii) - layout.gap)))
        known = any(bit is not None for bit in snap.predicted)
        pred_value = snap.predicted_value if known else "?"
        lines += self._bit_rows("pred", pred_value, snap.predicted, snap, layout)
        lines.append(self._marks(snap, layout, ascii))
        lines += self._bit_rows("true", snap.true_value, snap.true_bits, snap, layout)
        if rows_needed(layout.scale, ascii) <= self.size.height:  # room for a blank line
            lines.append(Text(""))
        lines += self._big_sum(layout, ascii)
        lines.append(self._verdict(snap))
        return lines

    def _columns(self, snap: Snapshot) -> range:
        return range(snap.bits - 1, -1, -1)  # MSB (the last timestep) first

    def _header(self, snap: Snapshot, layout: SumLayout, ascii: bool) -> Text:
        width = glyph_width(layout.scale, ascii)
        now = current_timestep(snap)
        line = Text("t".ljust(LABEL), "dim")
        for t in self._columns(snap):
            label = f"t={t}" if width >= 3 and t == now else str(t)
            line.append(label.center(width)[:width], NOW if t == now else "dim")
            line.append(" " * layout.gap)
        return line

    def _bit_rows(
        self,
        name: str,
        value: object,
        bits: tuple[int | None, ...] | list[int],
        snap: Snapshot,
        layout: SumLayout,
    ) -> list[Text]:
        ascii = current().ascii
        height = glyph_height(layout.scale, ascii)
        width = glyph_width(layout.scale, ascii)
        now = current_timestep(snap)
        rows = [Text(" " * LABEL) for _ in range(height)]
        rows[height // 2] = Text(f"{name:<5}{value!s:>4} ", "bold")
        for t in self._columns(snap):
            bit = bits[t]
            if bit is None:  # not predicted yet: a small dot in the middle of the column
                glyph = [" " * width for _ in range(height)]
                glyph[height // 2] = current().unknown.center(width)
                style: Style | str = "dim"
            else:
                glyph = big_text(str(bit), layout.scale, ascii)
                style = "bold"
                if name == "pred":
                    style = RIGHT if bit == snap.true_bits[t] else WRONG
            if t == now:
                style = NOW
            for r in range(height):
                rows[r].append(glyph[r], style)
                rows[r].append(" " * layout.gap)
        return rows

    def _marks(self, snap: Snapshot, layout: SumLayout, ascii: bool) -> Text:
        """A ✓ or ✗ under every predicted bit (shapes, not only colours)."""
        glyphs = current()
        width = glyph_width(layout.scale, ascii)
        line = Text(" " * LABEL)
        for t in self._columns(snap):
            got, want = snap.predicted[t], snap.true_bits[t]
            if got is None:
                line.append(" " * width)
            elif got == want:
                line.append(glyphs.right.center(width), RIGHT)
            else:
                line.append(glyphs.wrong.center(width), WRONG)
            line.append(" " * layout.gap)
        return line

    def _big_sum(self, layout: SumLayout, ascii: bool) -> list[Text]:
        text = self.value
        if layout.sum_scale == 0:
            return [Text(" " * LABEL + text, "bold")]
        rows = big_text(text, layout.sum_scale, ascii, gap=layout.sum_scale)
        return [Text(" " * LABEL + row, "bold") for row in rows]

    def _verdict(self, snap: Snapshot) -> Text:
        glyphs = current()
        done = sum(1 for bit in snap.predicted if bit is not None)
        wrong = sum(
            1
            for got, want in zip(snap.predicted, snap.true_bits, strict=True)
            if got is not None and got != want
        )
        line = Text(" " * LABEL + "true ")
        line.append(f"{snap.a} + {snap.b} = {snap.true_value}", "bold")
        line.append("  ")
        if done < snap.bits:
            line.append(f"{done} of {snap.bits} bits predicted so far", "dim")
        elif wrong == 0:
            line.append(f"{glyphs.right} correct", RIGHT)
        else:
            line.append(f"{glyphs.wrong} {wrong} bit{'s' * (wrong != 1)} wrong", WRONG + NOW)
        return line
