"""The help screen (`?`): every key and every panel in a sentence."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEYS = [
    ("n / space", "step one timestep: forward t=0..7, backward t=7..0, then the update"),
    ("t", "train N iterations in the background; t again (or escape) stops"),
    ("escape", "stop training"),
    ("+ / -", "multiply or divide N by 10 (1 to 100,000)"),
    ("r", "reset to the seed's initial weights (stops training first)"),
    ("?", "this help; escape or ? closes it"),
    ("q / ctrl+c", "quit"),
]

PANELS = [
    (
        "inputs",
        "the operands a and b as bit rows, most significant bit on the left; the "
        "current timestep's column is bracketed and reversed",
    ),
    (
        "sums",
        "pred: the network's bits, filled in as the forward pass runs, ✓ right or ✗ "
        "wrong against true; then the tutorial's line a + b = pred",
    ),
    (
        "hidden",
        "layer_1 as a heatmap, one row per hidden unit, one column per timestep "
        "(shade ·░▒▓█ = 0..1); going backward it shows layer_1_delta (+/- and "
        "size); the last row is the true carry; ◀ marks the unit that best tracks "
        "the carry, with its correlation",
    ),
    (
        "status",
        "iteration count, the step under way, seed, alpha, hidden size, N, and "
        "while training a progress bar with iterations per second",
    ),
    (
        "error",
        "overallError per iteration (the tutorial's Error) as a sparkline, its "
        "latest value and moving average, and the exact accuracy over all 128 x 128 "
        "sums",
    ),
]


def help_text() -> Text:
    text = Text()
    text.append("rnn-tui — Trask's binary-addition RNN, one timestep at a time\n\n", "bold")
    text.append("Keys\n", "bold underline")
    for key, what in KEYS:
        text.append(f"  {key:<11}", "bold cyan")
        text.append(f"{what}\n")
    text.append("\nPanels\n", "bold underline")
    for name, what in PANELS:
        text.append(f"  {name:<11}", "bold cyan")
        text.append(f"{what}\n")
    text.append(
        "\nThe names on screen (synapse_0, synapse_h, synapse_1, layer_1, layer_2, "
        "layer_1_delta, overallError) are the tutorial's.\n",
        "dim",
    )
    return text


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 90%; max-width: 100; height: 90%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    """
    BINDINGS = [
        Binding("escape,question_mark,q", "dismiss_help", "Close help"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(help_text(), id="help-text")

    def action_dismiss_help(self) -> None:
        self.dismiss(None)
