"""The status panel: iteration, phase, hyperparameters, N and training progress."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widget import Widget

from model.stepper import Snapshot
from tui.widgets.grid import lines_to_text


@dataclass(frozen=True)
class TrainingView:
    """Progress of the training run under way (plain numbers)."""

    done: int
    total: int
    rate: float  # iterations per second


def progress_bar(fraction: float, width: int) -> str:
    fraction = min(max(fraction, 0.0), 1.0)
    eighths = round(fraction * width * 8)
    full, part = divmod(eighths, 8)
    bar = "█" * full + (" ▏▎▍▌▋▊▉"[part] if part else "")
    return bar.ljust(width)


class StatusPanel(Widget):
    DEFAULT_CSS = """
    StatusPanel { text-wrap: nowrap; text-overflow: clip; height: 5; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.snapshot: Snapshot | None = None
        self.train_count = 1000
        self.training: TrainingView | None = None
        self.ablation = ""

    def show(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.refresh()

    def show_training(
        self, training: TrainingView | None, train_count: int, ablation: str = ""
    ) -> None:
        self.training, self.train_count, self.ablation = training, train_count, ablation
        self.refresh()

    def render(self) -> Text:
        snap = self.snapshot
        if snap is None:
            return Text("")
        width = self.size.width
        lines = []
        head = Text("iteration ")
        head.append(f"{snap.iteration:,}", "bold")
        if not snap.finite:
            head.append("  DIVERGED (r resets)", "bold red")
        lines.append(head)
        phase = Text("phase ")
        if self.training is not None:
            phase.append("training", "bold cyan")
        elif snap.probe:
            phase.append(f"PROBE {snap.phase_label}", "bold reverse magenta")
        else:
            phase.append(snap.phase_label, "bold cyan")
        lines.append(phase)
        settings = f"seed {snap.seed} alpha {snap.alpha:g} hidden {snap.hidden}"
        bits = f"bits {snap.bits}" if snap.bits != 8 else ""
        fits = len(settings) + 1 + len(bits) <= width
        if bits and fits:
            settings += f" {bits}"
        lines.append(Text(settings))
        count = Text("N ")
        count.append(f"{self.train_count:,}", "bold")
        if bits and not fits:  # at 80x24 the settings line is full: bits go here, not off-screen
            count.append(f"  {bits}")
        else:
            count.append("  (t trains N)", "dim")
        lines.append(count)
        run = self.training
        if run is None:
            note = Text("")
            if self.ablation:  # always on screen while active
                note.append(f"ABLATION {self.ablation}", "bold reverse magenta")
            elif snap.probe:
                note.append("probe: weights unchanged", "magenta")
            lines.append(note)
        else:
            label = f" {run.done / max(run.total, 1):4.0%} {run.rate:,.0f} it/s"
            bar = progress_bar(run.done / max(run.total, 1), max(width - len(label) - 2, 4))
            line = Text("▕")
            line.append(bar, "green")
            line.append("▏" + label)
            lines.append(line)
        return lines_to_text(lines)
