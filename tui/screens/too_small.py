"""The screen over everything while the terminal is smaller than the app draws for.

Below 80x24 the panels do not fit, so the app asks for a larger terminal. That request
is a screen of its own, pushed over whatever is on top (the main screen, a focus
screen, the map, a prompt): a screen owns the keyboard, so no key acts behind it on a
session the user cannot see. Only quitting and the help work; when the terminal is
large enough again the screen leaves and what was under it is exactly as it was (a
worker already running, training or a map sweep, goes on meanwhile).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static

from tui.widgets.help import HelpScreen

MIN_WIDTH, MIN_HEIGHT = 80, 24


def too_small(width: int, height: int) -> bool:
    return width < MIN_WIDTH or height < MIN_HEIGHT


def enlarge_text(width: int, height: int) -> str:
    return (
        f"Enlarge the terminal to at least {MIN_WIDTH}x{MIN_HEIGHT}\n(now {width}x{height})\n\n"
        "Until then the other keys do nothing: q quits, ? shows the help."
    )


class TooSmallScreen(Screen[None]):
    DEFAULT_CSS = """
    TooSmallScreen { align: center middle; }
    TooSmallScreen #too-small {
        width: 100%; height: auto; text-align: center; text-style: bold;
    }
    """
    BINDINGS = [
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("q", "app.quit", "Quit"),
    ]

    def __init__(self, cell: str = "rnn") -> None:
        super().__init__()
        self.cell = cell  # for the help

    def compose(self) -> ComposeResult:
        yield Static(id="too-small")

    def on_mount(self) -> None:
        self.show_size(self.app.size.width, self.app.size.height)

    def show_size(self, width: int, height: int) -> None:
        self.query_one("#too-small", Static).update(enlarge_text(width, height))

    def on_screen_resume(self) -> None:
        # the help may have been open while the terminal grew: leave now it has closed
        if not too_small(self.app.size.width, self.app.size.height):
            self.dismiss(None)

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(self.cell))
