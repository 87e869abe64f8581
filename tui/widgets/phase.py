"""The phase panel: the tutorial's line of code behind the step on screen, with its numbers.

A lecturer points from here to the tutorial: each step names the statement it ran,
in the tutorial's vocabulary, and the values it produced for this example.
"""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from model.stepper import BACKWARD, FORWARD, READY, UPDATE, Snapshot
from tui.widgets.grid import lines_to_text

CODE = {
    READY: ["a_int = randint(128)", "b_int = randint(128)", "press n: forward t=0"],
    FORWARD: [
        "layer_1 = sigmoid(",
        "  X@synapse_0 +",
        "  prev_layer_1@synapse_h)",
        "layer_2 = sigmoid(",
        "  layer_1@synapse_1)",
    ],
    BACKWARD: [
        "layer_1_delta = (",
        "  future_layer_1_delta",
        "    @ synapse_h.T +",
        "  layer_2_delta",
        "    @ synapse_1.T)",
        "  * layer_1*(1-layer_1)",
    ],
    UPDATE: ["synapse_0 += synapse_0_update*alpha", "(same for synapse_1, synapse_h)"],
}


class PhasePanel(Widget):
    DEFAULT_CSS = """
    PhasePanel { height: 1fr; min-height: 3; text-wrap: nowrap; text-overflow: clip; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.snapshot: Snapshot | None = None
        self.training = False

    def show(self, snapshot: Snapshot, training: bool = False) -> None:
        if training and self.training:
            return  # while training the panel shows a fixed note: nothing to redraw
        self.snapshot, self.training = snapshot, training
        self.refresh()

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
        lines += [Text(line, "green") for line in CODE[snap.phase]]
        t = snap.timestep
        if snap.phase == FORWARD and t is not None and snap.layer_2[t] is not None:
            lines.append(Text(f"layer_2 = {snap.layer_2[t]:.4f} → bit {snap.predicted[t]}"))
            if snap.overall_error is not None:
                lines.append(Text(f"overallError = {snap.overall_error:.8f}"))
        elif snap.phase == BACKWARD and t is not None and snap.layer_1_delta[t] is not None:
            size = max(abs(v) for v in snap.layer_1_delta[t])
            lines.append(Text(f"max |layer_1_delta| = {size:.2e}"))
        elif snap.phase == UPDATE and snap.update_size is not None:
            s0, s1, sh = snap.update_size
            lines.append(Text("largest change:"))
            lines.append(Text(f" synapse_0 {s0:.2e}"))
            lines.append(Text(f" synapse_1 {s1:.2e}"))
            lines.append(Text(f" synapse_h {sh:.2e}"))
        return lines_to_text(lines)
