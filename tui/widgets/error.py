"""The error panel: a sparkline of overallError per iteration, and exhaustive accuracy.

The sparkline is drawn by this widget as block glyphs in a single style per row, so a
whole row costs one colour code on the wire (Textual's Sparkline colours every bar,
which over SSH is most of the bytes a busy screen sends).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.widget import Widget

from tui.widgets.grid import lines_to_text

BARS = " ▁▂▃▄▅▆▇█"
AVERAGE_OVER = 100  # iterations in the moving average


@dataclass(frozen=True)
class AccuracyView:
    """What the panel shows of model.probes.Accuracy (plain numbers only)."""

    exact: float
    per_bit: float
    count: int
    sampled: bool
    iteration: int  # the weights it was measured on


def bucket_means(values: Sequence[float], buckets: int) -> list[float]:
    """`values` squeezed (or left alone) into at most `buckets` means, oldest first."""
    n = len(values)
    if n <= buckets:
        return list(values)
    means = []
    for i in range(buckets):
        lo, hi = i * n // buckets, (i + 1) * n // buckets
        chunk = values[lo:hi]
        means.append(sum(chunk) / len(chunk))
    return means


def spark_rows(values: Sequence[float], height: int, top: float) -> list[str]:
    """Rows of bar glyphs (top row first); each column is one value, scaled to `top`."""
    steps = (len(BARS) - 1) * height
    levels = []
    for v in values:
        level = 0 if v != v or top <= 0 else round(min(max(v / top, 0.0), 1.0) * steps)
        levels.append(level)
    rows = []
    for r in range(height - 1, -1, -1):
        base = r * (len(BARS) - 1)
        rows.append("".join(BARS[max(0, min(len(BARS) - 1, lv - base))] for lv in levels))
    return rows


class ErrorPanel(Widget):
    """overallError per iteration over a bounded window, latest, moving average, accuracy."""

    DEFAULT_CSS = """
    ErrorPanel { text-wrap: nowrap; text-overflow: clip; height: 9; min-height: 5; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.errors: tuple[float, ...] = ()
        self.scale = 0.0
        self.accuracy: AccuracyView | None = None
        self.ablated: AccuracyView | None = None
        self.ablation_label = ""

    def show(self, errors: Sequence[float], scale: float = 0.0) -> None:
        """`scale`: the error the bars are drawn against (at least), so a trained network's
        small errors look small instead of filling the panel."""
        self.errors = tuple(errors)
        self.scale = scale
        self.refresh()

    def show_accuracy(
        self,
        accuracy: AccuracyView | None,
        ablated: AccuracyView | None = None,
        ablation_label: str = "",
    ) -> None:
        before = self._accuracy_shown()
        self.accuracy, self.ablated, self.ablation_label = accuracy, ablated, ablation_label
        if self._accuracy_shown() != before:  # redraw only for a visible change
            self.refresh()

    def _accuracy_shown(self) -> tuple[object, ...]:
        def view(acc: AccuracyView | None) -> object:
            if acc is None:
                return None
            return f"{acc.exact:.2%}", f"{acc.per_bit:.1%}", acc.count, acc.sampled

        return view(self.accuracy), view(self.ablated), self.ablation_label

    def render(self) -> Text:
        width, height = self.size.width, self.size.height
        lines: list[Text] = []
        errors = self.errors
        title = Text("overallError", "bold")
        if errors:
            title.append(f"  last {len(errors):,} it", "dim")
        lines.append(title)
        spark_height = max(1, height - 4)
        means = bucket_means(errors, max(width, 1))
        top = max(max(means, default=0.0), self.scale)
        for row in spark_rows(means, spark_height, top) if means else [""] * spark_height:
            lines.append(Text(row, "#88c0d0"))
        if errors:
            recent = errors[-AVERAGE_OVER:]
            lines.append(
                Text(f"last {errors[-1]:.4f}  avg{len(recent)} {sum(recent) / len(recent):.4f}")
            )
        else:
            lines.append(Text("no iteration finished yet", "dim"))
        acc = self.accuracy
        if acc is None:
            lines.append(Text("exact accuracy: measuring…", "dim"))
            lines.append(Text(""))
        else:
            good = "green" if acc.exact == 1.0 else ("yellow" if acc.exact > 0.5 else "red")
            line = Text("exact ")
            line.append(f"{acc.exact:.2%}", f"bold {good}")
            line.append(f" per bit {acc.per_bit:.1%}")
            lines.append(line)
            if self.ablation_label:
                line = Text(f"ablated ({self.ablation_label}) ", "bold magenta")
                if self.ablated is not None:
                    line.append(f"{self.ablated.exact:.2%}", "bold magenta")
                lines.append(line)
            else:
                kind = "a sample of" if acc.sampled else "all"
                lines.append(Text(f"{kind} {acc.count:,} sums", "dim"))
        return lines_to_text(lines[:height] if height else lines)
