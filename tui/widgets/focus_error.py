"""Projector focus, the learning curve: overallError and exact accuracy over the run.

Two charts on one iteration axis: overallError per iteration (the run's history squeezed
into the chart's width, as `ErrorHistory.view` gives it; bar glyphs in one colour per
row), and below it the exact accuracy over all sums as measured (a step line held from
each measurement to the next). Both axes are labelled with numbers; the bars are glyphs,
so the chart reads without colour.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.widget import Widget

from model.accuracy import percent
from model.history import HistoryView
from tui.glyphs import current
from tui.widgets.error import spark_rows
from tui.widgets.grid import lines_to_text

AXIS = 8  # "  3.46 ┤" left of the plot


@dataclass(frozen=True)
class Curves:
    """What the chart draws (plain numbers)."""

    history: HistoryView | None
    scale: float  # the error the bars are drawn against at least (bits / 2)
    accuracy: tuple[tuple[int, float], ...]  # (iteration, exact accuracy) as measured
    sampled: bool = False  # the accuracy is over a sample of the sums


def stretch(values: Sequence[float], width: int) -> list[float]:
    """`values` spread over `width` columns (each value over equal runs of columns)."""
    n = len(values)
    if n == 0 or width <= 0:
        return []
    return [values[min(n - 1, c * n // width)] for c in range(width)]


def held(points: Sequence[tuple[int, float]], first: int, end: int, width: int) -> list[float]:
    """Accuracy per column over iterations first..end: the last measurement at or before
    the column's end, NaN (drawn blank) before the first measurement."""
    span = max(end - first, 1)
    values = []
    index, last = 0, float("nan")
    ordered = sorted(points)
    for c in range(width):
        column_end = first + (c + 1) * span / width
        while index < len(ordered) and ordered[index][0] <= column_end:
            last = ordered[index][1]
            index += 1
        values.append(last)
    return values


def axis_labels(first: int, end: int, width: int) -> tuple[str, str]:
    """The x axis: a rule with ticks, and iteration numbers under (some of) the ticks."""
    glyphs = current()
    rule, tick = ("-", "+") if glyphs.ascii else ("─", "┬")
    ticks = max(1, min(5, width // 14, end - first))
    line = list(rule * width)
    labels = [" "] * width
    for k in range(ticks + 1):
        column = min(width - 1, round(k * (width - 1) / ticks))
        line[column] = tick
        iteration = round(first + k * (end - first) / ticks)
        text = f"{iteration:,}"
        start = column - len(text) // 2 if k else column
        start = max(0, min(start, width - len(text)))
        if all(ch == " " for ch in labels[max(start - 1, 0) : start + len(text) + 1]):
            labels[start : start + len(text)] = text
    return "".join(line), "".join(labels).rstrip()


def plot_width(width: int) -> int:
    """Columns of the plot in a chart `width` wide: what `ErrorHistory.view` is asked for."""
    return max(width - AXIS, 1)


def number_label(value: float) -> str:
    return f"{value:.3g}" if value < 100 else f"{value:.0f}"


class FocusError(Widget):
    """The learning curve, full screen."""

    DEFAULT_CSS = """
    FocusError { text-wrap: nowrap; text-overflow: clip; height: 1fr; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.curves: Curves | None = None

    def show(self, curves: Curves) -> None:
        if curves != self.curves:
            self.curves = curves
            self.refresh()

    def render(self) -> Text:
        curves = self.curves
        if curves is None:
            return Text("")
        width, height = plot_width(self.size.width), self.size.height
        history = curves.history
        lines = [self._title(history)]
        plot_rows = max(height - 5, 2)
        error_rows = max(1, plot_rows * 2 // 3)
        accuracy_rows = max(1, plot_rows - error_rows - 1)
        first = history.first if history is not None else 0
        end = history.end if history is not None else 0
        means = stretch(list(history.curve), width) if history is not None else []
        top = max(max(means, default=0.0), curves.scale) or 1.0
        lines += self._chart(means, error_rows, top, "#88c0d0", number_label)
        lines.append(self._accuracy_title(curves))
        points = held(curves.accuracy, first, end, width) if curves.accuracy else []
        lines += self._chart(points, accuracy_rows, 1.0, "green", lambda v: f"{v:.0%}")
        rule, labels = axis_labels(first, end, width)
        corner = "+" if current().ascii else "└"
        lines.append(Text(" " * (AXIS - 1) + corner + rule, "dim"))
        lines.append(Text(f"{'iter':>{AXIS - 1}} " + labels, "dim"))
        return lines_to_text(lines[:height] if height else lines)

    def _title(self, history: HistoryView | None) -> Text:
        line = Text("overallError", "bold")
        if history is None or history.last is None or history.average is None:
            return line.append("  no iteration finished yet", "dim")
        line.append(f"  last {history.last:.4f}", "bold")
        line.append(f"  average of the last {history.averaged} {history.average:.4f}")
        return line

    def _accuracy_title(self, curves: Curves) -> Text:
        line = Text("exact accuracy", "bold")
        if not curves.accuracy:
            return line.append(f"  measuring{current().more}", "dim")
        iteration, exact = max(curves.accuracy)
        kind = "a sample of the sums" if curves.sampled else "all sums"
        line.append(f"  {percent(exact)}", "bold")
        line.append(f" at iteration {iteration:,} ({kind})", "dim")
        return line

    def _chart(
        self, values: list[float], rows: int, top: float, colour: str, label: object
    ) -> list[Text]:
        """`rows` of bars with the y axis labelled at the top, middle and bottom."""
        assert callable(label)
        bar = "|" if current().ascii else "┤"
        plot = spark_rows(values, rows, top) if values else [""] * rows
        lines = []
        marks = {0: label(top), rows - 1: label(0.0)}
        if rows >= 5:
            marks[rows // 2] = label(top * (rows - 1 - rows // 2 + 0.5) / rows)
        for r, row in enumerate(plot):
            text = marks.get(r, "")
            line = Text(f"{text:>{AXIS - 2}} {bar}", "dim")
            line.append(row, colour)
            lines.append(line)
        return lines
