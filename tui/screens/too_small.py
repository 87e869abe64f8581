"""The screen over everything while the terminal is smaller than the app draws for.

Below 80x24 the panels do not fit, so the app asks for a larger terminal. That request
is a screen of its own, pushed over whatever is on top (the main screen, the map, a
prompt): a screen owns the keyboard, so no key acts behind it on a session the user
cannot see. Only quitting, the help and `z` work; when the terminal is large enough
again the screen leaves and what was under it is exactly as it was (a worker already
running, training or a map sweep, goes on meanwhile).

The projector focus (`z`) shows one panel and fits a smaller terminal, from 60x20: a
lecturer who enlarges the font mid-class keeps it, and `z` on this screen opens it.
A screen says how small it may be drawn with `SMALLEST`; the screen on top decides
(a help or a prompt over the focus, the focus).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from tui.widgets.help import HelpScreen

if TYPE_CHECKING:
    from tui.screens.main import MainScreen

MIN_WIDTH, MIN_HEIGHT = 80, 24
FOCUS_SMALLEST = (60, 20)  # the projector focus's SMALLEST (tui/screens/focus.py)


def too_small(width: int, height: int, smallest: tuple[int, int] = (MIN_WIDTH, MIN_HEIGHT)) -> bool:
    return width < smallest[0] or height < smallest[1]


def smallest_for(stack: list[Screen[object]]) -> tuple[int, int]:
    """The smallest terminal the screens on show can be drawn in: the top screen's, passing
    over this cover and the modals (a help or a prompt is drawn over a screen's own size)."""
    for screen in reversed(stack):
        if isinstance(screen, (TooSmallScreen, ModalScreen)):
            continue
        smallest: tuple[int, int] = getattr(screen, "SMALLEST", (MIN_WIDTH, MIN_HEIGHT))
        return smallest
    return MIN_WIDTH, MIN_HEIGHT


def cover_if_too_small(app: object) -> None:
    """Ask the app (RNNApp) to cover the screen now on top if the terminal is too small
    for it: called by a screen coming to the top (the main screen after the focus, which
    fits a smaller terminal; the inspector opened from the focus)."""
    cover = getattr(app, "cover_when_too_small", None)
    if cover is not None:  # a test's bare App has none
        cover()


def enlarge_text(
    width: int,
    height: int,
    smallest: tuple[int, int] = (MIN_WIDTH, MIN_HEIGHT),
    focus_opens: bool = False,
) -> str:
    lines = [
        f"Enlarge the terminal to at least {smallest[0]}x{smallest[1]}",
        f"(now {width}x{height})",
        "",
    ]
    if focus_opens:
        lines.append("z: the projector focus, one panel at a time, fits now.")
    lines += ["Until then the other keys do nothing:", "q quits, ? shows the help."]
    return "\n".join(lines)


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
        Binding("z", "focus_panel", "Focus"),
    ]

    def __init__(self, cell: str = "rnn") -> None:
        super().__init__()
        self.cell = cell  # for the help

    def compose(self) -> ComposeResult:
        yield Static(id="too-small")

    def _smallest(self) -> tuple[int, int]:
        return smallest_for(self.app.screen_stack)

    def on_mount(self) -> None:
        self.show_size(self.app.size.width, self.app.size.height)

    def show_size(self, width: int, height: int) -> None:
        text = enlarge_text(width, height, self._smallest(), self._main_below() is not None)
        self.query_one("#too-small", Static).update(text)

    def _main_below(self) -> MainScreen | None:
        """The main screen, when it is what this covers and the focus would fit."""
        from tui.screens.main import MainScreen

        size, below = self.app.size, self.app.screen_stack[-2:-1]
        if self.app.screen is not self or too_small(size.width, size.height, FOCUS_SMALLEST):
            return None
        return below[0] if below and isinstance(below[0], MainScreen) else None

    def on_screen_resume(self) -> None:
        # the help may have been open while the terminal grew: leave now it has closed
        size = self.app.size
        if not too_small(size.width, size.height, self._smallest()):
            self.dismiss(None)
        else:  # the size may have changed under the help
            self.show_size(size.width, size.height)

    def action_focus_panel(self) -> None:
        """Over the main screen, in a terminal the focus fits: leave, and open the focus."""
        main = self._main_below()
        if main is not None:
            self.dismiss(None)
            main.action_zoom()

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(self.cell))
