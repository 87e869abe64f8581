"""The gradient check screen (`d`): BPTT beside numerical gradients for the example on show.

For the sum under way, each weight matrix (and each gate block of it) has its largest
BPTT gradient shown beside the centred numerical gradient of 1/2 * sum(y - layer_2)^2 for
the same weight, and the largest relative error over the whole block. The check runs in
a thread worker on a copy of the network (finite differences take a moment at large sizes).
"""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static
from textual.worker import get_current_worker

from model.gradcheck import TOLERANCE, GradientCheck, gradient_check
from model.network import Network
from tui.widgets.grid import lines_to_text


def gradient_lines(check: GradientCheck, title: str) -> Text:
    lines = [
        Text(f"Gradient check: {title}, example {check.a} + {check.b}", "bold"),
        Text("gradient of 1/2*sum(y - layer_2)^2: BPTT beside centred differences", "dim"),
        Text(""),
        Text(f"{'weights':<14} {'size':>6} {'largest BPTT':>13} {'numerical':>13} {'max rel':>9}"),
    ]
    for line in check.lines:
        row = Text(
            f"{line.name:<14} {line.size:>6} {line.largest_bptt:>13.5e} "
            f"{line.numerical_there:>13.5e} {line.max_relative_error:>9.1e}"
        )
        if not line.ok:
            row.append("  FAIL", "bold reverse red")
        lines.append(row)
    lines.append(Text(""))
    verdict = "all below" if check.ok else "NOT all below"
    lines.append(Text(f"max relative error {verdict} {TOLERANCE:g}", "bold"))
    lines.append(Text("escape or d closes", "dim"))
    return lines_to_text(lines)


class GradientScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    GradientScreen { align: center middle; }
    GradientScreen > VerticalScroll {
        width: 100%; max-width: 78; height: auto; max-height: 100%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    GradientScreen Static { text-wrap: nowrap; text-overflow: clip; }
    """
    BINDINGS = [Binding("escape,d,q", "close", "Close")]

    def __init__(self, net: Network, a: int, b: int) -> None:
        super().__init__()
        self.net, self.a, self.b = net, a, b
        self.check: GradientCheck | None = None

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(Text(f"Checking gradients for {self.a} + {self.b} …"), id="gradients")

    def on_mount(self) -> None:
        self._run()

    @work(thread=True, exclusive=True, group="gradients")
    def _run(self) -> None:
        check = gradient_check(self.net, self.a, self.b)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show, check)

    def _show(self, check: GradientCheck) -> None:
        self.check = check
        self.query_one("#gradients", Static).update(gradient_lines(check, self.net.info.title))

    def action_close(self) -> None:
        self.dismiss(None)
