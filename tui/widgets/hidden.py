"""The hidden panel: one widget drawing the whole layer_1 heatmap.

Rows are hidden units, columns are timesteps under the bit columns above. Each value is
drawn as a shade glyph *and* a colour, so it reads on a monochrome projector too. While
backpropagation runs the panel shows layer_1_delta instead: the shade is the size of
the delta, a leading +/- its sign. Below the units, the true carry into each position.
"""

from __future__ import annotations

import math

import numpy as np
from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from model.probes import carry_into
from model.stepper import BACKWARD, Snapshot
from tui.widgets.grid import MARKED, BitGrid, lines_to_text
from tui.widgets.inputs import current_timestep

SHADES = "·░▒▓█"  # activation 0..1 in five steps; blank = not computed yet
HEAT = [Style(color=c) for c in ("#4c566a", "#5e81ac", "#88c0d0", "#ebcb8b", "#d08770")]
POSITIVE, NEGATIVE = Style(color="#a3be8c"), Style(color="#bf616a")


def shade_level(value: float, scale: float = 1.0) -> int:
    if not math.isfinite(value):  # a diverged network: inf is as big as it gets, NaN blank
        return len(SHADES) - 1 if value == value else 0
    if not math.isfinite(scale) or scale <= 0:
        return 0
    level = int(abs(value) / scale * len(SHADES))
    return max(0, min(len(SHADES) - 1, level))


class HiddenPanel(Widget):
    """Heatmap of layer_1 (or layer_1_delta going backward) plus the carry row."""

    DEFAULT_CSS = """
    HiddenPanel { text-wrap: nowrap; text-overflow: clip; height: 1fr; min-height: 3; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.snapshot: Snapshot | None = None
        self.carry_unit: int | None = None
        self.carry_correlation: float | None = None

    def show(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.refresh()

    def show_carry(self, unit: int | None, correlation: float | None) -> None:
        before = self._carry_note(self.carry_unit, self.carry_correlation)
        self.carry_unit, self.carry_correlation = unit, correlation
        if self._carry_note(unit, correlation) != before:  # redraw only for a visible change
            self.refresh()

    @staticmethod
    def _carry_note(unit: int | None, correlation: float | None) -> tuple[int | None, str]:
        return unit, "" if correlation is None else f"{correlation:+.2f}"

    def _units_shown(self, hidden: int, rows: int) -> tuple[list[int], int]:
        """Which units fit in `rows` lines (the carry-like unit always), and how many are left."""
        if hidden <= rows:
            return list(range(hidden)), 0
        shown = list(range(max(rows - 1, 1)))
        if self.carry_unit is not None and self.carry_unit not in shown:
            shown[-1] = self.carry_unit
        return shown, hidden - len(shown)

    def render(self) -> Text:
        snap = self.snapshot
        if snap is None:
            return Text("")
        grid = BitGrid(snap.bits, self.size.width)
        backward = snap.phase == BACKWARD
        values = snap.layer_1_delta if backward else snap.layer_1
        scale = 1.0
        if backward:
            known = [abs(v) for row in values if row is not None for v in row if math.isfinite(v)]
            scale = max(known, default=0.0) or 1.0
        now = current_timestep(snap)
        units, hidden_more = self._units_shown(snap.hidden, max(self.size.height - 1, 1))
        title = "layer_1_delta" if backward else "layer_1"
        notes = {0: f" {title}", 1: " hidden units" if snap.hidden > 1 else ""}
        if backward:
            notes[2] = f" max |d| {scale:.1e}"
        lines = []
        for index, unit in enumerate(units):
            row = grid.label(f"h{unit}")
            for t in grid.timesteps():
                row.append(self._cell(grid, values[t], unit, backward, scale, t == now))
            if unit == self.carry_unit and self.carry_correlation is not None:
                row.append(f" ◀ carry r={self.carry_correlation:+.2f}", "bold")
            else:
                row.append(notes.get(index, ""), "dim")
            lines.append(row)
        if hidden_more:
            lines.append(Text(f"… {hidden_more} more units not shown", "dim"))
        carry = grid.label("carry")
        carries = carry_into(np.array([snap.a]), np.array([snap.b]), snap.bits)[0].tolist()
        for t in grid.timesteps():
            carry.append(grid.centered(str(carries[t])), MARKED if t == now else "bold yellow")
        carry.append(" true carry in", "dim")
        lines.append(carry)
        if len(lines) < self.size.height:  # a spare line: the key to the shades
            legend = "+/- sign, ·░▒▓█ size" if backward else "·░▒▓█ = 0 to 1, blank = not yet"
            lines.append(grid.label("").append(legend, "dim"))
        return lines_to_text(lines)

    @staticmethod
    def _cell(
        grid: BitGrid,
        row: tuple[float, ...] | None,
        unit: int,
        signed: bool,
        scale: float,
        marked: bool,
    ) -> Text:
        if row is None:
            return Text(" " * grid.cell)
        value = row[unit]
        level = shade_level(value, scale)
        glyph = SHADES[level]
        if signed:
            style = NEGATIVE if value < 0 else POSITIVE
            body = ("-" if value < 0 else "+") + glyph * (grid.cell - 1) if grid.cell > 1 else glyph
        else:
            style = HEAT[level]
            body = glyph * grid.cell
        if marked:
            style = style + Style(underline=True)
        return Text(body, style)
