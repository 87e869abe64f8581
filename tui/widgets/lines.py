"""Full-screen panels drawn as lines of rich Text, fast enough for a keypress at 200x60.

Textual draws a widget's Text by turning it into Content and the Content into strips,
splitting and styling every span (about 25 ms for a 200x60 focus panel on this machine,
bench/bench_focus.py), and a refresh repaints every line of the widget, also those a
step left as they were. A `LinesWidget` instead

* keeps its lines (`build()`, made when its state or size changes), compares them with
  the lines on screen and repaints only the rows that differ (the terminal gets those
  rows only: a cursor move in the inspector is three rows, not sixty);
* turns each line into a strip with one `Text.render` (no Content), and keeps the strip
  of each distinct line, so a row that comes back costs a dictionary look-up.

Lines are clipped, never wrapped (the panels are grids whose columns must stay aligned).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

from rich.segment import Segment
from rich.text import Text
from textual._context import active_app
from textual.geometry import Region, Size
from textual.reactive import Reactive
from textual.strip import Strip
from textual.style import Style
from textual.visual import RenderOptions, RulesMap, Visual
from textual.widget import Widget

from tui.widgets.grid import merge_spans

STRIPS_KEPT = 4096  # distinct lines whose strips are kept (a 200x60 panel has 60)


def line_key(line: Text) -> Hashable:
    return (line.plain, tuple(line.spans), line.style)


class TextLines(Visual):
    """Lines of Text as a Visual: one strip per line, cached by content, width and style."""

    def __init__(self, lines: Sequence[Text], strips: dict[Hashable, Strip]) -> None:
        self.lines = lines
        self.strips = strips

    def render_strips(
        self, width: int, height: int | None, style: Style, options: RenderOptions
    ) -> list[Strip]:
        base = style.rich_style
        console = active_app.get().console
        strips, out = self.strips, []
        if len(strips) > STRIPS_KEPT:
            strips.clear()
        for line in self.lines[:height]:
            key = (line_key(line), width, base)
            strip = strips.get(key)
            if strip is None:
                # Text.render leaves the line's own style out when it has no spans
                own = base + console.get_style(line.style) if line.style else base
                segments = [
                    Segment(text, own + piece if piece is not None else own)
                    for text, piece, _ in line.render(console)
                ]
                strip = Strip(segments)
                if strip.cell_length > width:  # shorter lines: Textual pads them
                    strip = strip.crop(0, width)
                strips[key] = strip
            out.append(strip)
        if height is not None and len(out) < height:
            out += [Strip.blank(width, base)] * (height - len(out))
        return out

    def get_optimal_width(self, rules: RulesMap, container_width: int) -> int:
        return max((line.cell_len for line in self.lines), default=0)

    def get_height(self, rules: RulesMap, width: int) -> int:
        return len(self.lines)


class LinesWidget(Widget):
    """A widget whose content is `build()`'s lines; call `update_lines()` after a change."""

    auto_links: Reactive[bool] = Reactive(False)  # no links: Textual would restyle each strip

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._lines: list[Text] = []
        self._built_for: Size | None = None
        self._strips: dict[Hashable, Strip] = {}

    def build(self) -> list[Text]:
        """The lines for the widget's state at its current size."""
        raise NotImplementedError

    def _rebuild(self) -> list[Text]:
        self._built_for = self.size
        self._lines = [merge_spans(line) for line in self.build()]
        return self._lines

    def update_lines(self) -> None:
        """The state changed: repaint the rows whose line is not the one on screen."""
        if self._built_for != self.size:
            self._rebuild()
            self.refresh()
            return
        old = [line_key(line) for line in self._lines]
        new = [line_key(line) for line in self._rebuild()]
        if len(old) != len(new):
            self.refresh()
            return
        width = self.size.width
        changed = [
            Region(0, y, width, 1) for y, (a, b) in enumerate(zip(old, new, strict=True)) if a != b
        ]
        if changed:
            self.refresh(*changed)

    def render(self) -> TextLines:
        if self._built_for != self.size:
            self._rebuild()
        return TextLines(self._lines, self._strips)

    @property
    def text(self) -> str:
        """What the widget shows, as plain text (for tests and the bench)."""
        return "\n".join(line.plain for line in self._lines)
