"""A one-line question in a modal: typed answer checked in place, Escape to cancel.

The checker returns (value, None) when the text is acceptable or (None, message) when
it is not; a bad answer keeps the prompt open with the message under the input, so
nothing changes until the user types something valid. The bad answer stays, to be edited
(a path, a line of options), or selected, so that typing replaces it (`replace_refused`:
a number, a unit, a sum).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

Checker = Callable[[str], tuple[Any, str | None]]


class PromptScreen(ModalScreen[Any]):
    DEFAULT_CSS = """
    PromptScreen { align: center middle; }
    PromptScreen > Vertical {
        width: 64; height: auto; border: round $accent; background: $surface; padding: 0 1;
    }
    PromptScreen #question { text-style: bold; width: 100%; }
    PromptScreen #hint, PromptScreen #problem { width: 100%; }
    PromptScreen #hint { color: $text-muted; }
    PromptScreen #problem { color: $error; text-style: bold; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        question: str,
        check: Checker,
        *,
        value: str = "",
        hint: str = "",
        replace_refused: bool = False,
    ) -> None:
        super().__init__()
        self.question, self.check, self.initial, self.hint = question, check, value, hint
        self.replace_refused = replace_refused

    def compose(self) -> ComposeResult:
        with Vertical():
            # Text, not markup: a question or a problem can quote what the user typed,
            # and "[/]" in a path must show as itself, not end the app with a MarkupError
            yield Label(Text(self.question), id="question")
            yield Input(value=self.initial, id="answer")
            yield Label(Text(self.hint), id="hint")
            yield Label(Text(""), id="problem")

    def on_mount(self) -> None:
        # the main screen's messages are read by now; left, they covered the answer field
        self.app.clear_notifications()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        value, problem = self.check(event.value)
        if problem is not None:
            self.query_one("#problem", Label).update(Text(problem))
            if self.replace_refused:
                # a short answer is typed again, not edited: the refused one is selected,
                # as the prompt opened, so the next key replaces it (typed straight
                # after, "3" made "163"); a path or a line of options stays for editing
                event.input.select_all()
            return
        self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)
