"""Messages the background workers post to their screens (immutable payloads only)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from tui.sweep_map import MapProgress
from tui.training import Probes, SeekProgress, TrainingProgress


@dataclass
class Progress(Message):
    """A training run's progress (or its end) from the worker thread."""

    progress: TrainingProgress


@dataclass
class Measured(Message):
    """Accuracy and the carry unit of weights measured in the background."""

    probes: Probes


@dataclass
class Seeking(Message):
    """A jump (g) under way or finished."""

    progress: SeekProgress


@dataclass
class MapFrame(Message):
    """The convergence map's sweep under way, or its end (to the map screen)."""

    progress: MapProgress
    sweep: int  # which of the screen's sweeps (a newer one replaces an older)
