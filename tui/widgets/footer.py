"""The key footer, present from the very first frame."""

from __future__ import annotations

from textual.widgets import Footer

from tui.glyphs import current


class KeysFooter(Footer):
    """Textual's Footer, listing the keys in the first frame the app draws.

    Textual's Footer composes empty and fills itself in only after the screen's first
    "bindings updated" signal, one refresh later; at start-up that drew the keys about
    70 ms after the panels (measured with bench/bench_startup.py). The app's bindings
    are known when the footer is composed, so it lists them straight away; the signal
    still recomposes it whenever the bindings change. `_bindings_ready` is Footer's own
    (private) reactive for this, one reason textual is pinned to an exact version.
    """

    def __init__(self) -> None:
        super().__init__()
        self.set_reactive(Footer._bindings_ready, True)
        if current().ascii:  # its "^p palette" marker is drawn with a box glyph
            self.show_command_palette = False
