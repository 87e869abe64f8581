"""The help screen (`?`): every key and every panel in a sentence."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from model.cells import cell_info

KEYS = [
    ("n space →", "step one timestep: forward t=0..7, backward t=7..0, update"),
    ("b / ←", "step back one step, into earlier iterations too: the same numbers"),
    ("f", "finish the forward pass of the example on show"),
    ("enter", "finish the iteration, through the update"),
    ("g", "go to an iteration (typed), exactly as training reaches it"),
    ("t", "train N iterations in the background; t again stops"),
    ("T", "train N slowly, spread over about 10 s, to watch the error fall; t or escape stops"),
    ("escape", "stop training"),
    ("+ / -", "multiply or divide N by 10 (1 to 100,000)"),
    ("r", "reset to the seed's initial weights (stops training first)"),
    ("u", "undo the last r, R, l or a run opened from the map (m)"),
    ("v", "the state or gate the heatmap shows (LSTM h c i f o g, GRU h z r n)"),
    ("d", "gradient check of the example on show: BPTT gradients beside numerical ones"),
    (
        "z",
        "projector focus: the sum, the hidden units, the learning curve, one at a time,"
        " full screen, with numbers (z next, escape leaves; steps work)",
    ),
    (
        "i",
        "inspect a heatmap cell: arrows move; its value and the statement that made it,"
        " with this example's numbers (escape leaves)",
    ),
    (
        "m",
        "convergence map: hidden sizes x init ranges over seeds, a sweep in the"
        " background; arrows, enter, a seed: that run here at its converged_at"
        " (u undoes); o changes the sweep (rnn-tui sweep's options); escape leaves it"
        " (the runs ended are kept; m again runs the rest, each from its start)",
    ),
    ("?", "this help (escape closes it)"),
    ("q, ctrl+c", "quit"),
]

TOOLS = [
    ("e", "your own sum a + b, run forward by n without training (PROBE)"),
    ("o", "train one iteration on your sum, on purpose"),
    (
        "a / h / x",
        "clamp a unit to 0 / cut synapse_h / remove ablations (stepping shows the"
        " ablated network; training it is refused until x)",
    ),
    ("] / [", "double / halve alpha"),
    ("s / l", "save / load a checkpoint"),
    ("w", "weights as heatmaps, last update, 16- and 32-bit sums"),
    ("R", "new network: seed and hidden size"),
    ("p", "save an SVG screenshot"),
]

_CARRY_NOTE = (
    " carry out: in column t, the carry out of bit t, which the state after timestep t"
    " must hold for bit t+1; ◀ = the unit whose activation best tracks that row (Pearson r"
    " over all sums, at timesteps 1 to 6 of 8: the first has no recurrent input and sits at"
    " another level, the last always carries 0); anti = a unit that is dark where the"
    " carry is 1"
)
_RNN_HIDDEN = (
    "layer_1 per unit (rows) and timestep (columns), ·░▒▓█ = 0..1;"
    " backward: layer_1_delta (+/-, size)." + _CARRY_NOTE
)


def _gated_hidden(cell: str) -> str:
    """The hidden panel's sentence for the LSTM and the GRU: what v chooses and its scale."""
    info = cell_info(cell)
    signed = [state for state in info.states if state in info.signed]
    unsigned = [state for state in info.states if state not in info.signed]
    into = " (or c, with v on c)" if "c" in info.carried else ""
    return (
        f"the state or gate v chooses ({' '.join(info.states)}), per unit (rows, named"
        f" h3, {info.states[-1]}3...) and timestep (columns): {', '.join(signed)} as"
        f" +/- and size, {', '.join(unsigned)} ·░▒▓█ = 0..1; backward: the delta flowing"
        f" into h{into} (+/-, size)." + _CARRY_NOTE
    )


def panels(cell: str = "rnn") -> list[tuple[str, str]]:
    """What each panel shows, for this cell (the hidden panel and the code differ)."""
    hidden = _RNN_HIDDEN if cell == "rnn" else _gated_hidden(cell)
    code = (
        "the tutorial's statement behind the step, with its values"
        if cell == "rnn"
        else f"the {cell.upper()}'s equations behind the step, with this example's values"
    )
    return [
        (key, hidden if key == "hidden" else code if key == "code" else what)
        for key, what in PANELS
    ]


PANELS = [
    ("inputs", "a and b as bits, MSB left; [t] marks the current timestep"),
    (
        "sums",
        "pred bits as the forward pass makes them, ✓/✗ against true;"
        " the tutorial's line a + b = pred",
    ),
    ("hidden", _RNN_HIDDEN),
    ("status", "iteration, step, cell, seed, alpha, hidden, init range, N, progress, it/s"),
    ("code", "the tutorial's statement behind the step, with its values"),
    (
        "error",
        "overallError over the whole run (sparkline, its span in iterations),"
        " last value, average of the last 100, exact accuracy over all"
        " 128 x 128 sums, and its climb as measured",
    ),
]


def _table(rows: list[tuple[str, str]], key_width: int) -> Table:
    """Keys in one column, what they do in the other: a long line wraps under its own
    column at any width (at 80 columns the text ran back under the keys)."""
    table = Table.grid(padding=(0, 1))
    table.add_column(style="bold cyan", width=key_width, no_wrap=True)
    table.add_column(ratio=1, overflow="fold")
    for key, what in rows:
        table.add_row(Text(key), Text(what))  # Text: "[t]" is not markup
    return table


def help_text(cell: str = "rnn") -> Group:
    return Group(
        Text("rnn-tui — Trask's binary-addition RNN, one timestep at a time", "bold"),
        Text("↑ ↓ page up / page down scroll; escape closes", "dim"),
        Text("Keys", "bold underline"),
        _table(KEYS, 9),
        Text("Tools (also in ctrl+p)", "bold underline"),
        _table(TOOLS, 9),
        Text("Panels", "bold underline"),
        _table(panels(cell), 6),
        Text("Names on screen (synapse_h, layer_1, overallError…) are the tutorial's.", "dim"),
    )


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 100%; max-width: 100; height: 100%; max-height: 30;
        border: round $accent; background: $surface; padding: 0 1;
    }
    """
    BINDINGS = [
        Binding("escape,question_mark,q", "dismiss_help", "Close help"),
    ]

    def __init__(self, cell: str = "rnn") -> None:
        super().__init__()
        self.cell = cell  # the panels are described for the cell on screen

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(help_text(self.cell), id="help-text")

    def action_dismiss_help(self) -> None:
        self.dismiss(None)
