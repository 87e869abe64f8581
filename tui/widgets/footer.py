"""The key footer, present from the very first frame."""

from __future__ import annotations

from textual.events import Resize
from textual.widgets import Footer

from tui.glyphs import current

# Below this width the main screen's keys and "^p palette" do not both fit: the keys win
# (the last, "z Focus", was cut to a bare "z" at 80 columns); ctrl+p still opens it.
PALETTE_HINT_MIN_WIDTH = 100
# Below this width the keys are drawn one space apart, not two: the focus view's keys need
# 64 columns spaced out, and it is drawn from 60 (a projector's large font)
COMPACT_BELOW_WIDTH = 80


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
        self.show_command_palette = self._palette_hint_fits(0)

    @staticmethod
    def _palette_hint_fits(width: int) -> bool:
        # in ASCII mode its "^p palette" marker, drawn with a box glyph, is never shown
        return not current().ascii and width >= PALETTE_HINT_MIN_WIDTH

    def on_resize(self, event: Resize) -> None:
        self.compact = event.size.width < COMPACT_BELOW_WIDTH
        fits = self._palette_hint_fits(event.size.width)
        if fits != self.show_command_palette:
            self.show_command_palette = fits
            self.refresh(recompose=True)
