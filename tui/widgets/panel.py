"""The base of the panels that draw one model snapshot."""

from __future__ import annotations

from textual.widget import Widget

from model.stepper import Snapshot


class SnapshotPanel(Widget):
    """Holds the latest snapshot handed to it and redraws; subclasses render it."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.snapshot: Snapshot | None = None

    def show(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.refresh()
