"""The status panel: iteration, phase, hyperparameters, N and training progress."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widget import Widget

from model.stepper import Snapshot
from tui.glyphs import current
from tui.widgets.grid import lines_to_text


@dataclass(frozen=True)
class TrainingView:
    """Progress of the training run under way (plain numbers)."""

    done: int
    total: int
    rate: float  # iterations per second
    kind: str = "training"  # or "going to 5,000": what the bar measures


def progress_bar(fraction: float, width: int) -> str:
    fraction = min(max(fraction, 0.0), 1.0)
    eighths = round(fraction * width * 8)
    full, part = divmod(eighths, 8)
    glyphs = current()
    bar = glyphs.bar_full * full + (glyphs.bar_parts[part].strip() if part else "")
    return bar.ljust(width)


def settings_words(snap: Snapshot) -> list[str]:
    """The run's settings as words that must never be split: "RNN", "seed 0", ..."""
    words = [snap.cell.upper(), f"seed {snap.seed}", f"alpha {snap.alpha:g}"]
    words.append(f"hidden {snap.hidden}")
    if snap.bits != 8:
        words.append(f"bits {snap.bits}")
    low, high = snap.init
    words.append(f"init {low:g},{high:g}")
    return words


def fit_words(words: list[str], width: int) -> tuple[str, list[str]]:
    """As many whole words as fit in `width`, in order; and the words left over."""
    line = ""
    for index, word in enumerate(words):
        candidate = f"{line} {word}" if line else word
        if len(candidate) > width:
            return line, words[index:]
        line = candidate
    return line, []


def training_kernel(cell: str) -> str:
    """The kernel that trains this cell in this process: "compiled" or "numpy"."""
    from model.kernel_choice import COMPILED, NUMPY, compiled_for

    return COMPILED if compiled_for(cell) else NUMPY


def _count_line(train_count: int, rest: list[str], width: int) -> tuple[Text, str, str, list[str]]:
    """ "N 1,000" and the settings words line 3 had no room for, as many as fit: two spaces
    apart, else one, else with N in thousands ("N 100k": the words need its room more)."""
    best: tuple[Text, str, str, list[str]] | None = None
    numbers = [f"{train_count:,}"]
    if train_count >= 10_000 and train_count % 1000 == 0:
        numbers.append(f"{train_count // 1000:,}k")
    for number in numbers:
        for gap in ("  ", " "):
            count = Text("N ")
            count.append(number, "bold")
            extra, left = fit_words(rest, width - len(count.plain) - len(gap))
            if best is None:
                best = (count, gap, extra, left)
            if not left:
                return count, gap, extra, left
    assert best is not None
    return best


class StatusPanel(Widget):
    DEFAULT_CSS = """
    StatusPanel { text-wrap: nowrap; text-overflow: clip; height: 5; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.snapshot: Snapshot | None = None
        self.train_count = 1000
        self.training: TrainingView | None = None
        self.last_training: TrainingView | None = None  # the last t's, once it has ended
        self.ablation = ""

    def show(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.refresh()

    def show_training(
        self,
        training: TrainingView | None,
        train_count: int,
        ablation: str = "",
        last: TrainingView | None = None,
    ) -> None:
        self.training, self.train_count, self.ablation = training, train_count, ablation
        self.last_training = last
        self.refresh()

    def render(self) -> Text:
        snap = self.snapshot
        if snap is None:
            return Text("")
        width = self.size.width
        lines = []
        head = Text("iteration ")
        head.append(f"{snap.example_iteration:,}", "bold")
        if not snap.finite:
            head.append("  DIVERGED (r resets)", "bold red")
        lines.append(head)
        phase = Text("phase ")
        if self.training is not None:
            phase.append(self.training.kind, "bold cyan")
            kernel = f" ({training_kernel(snap.cell)})"  # what trains: " (compiled)"
            if len(phase.plain) + len(kernel) <= width:
                phase.append(kernel, "dim")
        elif snap.probe:
            phase.append(f"PROBE {snap.phase_label}", "bold reverse magenta")
        else:
            phase.append(snap.phase_label, "bold cyan")
        lines.append(phase)
        settings, rest = fit_words(settings_words(snap), width)
        lines.append(Text(settings))
        count, gap, extra, left = _count_line(self.train_count, rest, width)
        if extra:  # what the settings line had no room for, never cut mid-number
            count.append(f"{gap}{extra}")
        elif width - len(count.plain) >= len("  (t trains N)"):
            count.append("  (t trains N)", "dim")
        lines.append(count)
        run = self.training
        if run is None:
            note = Text("")
            if self.ablation:  # always on screen while active
                note.append(f"ABLATION {self.ablation}", "bold reverse magenta")
            elif snap.probe:
                note.append("probe: o trains on it", "magenta")
            elif self.last_training is not None:  # how fast the last t went, on this kernel
                last = self.last_training
                note.append(f"last t: {last.rate:,.0f} it/s", "dim")
            # the settings left over (a large N took their room) after the note, if they fit
            spare = width - len(note.plain) - (2 if note.plain else 0)
            shown, left = fit_words(left, spare) if left else ("", left)
            if shown:
                note.append(f"  {shown}" if note.plain else shown)
            lines.append(note)
        else:
            rate = f" {run.rate:,.0f} it/s" if run.kind == "training" else ""
            label = f" {run.done / max(run.total, 1):4.0%}{rate}"
            bar = progress_bar(run.done / max(run.total, 1), max(width - len(label) - 2, 4))
            opening, closing = current().bar_ends
            line = Text(opening)
            line.append(bar, "green")
            line.append(closing + label)
            lines.append(line)
        if left:  # still not on screen
            count.append(f" {current().more}", "dim")
        return lines_to_text(lines)
