"""Projector focus, the hidden units: the heatmap with every cell's value in digits.

Each cell is its shade (glyphs and colour, as on the main screen) followed by the value
in two digits: layer_1 as `.73`, and while going backward layer_1_delta, signed, in the
unit printed in the title (`-4.1` with "x 1e-2" is -0.041), as its values are small.
For the LSTM and GRU it draws the state or gate `v` chose, signed (`-.41`) where its
range is (-1, 1), and going backward the delta into h (or c).
Below the units the carry out of each bit (column t: the carry the state after timestep t
must hold), and the carry-like unit is marked. The same widget, with a cursor, is the
inspector's heatmap (`i`); where there is no room for digits it draws shades only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from rich.style import Style
from rich.text import Text

from model.cells import cell_info
from model.encoding import carry_out
from model.stepper import BACKWARD, Snapshot
from tui.glyphs import current
from tui.widgets.hidden import HEAT, NEGATIVE, POSITIVE, Rows, row_prefix, shade_level, shown_rows
from tui.widgets.inputs import current_timestep
from tui.widgets.lines import LinesWidget

LABEL = 6  # "carry "
NUMBER = 5  # " .73" or " -4.1": a blank, then the digits
NOTES = 15  # room right of the cells for "◀ carry r=+0.93"
CURSOR = Style(reverse=True, bold=True)
NOW = Style(bold=True, underline=True)


@dataclass(frozen=True)
class HeatLayout:
    shades: int  # shade glyphs per cell
    numbers: bool  # the value's digits after the shades
    row_height: int  # text rows per hidden unit
    notes: bool  # room for the carry note right of the cells

    @property
    def cell(self) -> int:
        return self.shades + (NUMBER if self.numbers else 0)

    @property
    def column(self) -> int:
        return self.cell + 1  # a blank column between cells


def heat_layout(width: int, height: int, bits: int, hidden: int) -> HeatLayout:
    """The widest cells that fit, digits preferred, then the carry note; rows as tall as fit."""
    options = [(k, True, True) for k in (6, 5, 4, 3, 2, 1)]
    options += [(1, True, False)]
    options += [(k, False, True) for k in (4, 3, 2)] + [(k, False, False) for k in (3, 2, 1)]
    chosen = options[-1]
    for shades, numbers, notes in options:
        cell = shades + (NUMBER if numbers else 0)
        if LABEL + bits * (cell + 1) + (NOTES if notes else 0) <= width:
            chosen = (shades, numbers, notes)
            break
    rows = height - 4  # title, timestep header, carry, legend
    row_height = max(1, min(3, rows // max(hidden, 1)))
    return HeatLayout(chosen[0], chosen[1], row_height, chosen[2])


def unit_of_ten(values: list[float]) -> int:
    """The power of ten that puts the largest |value| in [1, 10) (0 when all are 0)."""
    largest = max((abs(v) for v in values if math.isfinite(v)), default=0.0)
    if largest == 0:
        return 0
    return math.floor(math.log10(largest))


def signed_digits(value: float) -> str:
    """A signed state or gate (the LSTM's c and g, the GRU's n): `+.73`, `-.05`, `-1.3`."""
    if not math.isfinite(value):
        return two_digits(value, True)
    if abs(value) < 0.995:
        text = f"{value:+.2f}"
        return text[0] + text[2:]  # "+0.73" -> "+.73"
    for digits in (1, 0):
        text = f"{value:+.{digits}f}"
        if len(text) <= NUMBER - 1:
            return text
    return f"{value:+.0e}"[: NUMBER - 1]


def two_digits(value: float, signed: bool, exponent: int = 0) -> str:
    """`.73`, `1.0` (layer_1); `+4.1`, `-0.3` in units of 10**exponent (deltas)."""
    if not math.isfinite(value):
        return "nan" if value != value else ("+inf" if value > 0 else "-inf")
    if signed:
        text = f"{value / 10.0**exponent:+.1f}"
        return text if len(text) <= NUMBER - 1 else f"{value:+.0e}"[: NUMBER - 1]
    text = f"{value:.2f}"
    if text.startswith("0"):
        text = text[1:]
    elif text.startswith("-0"):
        text = "-" + text[2:]
    elif text == "1.00":
        text = "1.0"
    return text[: NUMBER - 1]


class FocusHidden(LinesWidget):
    """layer_1 (layer_1_delta going backward), unit by timestep, with digits; the carry row.

    For the LSTM and GRU, the state or gate `v` chose (`state`), and going backward the
    delta into h (or c), as the main screen's heatmap (tui.widgets.hidden.shown_rows)."""

    DEFAULT_CSS = """
    FocusHidden { text-wrap: nowrap; text-overflow: clip; height: 1fr; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.snapshot: Snapshot | None = None
        self.carry_unit: int | None = None
        self.carry_correlation: float | None = None
        self.cursor: tuple[int, int] | None = None  # (unit, timestep): the inspector's cell
        self.state = "h"  # the state or gate drawn (v; the RNN has only h)

    def show(
        self,
        snapshot: Snapshot | None,
        carry_unit: int | None = None,
        carry_correlation: float | None = None,
        cursor: tuple[int, int] | None = None,
        state: str = "h",
    ) -> None:
        shown = (snapshot, carry_unit, carry_correlation, cursor, state)
        if shown != (
            self.snapshot,
            self.carry_unit,
            self.carry_correlation,
            self.cursor,
            self.state,
        ):
            self.snapshot, self.carry_unit, self.carry_correlation, self.cursor, self.state = shown
            self.update_lines()

    def layout_now(self) -> HeatLayout | None:
        snap = self.snapshot
        if snap is None:
            return None
        return heat_layout(self.size.width, self.size.height, snap.bits, snap.hidden)

    def units_shown(self, hidden: int, rows: int) -> list[int]:
        """The units that fit in `rows` rows: the cursor's and the carry unit's always."""
        if hidden <= rows:
            return list(range(hidden))
        keep = [
            u for u in (self.cursor[0] if self.cursor else None, self.carry_unit) if u is not None
        ]
        shown = [u for u in range(hidden) if u not in keep][: max(rows - 1 - len(keep), 0)]
        return sorted(set(shown + keep))

    def build(self) -> list[Text]:
        snap = self.snapshot
        layout = self.layout_now()
        if snap is None or layout is None:
            return []
        glyphs = current()
        backward = snap.phase == BACKWARD
        info = cell_info(snap.cell)
        state = self.state if self.state in info.states else "h"
        values, title, signed = shown_rows(snap, state, backward, info.signed)
        known = [v for row in values if row is not None for v in row]
        exponent = unit_of_ten(known) if backward else 0
        scale = 1.0
        if signed:
            finite = [abs(v) for v in known if math.isfinite(v)]
            scale = max(finite, default=0.0) or 1.0
        now = current_timestep(snap)
        choices = " ".join(info.states) if len(info.states) > 1 else ""
        lines = [self._title(snap, title, choices, backward, exponent, layout)]
        lines.append(self._header(snap, layout, now))
        rows_free = max(self.size.height - 4, 1)
        units = self.units_shown(snap.hidden, rows_free // layout.row_height or 1)
        label = row_prefix(snap, state, backward)  # as the main screen labels the rows
        for unit in units:
            lines += self._unit_rows(
                snap, unit, label, values, (signed, backward), scale, exponent, layout, now
            )
        if len(units) < snap.hidden:
            lines.append(Text(f"{glyphs.more} {snap.hidden - len(units)} more units", "dim"))
        lines.append(self._carry_row(snap, layout, now))
        shades = glyphs.shades
        if backward:
            legend = f"+/- sign, {shades} size"
            if layout.numbers:
                legend += f"; digits: {title}"
                legend += f" in units of 1e{exponent}" if exponent else ""
        elif signed:
            legend = f"+/- sign, {shades} size"
            if layout.numbers:
                legend += f"; digits: {state} (-.73 = -0.73); blank = not yet"
        elif snap.cell != "rnn":
            legend = f"{shades} = 0 to 1"
            if layout.numbers:
                legend += f"; digits: {state} (.73 = 0.73); blank = not yet"
        else:
            legend = f"{shades} = 0 to 1"
            if layout.numbers:
                legend += "; digits: layer_1 (.73 = 0.73); blank = not yet"
        lines.append(Text(" " * LABEL + legend, "dim"))
        return lines

    def _title(
        self,
        snap: Snapshot,
        name: str,
        choices: str,
        backward: bool,
        exponent: int,
        layout: HeatLayout,
    ) -> Text:
        """The title, shortened to fit the panel (the inspector's is 40 columns): without
        "hidden units: ", then without the list of what v chooses; the phase stays."""
        width = self.size.width
        for prefix, listed in (("hidden units: ", True), ("", True), ("", False)):
            line = Text(f"{prefix}{name}", "bold")
            if backward and exponent and layout.numbers:
                line.append(f"  (digits x 1e{exponent})", "bold")
            line.append("  ")
            line.append(snap.phase_label, "bold reverse")
            if choices and listed:
                line.append(f"  v: {choices}", "dim")
            if line.cell_len <= width:
                break
        return line

    def _header(self, snap: Snapshot, layout: HeatLayout, now: int | None) -> Text:
        line = Text("t".ljust(LABEL), "dim")
        cursor_t = self.cursor[1] if self.cursor else None
        for t in range(snap.bits - 1, -1, -1):
            label = f"t={t}" if layout.cell >= 3 else str(t)
            style: Style | str = "dim"
            if t == now:
                style = Style(reverse=True, bold=True)
            elif t == cursor_t:
                style = "bold"
            line.append(label.center(layout.cell)[: layout.cell], style)
            line.append(" ")
        return line

    def _unit_rows(
        self,
        snap: Snapshot,
        unit: int,
        label_letter: str,
        values: Rows,
        kind: tuple[bool, bool],  # (signed, a delta in units of 10**exponent)
        scale: float,
        exponent: int,
        layout: HeatLayout,
        now: int | None,
    ) -> list[Text]:
        glyphs = current()
        middle = layout.row_height // 2
        rows = []
        for r in range(layout.row_height):
            label_style = "bold reverse" if unit == self.carry_unit else "bold"
            label = f"{label_letter}{unit}".ljust(LABEL - 1) if r == middle else " " * (LABEL - 1)
            line = Text(label, label_style if r == middle else "")
            line.append(" ")
            for t in range(snap.bits - 1, -1, -1):
                start = len(line)
                line.append(self._cell(values[t], unit, kind, scale, exponent, layout, r == middle))
                if self.cursor == (unit, t):
                    line.stylize(CURSOR, start, len(line))
                elif t == now and r == middle:
                    line.stylize(NOW, start, len(line))
                line.append(" ")
            if r == middle and unit == self.carry_unit and self.carry_correlation is not None:
                if layout.notes:
                    sense = "carry" if self.carry_correlation >= 0 else "anti"
                    note = f"{glyphs.pointer} {sense} r={self.carry_correlation:+.2f}"
                else:
                    note = glyphs.pointer
                line.append(note, "bold")
            rows.append(line)
        return rows

    @staticmethod
    def _cell(
        row: tuple[float, ...] | None,
        unit: int,
        kind: tuple[bool, bool],
        scale: float,
        exponent: int,
        layout: HeatLayout,
        with_digits: bool,
    ) -> Text:
        if row is None:
            return Text(" " * layout.cell)
        signed, delta = kind
        value = row[unit]
        level = shade_level(value, scale)
        shade = current().shades[level] * layout.shades
        style = (NEGATIVE if value < 0 else POSITIVE) if signed else HEAT[level]
        cell = Text(shade, style)
        if layout.numbers:
            digits = ""
            if with_digits:
                digits = (
                    two_digits(value, True, exponent)
                    if delta
                    else (signed_digits(value) if signed else two_digits(value, False))
                )
            cell.append(f" {digits:<{NUMBER - 1}}", "bold")
        elif signed and layout.shades > 1:  # no digits: the sign as on the main screen
            cell = Text(("-" if value < 0 else "+") + shade[1:], style)
        return cell

    def _carry_row(self, snap: Snapshot, layout: HeatLayout, now: int | None) -> Text:
        line = Text("carry".ljust(LABEL), "bold")
        carries = carry_out(snap.a, snap.b, snap.bits)
        for t in range(snap.bits - 1, -1, -1):
            style = Style(reverse=True, bold=True) if t == now else Style(bold=True, color="yellow")
            line.append(str(carries[t]).center(layout.cell), style)
            line.append(" ")
        if layout.notes:
            line.append("carry out", "dim")
        return line
