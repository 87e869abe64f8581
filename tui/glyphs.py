"""The glyphs the panels draw with: Unicode shades and marks, or plain ASCII.

ASCII is used with `--ascii`, and by itself when the terminal's encoding cannot encode
the Unicode set (e.g. LC_ALL=C), where Unicode glyphs would arrive as `\\u2591` text.
Chosen once at start-up (`use`); every widget reads `GLYPHS` when it draws.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass


@dataclass(frozen=True)
class Glyphs:
    shades: str  # five levels, 0 to 1 (blank: not computed yet)
    bars: str  # nine sparkline levels, empty to full
    right: str  # a predicted bit that is right
    wrong: str  # a predicted bit that is wrong
    unknown: str  # a bit not predicted yet
    pointer: str  # marks the carry-like unit
    more: str  # text left out
    arrow: str
    bar_full: str  # progress bar
    bar_parts: str  # eighths of a progress bar cell (index 0 unused)
    bar_ends: tuple[str, str]
    ascii: bool


UNICODE = Glyphs(
    "·░▒▓█", " ▁▂▃▄▅▆▇█", "✓", "✗", "·", "◀", "…", "→", "█", " ▏▎▍▌▋▊▉", ("▕", "▏"), False
)
ASCII = Glyphs(
    ".:oO#", " .,:;=+*#", "v", "x", ".", "<", "...", "->", "#", "        ", ("[", "]"), True
)

GLYPHS = UNICODE


def use(glyphs: Glyphs) -> None:
    global GLYPHS
    GLYPHS = glyphs


def current() -> Glyphs:
    return GLYPHS


def can_encode(encoding: str | None) -> bool:
    """True when `encoding` can write every Unicode glyph the app draws (and Textual's)."""
    if not encoding:
        return False
    try:
        codecs.lookup(encoding)
        sample = "".join(
            [UNICODE.shades, UNICODE.bars, UNICODE.right, UNICODE.wrong, UNICODE.pointer, "▊▔"]
        )
        sample.encode(encoding)
    except (LookupError, UnicodeEncodeError):
        return False
    return True
