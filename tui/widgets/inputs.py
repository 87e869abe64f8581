"""The inputs panel: operands a and b as bit rows, the current timestep's column marked."""

from __future__ import annotations

from rich.text import Text

from model.encoding import bits_lsb_first
from model.stepper import BACKWARD, FORWARD, Snapshot
from tui.widgets.grid import MARKED, BitGrid, lines_to_text
from tui.widgets.panel import SnapshotPanel


def current_timestep(snapshot: Snapshot) -> int | None:
    return snapshot.timestep if snapshot.phase in (FORWARD, BACKWARD) else None


class InputsPanel(SnapshotPanel):
    """Three lines: timestep numbers, then `a` and `b`, MSB left (as the tutorial prints)."""

    DEFAULT_CSS = """
    InputsPanel { text-wrap: nowrap; text-overflow: clip; height: 3; }
    """

    def render(self) -> Text:
        snap = self.snapshot
        if snap is None:
            return Text("")
        grid = BitGrid(snap.bits, self.size.width)
        now = current_timestep(snap)
        header = grid.label("t")
        for t in grid.timesteps():
            digit = str(t % 10) if grid.cell < 2 else str(t)
            if t == now:
                glyph = f"[{digit}]" if grid.cell >= 3 and t < 10 else digit
                header.append(f"{glyph:^{grid.cell}}"[: grid.cell], MARKED)
            else:
                header.append(f"{digit:^{grid.cell}}"[: grid.cell], "dim")
        header.append(" inputs", "dim")
        lines = [header]
        for name, value in (("a", snap.a), ("b", snap.b)):
            row = grid.label(name, value)
            bits = bits_lsb_first(value, snap.bits)
            for t in grid.timesteps():
                row.append(grid.centered(str(bits[t])), MARKED if t == now else "bold")
            lines.append(row)
        return lines_to_text(lines)
