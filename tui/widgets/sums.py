"""The sums panel: predicted bits as the forward pass fills them in, against the true bits."""

from __future__ import annotations

from rich.text import Text

from tui.glyphs import current
from tui.widgets.grid import MARKED, BitGrid, lines_to_text
from tui.widgets.inputs import current_timestep
from tui.widgets.panel import SnapshotPanel


class SumsPanel(SnapshotPanel):
    """`pred` and `true` rows; wrong bits red and crossed; the tutorial's `a + b = pred`."""

    DEFAULT_CSS = """
    SumsPanel { text-wrap: nowrap; text-overflow: clip; height: 2; }
    """

    def render(self) -> Text:
        snap = self.snapshot
        if snap is None:
            return Text("")
        glyphs = current()
        grid = BitGrid(snap.bits, self.size.width)
        now = current_timestep(snap)
        known = [bit is not None for bit in snap.predicted]
        pred = grid.label("pred", snap.predicted_value if any(known) else "?")
        true = grid.label("true", snap.true_value)
        for t in grid.timesteps():
            want = snap.true_bits[t]
            got = snap.predicted[t]
            if got is None:
                pred.append(grid.centered(glyphs.unknown), "dim")
            else:
                ok = got == want
                # wrong bits underlined as well as red: marked with no colour too (NO_COLOR)
                style = "bold green" if ok else "bold underline red"
                # two-character cells only have room to mark the wrong bits
                mark = glyphs.wrong if not ok else (glyphs.right if grid.cell >= 3 else " ")
                text = grid.marked(str(got), mark)
                pred.append(text, MARKED if t == now else style)
            true.append(grid.centered(str(want)), MARKED if t == now else "bold")
        pred.append(" ")
        answer = snap.predicted_value if any(known) else "?"
        pred.append(f"{snap.a} + {snap.b} = {answer}", "bold")
        true.append(" ")
        wrong = sum(
            1
            for got, want in zip(snap.predicted, snap.true_bits, strict=True)
            if got is not None and got != want
        )
        if all(known):
            true.append(
                "correct" if wrong == 0 else f"{wrong} bit{'s' * (wrong != 1)} wrong",
                "bold green" if wrong == 0 else "bold reverse red",
            )
        return lines_to_text([pred, true])
