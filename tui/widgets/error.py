"""The error panel: overallError over the whole run as a sparkline; accuracy and its climb.

The sparkline is drawn by this widget as block glyphs in a single style per row, so a
whole row costs one colour code on the wire (Textual's Sparkline colours every bar,
which over SSH is most of the bytes a busy screen sends).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.widget import Widget

from model.accuracy import percent
from model.history import HistoryView, bucket_means
from tui.glyphs import current
from tui.widgets.grid import lines_to_text

CLIMB_LABEL = len("climb ")


@dataclass(frozen=True)
class AccuracyView:
    """What the panel shows of model.probes.Accuracy (plain numbers only)."""

    exact: float
    per_bit: float
    count: int
    sampled: bool
    iteration: int  # the weights it was measured on


def spark_rows(values: Sequence[float], height: int, top: float) -> list[str]:
    """Rows of bar glyphs (top row first); each column is one value, scaled to `top`.

    A positive value never rounds down to a blank: the small errors of a trained network,
    most of a long run's columns, show as the lowest bar, so the curve spans the width."""
    bars = current().bars
    steps = (len(bars) - 1) * height
    levels = []
    for v in values:
        if v != v or top <= 0 or v <= 0:
            levels.append(0)
        else:
            levels.append(max(1, round(min(v / top, 1.0) * steps)))
    rows = []
    for r in range(height - 1, -1, -1):
        base = r * (len(bars) - 1)
        rows.append("".join(bars[max(0, min(len(bars) - 1, lv - base))] for lv in levels))
    return rows


def climb_row(exact: Sequence[float], width: int) -> str:
    """Exact accuracy as one row of bars: 0% is the lowest bar, not a blank."""
    if not exact:
        return ""
    bars = current().bars[1:]
    return "".join(
        bars[round(min(max(v, 0.0), 1.0) * (len(bars) - 1))] for v in bucket_means(exact, width)
    )


class ErrorPanel(Widget):
    """overallError over the whole run, latest, moving average; accuracy and its climb."""

    DEFAULT_CSS = """
    ErrorPanel { text-wrap: nowrap; text-overflow: clip; height: 9; min-height: 5; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.history: HistoryView | None = None
        self.scale = 0.0
        self.accuracy: AccuracyView | None = None
        self.ablated: AccuracyView | None = None
        self.ablation_label = ""
        self.climb: tuple[float, ...] = ()  # exact accuracy as measured, oldest first

    def show(self, history: HistoryView, scale: float = 0.0) -> None:
        """`scale`: the error the bars are drawn against (at least), so a trained network's
        small errors look small instead of filling the panel."""
        if (history, scale) == (self.history, self.scale):
            return  # stepping within an iteration leaves the curve as it is
        self.history, self.scale = history, scale
        self.refresh()

    def show_accuracy(
        self,
        accuracy: AccuracyView | None,
        ablated: AccuracyView | None = None,
        ablation_label: str = "",
        climb: Sequence[float] = (),
    ) -> None:
        before = self._accuracy_shown()
        self.accuracy, self.ablated, self.ablation_label = accuracy, ablated, ablation_label
        self.climb = tuple(climb)
        if self._accuracy_shown() != before:  # redraw only for a visible change
            self.refresh()

    def _accuracy_shown(self) -> tuple[object, ...]:
        def view(acc: AccuracyView | None) -> object:
            if acc is None:
                return None
            return percent(acc.exact), percent(acc.per_bit, 1), acc.count, acc.sampled

        width = max(self.size.width - CLIMB_LABEL, 1)
        return (
            view(self.accuracy),
            view(self.ablated),
            self.ablation_label,
            climb_row(self.climb, width),
        )

    def render(self) -> Text:
        width, height = self.size.width, self.size.height
        lines: list[Text] = []
        history = self.history
        title = Text("overallError", "bold")
        if history is not None and history.end > history.first:
            span = f"{history.first:,} .. {history.end:,}"
            room = width - len(title)
            # the widest form that fits: a long run's last iteration is never cut off
            forms = (f"  it {span}", f" it {span}", f" {span}", f" {span.replace(' ', '')}")
            form = next((f for f in forms if len(f) <= room), f" ..{history.end:,}")
            title.append(form, "dim")
        lines.append(title)
        spark_height = max(1, height - 5)
        means = list(history.curve) if history is not None else []
        top = max(max(means, default=0.0), self.scale)
        for row in spark_rows(means, spark_height, top) if means else [""] * spark_height:
            lines.append(Text(row, "#88c0d0"))
        if history is not None and history.last is not None and history.average is not None:
            lines.append(
                Text(f"last {history.last:.4f}  avg{history.averaged} {history.average:.4f}")
            )
        else:
            lines.append(Text("no iteration finished yet", "dim"))
        lines.extend(self._accuracy_lines(width))
        return lines_to_text(lines[:height] if height else lines)

    def _accuracy_lines(self, width: int) -> list[Text]:
        acc = self.accuracy
        if acc is None:
            return [Text(f"exact accuracy: measuring{current().more}", "dim"), Text(""), Text("")]
        good = "green" if acc.exact == 1.0 else ("yellow" if acc.exact > 0.5 else "red")
        line = Text("exact ")
        line.append(percent(acc.exact), f"bold {good}")
        line.append(f" per bit {percent(acc.per_bit, 1)}")
        lines = [line]
        if self.ablation_label:
            line = Text(f"ablated ({self.ablation_label}) ", "bold magenta")
            if self.ablated is not None:
                line.append(percent(self.ablated.exact), "bold magenta")
            lines.append(line)
        else:
            kind = "a sample of" if acc.sampled else "all"
            lines.append(Text(f"{kind} {acc.count:,} sums", "dim"))
        climb = Text("climb ", "dim")
        if self.climb:
            climb.append(climb_row(self.climb, max(width - CLIMB_LABEL, 1)), "green")
        lines.append(climb)
        return lines
