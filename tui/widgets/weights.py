"""The weights screen (`w`): synapse_0, synapse_h and synapse_1 as heatmaps.

Each weight is a shade glyph for its size (relative to the largest in its matrix) and a
colour for its sign, with a +/- where colour is off; under them the size of the last
update per matrix (what backpropagation just changed) and, as a test of what the
network learned, its accuracy on sums wider than it was trained on.
"""

from __future__ import annotations

import numpy as np
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from model.probes import evaluate
from tui.widgets.grid import lines_to_text
from tui.widgets.hidden import NEGATIVE, POSITIVE, SHADES, shade_level

WIDER = (16, 32)  # widths the trained network is tried on


def matrix_lines(name: str, matrix: np.ndarray, max_rows: int = 64) -> list[Text]:
    finite = np.abs(matrix[np.isfinite(matrix)])
    scale = float(finite.max()) if finite.size else 1.0
    scale = scale if scale > 0 else 1.0
    lines = [Text(f"{name} {matrix.shape[0]}x{matrix.shape[1]}   max |w| {scale:.3g}", "bold")]
    for r, row in enumerate(matrix[:max_rows]):
        line = Text(f"{r:>3} ")
        for value in row[:64]:
            value = float(value)
            glyph = SHADES[shade_level(value, scale)]
            sign = "-" if value < 0 else "+"
            line.append(sign + glyph, NEGATIVE if value < 0 else POSITIVE)
        lines.append(line)
    if matrix.shape[0] > max_rows:
        lines.append(Text(f"… {matrix.shape[0] - max_rows} more rows", "dim"))
    return lines


def weights_text(
    s0: np.ndarray,
    s1: np.ndarray,
    sh: np.ndarray,
    last_update: tuple[float, float, float] | None,
    wider: list[tuple[int, float, bool]],
) -> Text:
    lines = [*matrix_lines("synapse_0", s0), Text("")]
    lines += [*matrix_lines("synapse_h", sh), Text("")]
    lines += [*matrix_lines("synapse_1 (transposed)", s1.T), Text("")]
    if last_update is None:
        lines.append(Text("last update: none yet (step through an update, or train)", "dim"))
    else:
        u0, u1, uh = last_update
        lines.append(
            Text(
                f"last update, largest change: synapse_0 {u0:.2e}  "
                f"synapse_1 {u1:.2e}  synapse_h {uh:.2e}"
            )
        )
    for bits, exact, sampled in wider:
        kind = "sample of" if sampled else "all"
        lines.append(Text(f"same weights on {bits}-bit sums: {exact:.2%} exact ({kind} sums)"))
    return lines_to_text(lines)


def wider_accuracy(s0: np.ndarray, s1: np.ndarray, sh: np.ndarray) -> list[tuple[int, float, bool]]:
    """Accuracy of the (8-bit trained) weights on wider sums: the carry rule generalises."""
    results = []
    for bits in WIDER:
        acc = evaluate(s0, s1, sh, bits)
        results.append((bits, acc.exact, acc.sampled))
    return results


class WeightsScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    WeightsScreen { align: center middle; }
    WeightsScreen > VerticalScroll {
        width: 100%; height: 100%; border: round $accent; background: $surface;
        padding: 0 1;
    }
    WeightsScreen Static { text-wrap: nowrap; text-overflow: clip; }
    """
    BINDINGS = [Binding("escape,w,q", "close", "Close")]

    def __init__(self, text: Text) -> None:
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(self.text)

    def action_close(self) -> None:
        self.dismiss(None)
