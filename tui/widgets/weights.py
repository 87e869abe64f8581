"""The weights screen (`w`): synapse_0, synapse_h and synapse_1 as heatmaps.

Each weight is a shade glyph for its size (relative to the largest in its matrix) and a
colour for its sign, with a +/- where colour is off; under them the size of the last
update per matrix (what backpropagation just changed) and, as a test of what the
network learned, its accuracy on sums wider than it was trained on.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.css.query import NoMatches
from textual.events import Resize
from textual.screen import ModalScreen
from textual.widgets import Static
from textual.worker import get_current_worker

from model.accuracy import percent
from tui.glyphs import current
from tui.widgets.grid import lines_to_text
from tui.widgets.hidden import NEGATIVE, POSITIVE, shade_level

if TYPE_CHECKING:
    from model.network import Network

WIDER = (16, 32)  # widths the trained network is tried on
MAX_CELL = 9  # columns per weight at most ("▓▓▓▓+0.41")
SCREEN_MARGIN = 6  # the screen's border, padding and scrollbar


def weight_cell(value: float, scale: float, cell: int) -> str:
    """One weight in `cell` columns: its sign and shade; from 6 columns its shade and value
    (`▓+0.41`: the shade leads, so neighbouring values stay apart; from 7 a blank too)."""
    glyph = current().shades[shade_level(value, scale)]
    if cell < 4:
        return ("-" if value < 0 else "+") + glyph * (cell - 1)
    if cell < 6:
        return ("-" if value < 0 else "+") + glyph * (cell - 2) + " "
    if not np.isfinite(value):
        number = f"{value:>5}"
    else:
        digits = 2 if abs(value) < 9.995 else (1 if abs(value) < 99.95 else 0)
        number = f"{value:+.{digits}f}"[:5].rjust(5)
    if cell == 6:
        return glyph + number
    return glyph * (cell - 6) + number + " "


def cell_width(screen_width: int, columns: int) -> int:
    """The widest weight cell that fits `columns` of them (2 to MAX_CELL): for 16 hidden
    units 4 at 80 columns, 6 (with values) at 120, 9 at 160 and wider."""
    room = (screen_width - SCREEN_MARGIN - len("  0 ")) // max(columns, 1)
    return max(2, min(MAX_CELL, room))


def matrix_lines(name: str, matrix: np.ndarray, max_rows: int = 64, cell: int = 2) -> list[Text]:
    finite = np.abs(matrix[np.isfinite(matrix)])
    scale = float(finite.max()) if finite.size else 0.0
    scale = scale if scale > 0 else 1.0  # the shades' scale: 1 when all are zero
    # what the title states: the largest |w| that is a number (inf once a run diverged),
    # nan when none is
    numbers = np.abs(matrix[~np.isnan(matrix)])
    largest = float(numbers.max()) if numbers.size else math.nan
    lines = [Text(f"{name} {matrix.shape[0]}x{matrix.shape[1]}   max |w| {largest:.3g}", "bold")]
    if cell >= 3 and matrix.shape[1] >= 8:  # the unit each weight goes to: too many to count
        numbers = "".join(f"{c:<{cell}}" for c in range(min(matrix.shape[1], 64)))
        lines.append(Text(f"    {numbers}", "dim"))
    for r, row in enumerate(matrix[:max_rows]):
        line = Text(f"{r:>3} ")
        for value in row[:64]:
            value = float(value)
            line.append(weight_cell(value, scale, cell), NEGATIVE if value < 0 else POSITIVE)
        lines.append(line)
    if matrix.shape[0] > max_rows:
        lines.append(Text(f"{current().more} {matrix.shape[0] - max_rows} more rows", "dim"))
    return lines


def network_weights_text(
    net: Network,
    update_sizes: Mapping[str, float] | None,
    wider: list[tuple[int, float, bool]] | None,
    *,
    cell: int = 2,
) -> Text:
    """Any cell's weights, one heatmap per gate block (synapse_h[i], ...), laid out by the
    network's ParamSpec; `update_sizes` is a Snapshot's `update_sizes`; `cell` columns per
    weight (see `cell_width`)."""
    config = net.config
    lines = [
        Text(
            f"Weights at iteration {net.iteration:,}: {net.cell.upper()}, seed {config.seed},"
            f" hidden {net.hidden}",
            "bold",
        ),
        Text("rows: from (synapse_0: a, b); columns: to unit; +/- sign, shade |w|/max", "dim"),
        Text("up / down / page down scroll; escape or w closes", "dim"),
    ]
    spec = net.spec
    for name in ("synapse_0", "synapse_h", "synapse_1", "bias"):
        if name not in net.weights:
            continue
        matrix = net.weights[name].reshape(-1, spec.shapes[name][-1])
        if name == "synapse_1":
            lines += [*matrix_lines("synapse_1 (transposed)", matrix.T, cell=cell), Text("")]
            continue
        for label, columns in spec.blocks(name):
            lines += [*matrix_lines(label, matrix[:, columns], cell=cell), Text("")]
    if update_sizes is None:
        why = (
            "none yet: these are the initial weights"
            if net.iteration == 0
            else "unknown, the weights were restored (step through one with n)"
        )
        lines.append(Text(f"last update: {why}", "dim"))
    else:
        # three to a line: on one line they need 90 columns or more, cut at 80
        made = f"iteration {net.iteration - 1:,}'s" if net.iteration else "the last"
        lines.append(Text(f"last update ({made}, which made these), largest change:"))
        sizes = [f"{name} {size:.2e}" for name, size in update_sizes.items()]
        for start in range(0, len(sizes), 3):
            lines.append(Text("  " + "   ".join(sizes[start : start + 3])))
    if wider is None:  # measured in the background: the screen opens at once
        widths = " and ".join(str(bits) for bits in WIDER)
        lines.append(Text(f"same weights on {widths}-bit sums: measuring{current().more}", "dim"))
    for bits, exact, sampled in wider or ():
        kind = "sample of" if sampled else "all"
        lines.append(Text(f"same weights on {bits}-bit sums: {percent(exact)} exact ({kind} sums)"))
    return lines_to_text(lines)


def wider_accuracy_net(net: Network) -> list[tuple[int, float, bool]]:
    """Accuracy of the (8-bit trained) weights on wider sums: the carry rule generalises."""
    from model.prefix import evaluate_cell

    results = []
    for bits in WIDER:
        acc = evaluate_cell(net.cell, net.weights, bits)
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

    def __init__(self, net: Network, update_sizes: Mapping[str, float] | None) -> None:
        """`net`: a copy nobody trains (the wider sums are measured on it in a thread)."""
        super().__init__()
        self.net, self.update_sizes = net, update_sizes
        self.wider: list[tuple[int, float, bool]] | None = None  # until measured
        self.width = 80
        self.text = self._built()

    def _built(self) -> Text:
        cell = cell_width(self.width, self.net.hidden)  # larger cells on a larger terminal
        return network_weights_text(self.net, self.update_sizes, self.wider, cell=cell)

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(self.text)

    def on_mount(self) -> None:
        self._measure_wider()

    @work(thread=True, exclusive=True, group="wider-sums", exit_on_error=False)
    def _measure_wider(self) -> None:
        wider = wider_accuracy_net(self.net)  # up to half a second for an LSTM
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show_wider, wider)

    def _show_wider(self, wider: list[tuple[int, float, bool]]) -> None:
        self.wider = wider
        try:
            scroll = self.query_one(VerticalScroll)
        except NoMatches:  # closed meanwhile
            return
        # read at the end (End pressed before these lines came): stay at the end
        at_end = 0 < scroll.max_scroll_y <= scroll.scroll_y
        self._redraw()
        if at_end:
            scroll.call_after_refresh(scroll.scroll_end, animate=False)

    def on_resize(self, event: Resize) -> None:
        self.width = event.size.width
        self._redraw()

    def _redraw(self) -> None:
        self.text = self._built()
        with contextlib.suppress(NoMatches):  # closed meanwhile
            self.query_one(Static).update(self.text)

    def action_close(self) -> None:
        self.dismiss(None)
