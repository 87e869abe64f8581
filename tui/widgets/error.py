"""The error panel: overallError over the whole run as a sparkline; accuracy and its climb.

The sparkline is drawn by this widget as block glyphs in a single style per row, so a
whole row costs one colour code on the wire (Textual's Sparkline colours every bar,
which over SSH is most of the bytes a busy screen sends).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.events import Resize
from textual.message import Message
from textual.widget import Widget

from model.accuracy import percent
from model.history import HistoryView, bucket_means
from tui.glyphs import current
from tui.widgets.grid import lines_to_text

CLIMB_LABEL = len("climb ")
AXIS = 5  # the curve's range, right of its top and bottom rows: " 3.98"


@dataclass(frozen=True)
class AccuracyView:
    """What the panel shows of model.probes.Accuracy (plain numbers only)."""

    exact: float
    per_bit: float
    count: int
    sampled: bool
    iteration: int  # the weights it was measured on


def spark_rows(values: Sequence[float], height: int, top: float, bottom: float = 0.0) -> list[str]:
    """Rows of bar glyphs (top row first); each column is one value, `bottom` .. `top`.

    A positive value never rounds down to a blank: the small errors of a trained network,
    most of a long run's columns, show as the lowest bar, so the curve spans the width."""
    bars = current().bars
    steps = (len(bars) - 1) * height
    span = top - bottom
    levels = []
    for v in values:
        if v != v or v <= 0 or top <= 0:
            levels.append(0)
        elif span <= 0:
            levels.append(1)
        else:
            levels.append(max(1, round(min(max(v - bottom, 0.0) / span, 1.0) * steps)))
    rows = []
    for r in range(height - 1, -1, -1):
        base = r * (len(bars) - 1)
        rows.append("".join(bars[max(0, min(len(bars) - 1, lv - base))] for lv in levels))
    return rows


def axis_label(value: float) -> str:
    """An end of the error axis in AXIS - 1 characters: 3.98, 0.01, 12.3."""
    if value < 9.995:
        text = f"{value:.2f}"
    elif value < 99.95:
        text = f"{value:.1f}"
    else:
        text = f"{min(value, 9999):.0f}"
    return text.rjust(AXIS - 1)


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

    class Resized(Message):
        """The panel has a new size: the curve it was given was squeezed into the old one."""

    def on_resize(self, event: Resize) -> None:
        self.post_message(self.Resized())

    DEFAULT_CSS = """
    ErrorPanel { text-wrap: nowrap; text-overflow: clip; height: 9; min-height: 5; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.history: HistoryView | None = None
        self.accuracy: AccuracyView | None = None
        self.ablated: AccuracyView | None = None
        self.ablation_label = ""
        self.climb: tuple[float, ...] = ()  # exact accuracy as measured, oldest first

    def show(self, history: HistoryView) -> None:
        if history == self.history:
            return  # stepping within an iteration leaves the curve as it is
        self.history = history
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
        lines.extend(self._curve_lines(width, spark_height))
        if history is not None and history.last is not None and history.average is not None:
            lines.append(
                Text(f"last {history.last:.4f}  avg{history.averaged} {history.average:.4f}")
            )
        else:
            lines.append(Text("no iteration finished yet", "dim"))
        lines.extend(self._accuracy_lines(width))
        return lines_to_text(lines[:height] if height else lines)

    def curve_width(self) -> int:
        """The columns the curve is drawn in: the panel's, less its axis labels."""
        return self._curve_room(self.size.width, max(1, self.size.height - 5))

    @staticmethod
    def _curve_room(width: int, height: int) -> int:
        return width - AXIS if height >= 2 and width >= AXIS + 8 else max(width, 1)

    def _curve_lines(self, width: int, height: int) -> list[Text]:
        """The curve from its lowest to its highest value, both written at its right: the
        first thousand iterations' errors, 3.4 to 4.0, are a shape, not a solid block."""
        history = self.history
        if history is None or not history.curve:
            return [Text("")] * height
        room = self._curve_room(width, height)
        labelled = room < width
        means = bucket_means(history.curve, room)
        drawn = [v for v in means if v == v and v > 0]
        low, high = (min(drawn), max(drawn)) if drawn else (0.0, 0.0)
        rows = [Text(row.ljust(room), "#88c0d0") for row in spark_rows(means, height, high, low)]
        if labelled and drawn:
            rows[0].append(" " + axis_label(high), "dim")
            rows[-1].append(" " + axis_label(low), "dim")
        return rows

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
            number = "" if self.ablated is None else percent(self.ablated.exact)
            label = f"ablated ({self.ablation_label}) "
            if len(label) + len(number) > width:  # the number first: the status names the ablation
                label = "ablated "
            line = Text(label, "bold magenta")
            line.append(number, "bold magenta")
            lines.append(line)
        else:
            kind = "a sample of" if acc.sampled else "all"
            lines.append(Text(f"{kind} {acc.count:,} sums", "dim"))
        climb = Text("climb ", "dim")
        if self.climb:
            climb.append(climb_row(self.climb, max(width - CLIMB_LABEL, 1)), "green")
        lines.append(climb)
        return lines
