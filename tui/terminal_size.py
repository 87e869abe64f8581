"""The largest terminal the app draws for, whatever the terminal (or a browser) claims.

Textual allocates its screen buffers for the size it is told, so `COLUMNS=99999 LINES=99999`
or a served page asking for 20000x20000 cells grows the process by gigabytes. Every size
reaches the app as an `events.Resize` (from the terminal driver at start and on SIGWINCH,
from an in-band size report, or from textual-serve's resize message), so clamping the event
before `App` stores it bounds the memory; the app handles it in its own `on_resize`, which
Textual dispatches before `App._on_resize`. The environment is clamped too, because the
first layout can happen before the first resize event (Rich's console reads `COLUMNS`/
`LINES`, Textual's web driver `COLUMNS`/`ROWS`).
"""

from __future__ import annotations

from collections.abc import MutableMapping

from textual import events
from textual.geometry import Size

MAX_COLUMNS = 500
MAX_ROWS = 200
SIZE_VARIABLES = {"COLUMNS": MAX_COLUMNS, "LINES": MAX_ROWS, "ROWS": MAX_ROWS}


def clamp_size(width: object, height: object) -> tuple[int, int]:
    """A size within 1..MAX_COLUMNS x 1..MAX_ROWS; anything that is not a whole number
    (a browser's JSON may carry strings, floats or nulls) falls back to 80x24."""
    return _clamp(width, 80, MAX_COLUMNS), _clamp(height, 24, MAX_ROWS)


def _clamp(value: object, fallback: int, limit: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        return fallback
    return max(1, min(limit, value))


def clamp_environment(environ: MutableMapping[str, str]) -> None:
    """Bound the size variables a terminal or textual-serve set (a bad value is left for
    Textual to ignore, as it does today)."""
    for name, limit in SIZE_VARIABLES.items():
        text = environ.get(name)
        if text is None:
            continue
        try:
            value = int(text.strip())
        except ValueError:
            continue
        if value > limit:
            environ[name] = str(limit)


def clamp_resize(event: events.Resize) -> None:
    """Shrink a resize event in place to at most MAX_COLUMNS x MAX_ROWS."""
    width, height = clamp_size(event.size.width, event.size.height)
    if (width, height) != tuple(event.size):
        event.size = Size(width, height)
        event.virtual_size = Size(width, height)
        event.container_size = Size(width, height)
