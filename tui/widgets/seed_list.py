"""The seeds of one cell of the convergence map, to choose a run to open (a modal).

One line per seed: where it reached 100% exact, or how far it got; a run still going is
listed but cannot be chosen. Enter dismisses with the chosen run's row, escape with None.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from model.accuracy import percent
from model.sweep import RunResult


def seed_line(seed: int, result: RunResult | None, width: int) -> Text:
    line = Text(f"seed {seed:<{width}}  ", "bold")
    if result is None:
        line.append("still running", "dim")
    elif result.converged_at is not None:
        line.append(f"100% exact at iteration {result.converged_at:,}", "green")
    else:
        line.append(
            f"not converged: {percent(result.final_exact)} exact after {result.iterations_run:,}"
        )
    return line


class SeedList(ModalScreen[RunResult | None]):
    DEFAULT_CSS = """
    SeedList { align: center middle; }
    SeedList > Vertical {
        width: 72; max-width: 100%; height: auto; max-height: 100%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    SeedList #seeds-title { text-style: bold; width: 100%; }
    SeedList #seeds-hint { color: $text-muted; width: 100%; }
    SeedList OptionList, SeedList OptionList:focus {
        height: auto; max-height: 16; border: none; padding: 0;
    }
    """
    BINDINGS = [Binding("escape", "cancel", "Back to the map")]

    def __init__(
        self, title: str, seeds: Sequence[tuple[int, RunResult | None]], hint: str
    ) -> None:
        super().__init__()
        self.title_text, self.seeds, self.hint = title, tuple(seeds), hint

    def compose(self) -> ComposeResult:
        width = max(len(str(seed)) for seed, _ in self.seeds)
        options = [
            Option(seed_line(seed, result, width), id=str(k), disabled=result is None)
            for k, (seed, result) in enumerate(self.seeds)
        ]
        with Vertical():
            yield Label(Text(self.title_text), id="seeds-title")
            yield OptionList(*options, id="seeds")
            yield Label(Text(self.hint), id="seeds-hint")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        _, result = self.seeds[event.option_index]
        if result is not None:
            self.dismiss(result)

    def action_cancel(self) -> None:
        self.dismiss(None)
