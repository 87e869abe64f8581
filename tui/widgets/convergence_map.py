"""The convergence map's grid: hidden sizes down, init ranges x cells across.

Each cell reads `k/n median`: of the n seeds, k ran to 100% exact accuracy, at the median
iteration shown (`-` when none did). A cell whose runs have not all ended is dim and
marked with the "more" glyph; one with none ended shows the "unknown" glyph. The widget
draws a `MapView` (an immutable value) and the cursor; when the grid is larger than the
widget, it shows the window of rows and columns that holds the cursor.
"""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from tui.glyphs import Glyphs, current
from tui.sweep_map import CellView, MapView, init_text

LABEL = 7  # the row labels' column, "hidden " wide
GAP = 2  # between columns


def column_header(view: MapView, column: int) -> str:
    cell, init = view.columns[column]
    several = len({name for name, _ in view.columns}) > 1
    return f"{cell} {init_text(init)}" if several else init_text(init)


def median_text(median: float | None) -> str:
    return "-" if median is None else f"{median:,.0f}"  # as `rnn-tui sweep`'s table


def cell_text(cell: CellView, glyphs: Glyphs, count_width: int, width: int) -> str:
    """`k/n` and the median in `width` (the counts aligned, the medians right-aligned),
    then the "more" glyph's room (marking a cell whose runs have not all ended)."""
    more = glyphs.more if 0 < cell.finished < cell.total else " " * len(glyphs.more)
    if cell.finished == 0:
        return f"{glyphs.unknown:>{width}}{more}"
    count = f"{cell.converged:,}/{cell.total:,}"
    median = median_text(cell.median)
    return f"{count:>{count_width}}{median:>{width - count_width}}{more}"


def cell_style(cell: CellView) -> str:
    if cell.finished < cell.total:
        return "dim"
    if cell.converged == cell.total:
        return "bold green"
    return "yellow" if cell.converged else ""


def window(start: int, cursor: int, fit: int, count: int) -> int:
    """The first of `fit` visible items of `count`, moved as little as keeps `cursor` in."""
    start = min(start, cursor)
    start = max(start, cursor - fit + 1)
    return max(0, min(start, count - fit))


class MapGrid(Widget):
    DEFAULT_CSS = """
    MapGrid { height: 1fr; text-wrap: nowrap; text-overflow: clip; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.view: MapView | None = None
        self.cursor = (0, 0)
        self.iterations = 0  # the longest a run can be: the medians' widest
        self._top = self._left = 0  # the window's first row and column

    def show(self, view: MapView, cursor: tuple[int, int], iterations: int) -> None:
        self.view, self.cursor, self.iterations = view, cursor, iterations
        self.refresh()

    def render(self) -> Text:
        view = self.view
        if view is None or not view.cells:
            return Text("")
        glyphs = current()
        total = view.cells[0][0].total
        count_width = len(f"{total}/{total}")
        inner = count_width + len(f"  {self.iterations:,}")  # the widest `k/n  median`
        inner = max(inner, *(len(column_header(view, c)) for c in range(len(view.columns))))
        width = inner + len(glyphs.more)
        fit_rows = max(1, self.size.height - 1)
        fit_columns = max(1, (self.size.width - LABEL) // (width + GAP))
        row, column = self.cursor
        self._top = window(self._top, row, fit_rows, len(view.hiddens))
        self._left = window(self._left, column, fit_columns, len(view.columns))
        rows = range(self._top, min(self._top + fit_rows, len(view.hiddens)))
        columns = range(self._left, min(self._left + fit_columns, len(view.columns)))

        text = Text()
        text.append(f"{'hidden':<{LABEL}}", "bold")
        for c in columns:
            header = f"{column_header(view, c):>{inner}}" + " " * len(glyphs.more)
            text.append(" " * GAP)
            text.append(header, "bold reverse" if c == column else "bold")
        if columns.stop < len(view.columns):
            text.append(f" {glyphs.more}", "dim")
        for r in rows:
            text.append("\n")
            text.append(f"{view.hiddens[r]:>{LABEL - 2}}  ", "bold" if r == row else "")
            for c in columns:
                cell = view.at(r, c)
                shown = cell_text(cell, glyphs, count_width, inner)
                style = cell_style(cell)
                text.append(" " * GAP)
                text.append(shown, f"{style} reverse" if (r, c) == (row, column) else style)
        return text
