"""The inspector's text: one heatmap cell's exact value and the statement that made it.

`cell_statement` picks the explainer of the snapshot's cell (`explainer`; the LSTM's and
GRU's are in tui/widgets/inspector_gated.py); the RNN's writes the tutorial's statement
with this example's numbers,

    layer_1[t=3][h2] = sigmoid(x·synapse_0[:,2] + prev·synapse_h[:,2])
                     = sigmoid(0.4100 + -1.2200) = 0.3079

and going backward the same for layer_1_delta. The numbers come from `model.explain`
(the network's weights and the snapshot's states); each is checked against the value on
screen, and a disagreement is said, never hidden.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
from rich.text import Text

from model.encoding import bits_lsb_first
from model.explain import agrees, rnn_backward, rnn_forward
from model.probes import NONE, Ablation
from model.stepper import BACKWARD, Snapshot
from tui.glyphs import current
from tui.widgets.lines import LinesWidget
from tui.widgets.statement_wrap import wrap_statement


@dataclass(frozen=True)
class Pointed:
    """The cell the inspector points at, and what its statement needs."""

    snapshot: Snapshot
    unit: int
    timestep: int
    # the weights the snapshot's states were computed with; None when they are not at hand
    # (training: the worker owns them; after an update: they have just changed)
    weights: Mapping[str, np.ndarray] | None
    ablation: Ablation = NONE
    why_no_weights: str = ""
    state: str = "h"  # the state or gate `v` chose (LSTM: h c i f o g; GRU: h z r n)


def cell_name(snapshot: Snapshot) -> str:
    return str(getattr(snapshot, "cell", "rnn"))


def num(value: float) -> str:
    """Four decimals: the digits the inspector promises."""
    return f"{value:.4f}"


def sig(value: float) -> str:
    """Four significant digits, for the small numbers of the backward pass."""
    return f"{value:.4g}"


def symbols() -> tuple[str, str]:
    """(dot product, times): `·` and `×`, or `@` and `*` in ASCII."""
    return ("@", "*") if current().ascii else ("·", "×")


def rnn_statement(cell: Pointed) -> list[Text]:
    snap, u, t = cell.snapshot, cell.unit, cell.timestep
    state = snap.layer_1[t]
    delta = snap.layer_1_delta[t]
    lines: list[Text] = []
    if state is None:
        lines.append(Text(f"layer_1[t={t}][h{u}]: not computed yet", "bold"))
        lines.append(Text(f"the forward pass has not reached t={t}: n steps to it."))
        return lines
    if snap.phase == BACKWARD and delta is not None:
        lines += _rnn_delta(cell, delta[u])
        lines.append(Text(""))
        lines.append(Text(f"forward: layer_1[t={t}][h{u}] = {num(state[u])}", "bold"))
        return lines
    lines += _rnn_state(cell, state[u])
    if snap.phase == BACKWARD:
        lines.append(Text(""))
        lines.append(
            Text(f"layer_1_delta[t={t}]: not computed yet (backward runs t={snap.bits - 1}..0)")
        )
    return lines


def no_weights(cell: Pointed, lines: list[Text]) -> list[Text]:
    lines.append(Text(cell.why_no_weights or "the weights are not at hand", "dim"))
    return lines


def _rnn_state(cell: Pointed, value: float) -> list[Text]:
    snap, u, t = cell.snapshot, cell.unit, cell.timestep
    dot, times = symbols()
    name = f"layer_1[t={t}][h{u}]"
    lines = [Text(f"{name} = {num(value)}", "bold")]
    statement = f"= sigmoid(x{dot}synapse_0[:,{u}] + prev{dot}synapse_h[:,{u}])"
    lines.append(Text(statement))
    if cell.weights is None:
        return no_weights(cell, lines)
    x = (bits_lsb_first(snap.a, snap.bits)[t], bits_lsb_first(snap.b, snap.bits)[t])
    previous = snap.layer_1[t - 1] if t > 0 else None
    terms = rnn_forward(
        cell.weights["synapse_0"],
        cell.weights["synapse_h"],
        x,
        previous,
        u,
        cut_recurrence=cell.ablation.cut_recurrence,
    )
    clamped = cell.ablation.clamped_unit == u
    lines.append(Text(f"= sigmoid({num(terms.input_term)} + {num(terms.recurrent_term)})"))
    lines.append(Text(f"= sigmoid({num(terms.total)}) = {num(terms.value)}", "bold"))
    if clamped:
        lines.append(Text(f"then clamped to 0 by the ablation (a: h{u}=0)", "bold"))
    w0, w1 = terms.input_weights
    lines.append(
        Text(
            f"x = [a, b] bit {t} = [{int(x[0])} {int(x[1])}]: x{dot}synapse_0[:,{u}]"
            f" = {int(x[0])}{times}{num(w0)} + {int(x[1])}{times}{num(w1)}"
            f" = {num(terms.input_term)}"
        )
    )
    if previous is None:
        lines.append(Text("prev = layer_1 before t=0: zeros, so prev·synapse_h = 0"))
    elif terms.cut:
        lines.append(Text("synapse_h is cut (h: taken as 0), so prev·synapse_h = 0"))
    else:
        parts = ", ".join(f"h{k} {p:.2f}{times}{w:.2f}" for k, p, w in terms.largest)
        lines.append(
            Text(
                f"prev = layer_1[t={t - 1}]: {snap.hidden} terms, the largest {parts}"
                f" (sum {num(terms.recurrent_term)})"
            )
        )
    shown = 0.0 if clamped else terms.value
    if not agrees(shown, value):
        lines.append(Text(f"recomputed {num(shown)} differs from the value shown", "bold red"))
    return lines


def _rnn_delta(cell: Pointed, value: float) -> list[Text]:
    snap, u, t = cell.snapshot, cell.unit, cell.timestep
    dot, times = symbols()
    lines = [Text(f"layer_1_delta[t={t}][h{u}] = {sig(value)}", "bold")]
    lines.append(
        Text(
            f"= (future_layer_1_delta{dot}synapse_h.T[:,{u}]"
            f" + layer_2_delta{dot}synapse_1.T[:,{u}]) * layer_1*(1-layer_1)"
        )
    )
    if cell.weights is None:
        return no_weights(cell, lines)
    state = snap.layer_1[t]
    layer_2 = snap.layer_2[t]
    assert state is not None and layer_2 is not None  # the forward pass is complete
    last = t == snap.bits - 1
    future = None if last else snap.layer_1_delta[t + 1]
    terms = rnn_backward(
        cell.weights["synapse_1"],
        cell.weights["synapse_h"],
        future,
        snap.true_bits[t],
        layer_2,
        state,
        u,
    )
    lines.append(
        Text(
            f"= ({sig(terms.future_term)} + {sig(terms.output_term)}) {times} {sig(terms.slope)}"
            f" = {sig(terms.value)}",
            "bold",
        )
    )
    if last:
        lines.append(Text(f"future_layer_1_delta: zeros at the last timestep (t={t})"))
    else:
        lines.append(
            Text(
                f"future_layer_1_delta = layer_1_delta[t={t + 1}]:"
                f" {dot}synapse_h.T[:,{u}] = {sig(terms.future_term)}"
            )
        )
    y, out = int(terms.target), terms.layer_2
    lines.append(
        Text(
            f"layer_2_delta = (y - layer_2)*layer_2*(1-layer_2)"
            f" = ({y} - {num(out)}){times}{num(out)}{times}{num(1 - out)}"
            f" = {sig(terms.layer_2_delta)}"
        )
    )
    lines.append(
        Text(
            f"layer_2_delta{dot}synapse_1.T[:,{u}] = {sig(terms.layer_2_delta)}"
            f"{times}{num(terms.weight_out)} = {sig(terms.output_term)}"
        )
    )
    lines.append(
        Text(
            f"layer_1*(1-layer_1) = {num(terms.state)}{times}{num(1 - terms.state)}"
            f" = {sig(terms.slope)}"
        )
    )
    if not agrees(terms.value, value):
        mismatch = f"recomputed {sig(terms.value)} differs from the value shown"
        lines.append(Text(mismatch, "bold red"))
    return lines


def unwritten(cell: Pointed) -> list[Text]:
    """A cell whose statement is not written here yet: its value, honestly labelled."""
    snap, u, t = cell.snapshot, cell.unit, cell.timestep
    states = snap.layer_1[t]
    name = cell_name(snap)
    if states is None:
        return [Text(f"h[t={t}][h{u}]: not computed yet", "bold")]
    return [
        Text(f"h[t={t}][h{u}] = {num(states[u])}", "bold"),
        Text(f"(the {name} cell's statement is not written in the inspector yet)", "dim"),
    ]


Explainer = Callable[[Pointed], list[Text]]


def explainer(cell: str) -> Explainer:
    """The cell's explainer; the gated cells' are imported on first use, as their kernels."""
    if cell == "rnn":
        return rnn_statement
    from tui.widgets.inspector_gated import EXPLAINERS

    return EXPLAINERS.get(cell, unwritten)


def cell_statement(cell: Pointed) -> list[Text]:
    """The lines the inspector shows for `cell`: its value and the statement behind it."""
    return explainer(cell_name(cell.snapshot))(cell)


class InspectorPanel(LinesWidget):
    """The statement for the cell under the inspector's cursor, wrapped to the panel at
    spaces and operators only (tui/widgets/statement_wrap.py)."""

    DEFAULT_CSS = """
    InspectorPanel { height: 1fr; padding: 0 1; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.lines: list[Text] = []

    @property
    def text(self) -> str:
        """The statement's lines, unwrapped."""
        return "\n".join(line.plain for line in self.lines)

    def show(self, lines: list[Text]) -> None:
        if [line.plain for line in lines] != [line.plain for line in self.lines]:
            self.lines = lines
            self.update_lines()

    def build(self) -> list[Text]:
        width = max(self.size.width, 1)
        return [part for line in self.lines for part in wrap_statement(line, width)]
