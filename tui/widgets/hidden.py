"""The hidden panel: one widget drawing the whole layer_1 heatmap.

Rows are hidden units, columns are timesteps under the bit columns above. Each value is
drawn as a shade glyph *and* a colour, so it reads on a monochrome projector too. While
backpropagation runs the panel shows layer_1_delta instead: the shade is the size of
the delta, a leading +/- its sign. Below the units, the carry out of each position: in
column t, what the state after timestep t must remember for timestep t + 1, the very
row the carry probe correlates each unit with.
"""

from __future__ import annotations

import math

from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from model.cells import cell_info
from model.encoding import carry_out
from model.stepper import BACKWARD, Snapshot
from tui.glyphs import current
from tui.widgets.grid import MARKED, BitGrid, lines_to_text
from tui.widgets.inputs import current_timestep

# how the panel names each state or gate a cell exposes (the RNN's h is layer_1)
STATE_TITLES = {
    "h": "h hidden",
    "c": "c cell state",
    "i": "i input gate",
    "f": "f forget gate",
    "o": "o output gate",
    "g": "g candidate",
    "z": "z update gate",
    "r": "r reset gate",
    "n": "n candidate",
}
SHADE_LEVELS = 5  # activation 0..1 in five steps (tui.glyphs); blank = not computed yet
HEAT = [Style(color=c) for c in ("#4c566a", "#5e81ac", "#88c0d0", "#ebcb8b", "#d08770")]
POSITIVE, NEGATIVE = Style(color="#a3be8c"), Style(color="#bf616a")


def shade_level(value: float, scale: float = 1.0) -> int:
    if not math.isfinite(value):  # a diverged network: inf is as big as it gets, NaN blank
        return SHADE_LEVELS - 1 if value == value else 0
    if not math.isfinite(scale) or scale <= 0:
        return 0
    level = int(abs(value) / scale * SHADE_LEVELS)
    return max(0, min(SHADE_LEVELS - 1, level))


Rows = tuple[tuple[float, ...] | None, ...]


def unit_label(state: str, unit: int) -> str:
    """A heatmap row's name, and the inspector's for its units: h2, c2, or a gate's i2."""
    return f"{state}{unit}"


def delta_shown(snap: Snapshot, state: str) -> str:
    """The carried state whose delta is shown going backward: c for the LSTM's c, else h."""
    return "c" if state == "c" and "c" in snap.deltas else "h"


def row_prefix(snap: Snapshot, state: str, backward: bool) -> str:
    """What a heatmap's rows are units of: the chosen state or gate (h3, c3, a gate's i3),
    or going backward the carried state the delta flows into."""
    return delta_shown(snap, state) if backward else state


def shown_rows(
    snap: Snapshot, state: str, backward: bool, signed_states: tuple[str, ...]
) -> tuple[Rows, str, bool]:
    """(per-timestep rows, title, signed) of what a heatmap draws: going backward the
    delta flowing into h (or c, for the LSTM's c), else the chosen state or gate."""
    rnn = snap.cell == "rnn"
    if backward:
        name = delta_shown(snap, state)
        rows = snap.deltas.get(name, snap.layer_1_delta)
        return rows, "layer_1_delta" if rnn else f"delta into {name}", True
    rows = snap.states.get(state, snap.layer_1)
    title = "layer_1" if rnn else STATE_TITLES.get(state, state)
    return rows, title, state in signed_states


class HiddenPanel(Widget):
    """Heatmap of layer_1 (or layer_1_delta going backward) plus the carry row."""

    DEFAULT_CSS = """
    HiddenPanel { text-wrap: nowrap; text-overflow: clip; height: 1fr; min-height: 3; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.snapshot: Snapshot | None = None
        self.state = "h"  # which state or gate is drawn (v chooses; the RNN has only h)
        self.carry_unit: int | None = None
        self.carry_correlation: float | None = None
        self.carry_state = "h"  # the state the carry unit belongs to

    def show(self, snapshot: Snapshot, state: str = "h") -> None:
        self.snapshot, self.state = snapshot, state
        self.refresh()

    def show_carry(self, unit: int | None, correlation: float | None, state: str = "h") -> None:
        before = self._carry_note(self.carry_unit, self.carry_correlation), self.carry_state
        self.carry_unit, self.carry_correlation, self.carry_state = unit, correlation, state
        if (self._carry_note(unit, correlation), state) != before:  # only a visible change
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
        glyphs = current()
        grid = BitGrid(snap.bits, self.size.width)
        backward = snap.phase == BACKWARD
        info = cell_info(snap.cell)
        state = self.state if self.state in info.states else "h"
        values, title, signed = shown_rows(snap, state, backward, info.signed)
        largest = 0.0  # what the note states (nan: nothing finite); the shades' scale is 1
        if signed:  # when all are zero
            known = [abs(v) for row in values if row is not None for v in row if math.isfinite(v)]
            largest = max(known, default=math.nan)
        scale = largest if largest > 0 else 1.0
        now = current_timestep(snap)
        units, hidden_more = self._units_shown(snap.hidden, max(self.size.height - 1, 1))
        choices = " ".join(info.states)
        notes = {0: f" {title}", 1: f" v: {choices}" if len(info.states) > 1 else ""}
        if snap.hidden == 1:
            notes[1] = ""
        elif len(info.states) == 1:
            notes[1] = " hidden units"
        computed = any(row is not None for row in values)
        if signed and computed:  # nothing computed yet: no scale to state
            notes[2] = f" max |{'d' if backward else state}| {largest:.1e}"
        prefix = row_prefix(snap, state, backward)
        marked_unit = self.carry_unit if self.carry_state == state else None
        # the notes go on the first rows, skipping the marked unit's: the title is never
        # hidden behind the marker when the carry-like unit is h0 or h1
        pending = [notes[k] for k in sorted(notes)]
        lines = []
        for unit in units:
            row = grid.label(unit_label(prefix, unit))
            for t in grid.timesteps():
                row.append(self._cell(grid, values[t], unit, signed, scale, t == now))
            if unit == marked_unit and self.carry_correlation is not None:
                kind = "carry" if self.carry_correlation >= 0 else "anti"  # anti: dark on 1s
                row.append(f" {glyphs.pointer} {kind} r={self.carry_correlation:+.2f}", "bold")
            else:
                row.append(pending.pop(0) if pending else "", "dim")
            lines.append(row)
        if hidden_more:
            lines.append(Text(f"{glyphs.more} {hidden_more} more units not shown", "dim"))
        carry = grid.label("carry")
        carries = carry_out(snap.a, snap.b, snap.bits)
        for t in grid.timesteps():
            carry.append(grid.centered(str(carries[t])), MARKED if t == now else "bold yellow")
        carry.append(" carry out", "dim")
        lines.append(carry)
        if len(lines) < self.size.height:  # a spare line: the key to the shades
            shades = glyphs.shades
            legend = f"+/- sign, {shades} size" if signed else f"{shades} = 0 to 1, blank = not yet"
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
        glyph = current().shades[level]
        if signed:
            style = NEGATIVE if value < 0 else POSITIVE
            sign = "-" if value < 0 else "+" if value > 0 else " "  # an exact 0 has no sign
            body = sign + glyph * (grid.cell - 1) if grid.cell > 1 else glyph
        else:
            style = HEAT[level]
            body = glyph * grid.cell
        if marked:
            style = style + Style(underline=True)
        return Text(body, style)
