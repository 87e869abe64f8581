"""The phase panel: the tutorial's line of code behind the step on screen, with its numbers.

A lecturer points from here to the tutorial: each step names the statement it ran,
in the tutorial's vocabulary, and the values it produced for this example.
"""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from model.cells import cell_info
from model.stepper import BACKWARD, FORWARD, READY, UPDATE, Snapshot
from tui.glyphs import current
from tui.widgets.grid import lines_to_text

# the example drawn is the same for every cell; each cell's equations are its own
READY_LINES = ("a_int = randint(128)", "b_int = randint(128)", "press n: forward t=0")
TYPED_LINES = ("a_int, b_int: your sum (e)", "not drawn from the stream", "press n: forward t=0")
CODE_WIDTH = 28  # the side column at 80x24: every cell's lines fit it (tested)


def code_lines(cell: str, phase: str, *, typed: bool = False) -> tuple[str, ...]:
    """The statement(s) behind a phase, in the cell's own words (model/cells).

    `typed`: the example is a sum the user typed (a probe, or an iteration `o` trained)."""
    if phase == READY:
        return TYPED_LINES if typed else READY_LINES
    return cell_info(cell).code[phase]


def _numbers_of(snap: Snapshot) -> list[Text]:
    lines = []
    t = snap.timestep
    if snap.phase == FORWARD and t is not None and snap.layer_2[t] is not None:
        arrow = current().arrow
        lines.append(Text(f"layer_2 = {snap.layer_2[t]:.4f} {arrow} bit {snap.predicted[t]}"))
        if snap.overall_error is not None:
            lines.append(Text(f"overallError = {snap.overall_error:.8f}"))
    elif snap.phase == BACKWARD and t is not None:
        delta = snap.layer_1_delta[t]
        if delta is not None:  # two lines: the value never runs off a 28-column panel
            name = "layer_1_delta" if snap.cell == "rnn" else "delta into h"
            lines.append(Text(f"max |{name}[t={t}]|"))  # this timestep's, not the heatmap's
            lines.append(Text(f"  = {max(abs(v) for v in delta):.2e}"))
    elif snap.phase == UPDATE and snap.update_sizes:
        lines.append(Text("largest change:"))
        for name, size in snap.update_sizes.items():
            lines.append(Text(f" {name} {size:.2e}"))
    return lines


def _fitted(lines: list[Text], height: int) -> list[Text]:
    """At most `height` lines; when some are cut, the last says how many (a gated cell's
    backward pass has more statements than 80x24 has room for)."""
    if height <= 0 or len(lines) <= height:
        return lines
    cut = len(lines) - height + 1
    return [
        *lines[: height - 1],
        Text(f"{current().more} {cut} more (taller screen)", "dim"),
    ]


class PhasePanel(Widget):
    DEFAULT_CSS = """
    PhasePanel { height: 1fr; min-height: 3; text-wrap: nowrap; text-overflow: clip; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.snapshot: Snapshot | None = None
        self.training = False
        self.note = ""

    def show(self, snapshot: Snapshot, training: bool = False, note: str = "") -> None:
        """`note`: a line above the code saying how the screen got here (after training)."""
        if training and self.training:
            return  # while training the panel shows a fixed note: nothing to redraw
        self.snapshot, self.training, self.note = snapshot, training, note
        self.refresh()

    @staticmethod
    def _numbers(snap: Snapshot) -> list[Text]:
        return _numbers_of(snap)

    def render(self) -> Text:
        snap = self.snapshot
        if snap is None:
            return Text("")
        if self.training:
            lines = [
                Text("training", "bold"),
                Text("the panels show an example", "dim"),
                Text("just trained (once a second)", "dim"),
            ]
            return lines_to_text(lines)
        lines = [Text(snap.phase_label, "bold cyan")]
        if self.note:
            lines.append(Text(self.note, "italic"))
        # this example's numbers first: with a gated cell's longer code they stay in view
        lines += self._numbers(snap)
        lines += [
            Text(line, "green")
            for line in code_lines(snap.cell, snap.phase, typed=snap.probe or snap.typed)
        ]
        return lines_to_text(_fitted(lines, self.size.height))
