"""Big characters for the projector focus: digits, `+`, `=`, `?`, `-` and space.

Unicode: a 3x5 pixel font drawn with half blocks (two pixel rows per text row), solid
enough to read from the back of a hall, at any whole scale (scale 1: 3 columns by 3
rows). ASCII (`--ascii`, or a terminal that cannot encode blocks): seven-segment digits
of `_` and `|`, three by three, at every scale.
"""

from __future__ import annotations

from functools import lru_cache

PIXELS = {
    "0": ("###", "#.#", "#.#", "#.#", "###"),
    "1": (".#.", "##.", ".#.", ".#.", "###"),
    "2": ("###", "..#", "###", "#..", "###"),
    "3": ("###", "..#", ".##", "..#", "###"),
    "4": ("#.#", "#.#", "###", "..#", "..#"),
    "5": ("###", "#..", "###", "..#", "###"),
    "6": ("###", "#..", "###", "#.#", "###"),
    "7": ("###", "..#", "..#", ".#.", ".#."),
    "8": ("###", "#.#", "###", "#.#", "###"),
    "9": ("###", "#.#", "###", "..#", "###"),
    "+": ("...", ".#.", "###", ".#.", "..."),
    "=": ("...", "###", "...", "###", "..."),
    "-": ("...", "...", "###", "...", "..."),
    "?": ("###", "..#", ".##", "...", ".#."),
    " ": ("...", "...", "...", "...", "..."),
}

SEGMENTS = {
    "0": (" _ ", "| |", "|_|"),
    "1": ("   ", "  |", "  |"),
    "2": (" _ ", " _|", "|_ "),
    "3": (" _ ", " _|", " _|"),
    "4": ("   ", "|_|", "  |"),
    "5": (" _ ", "|_ ", " _|"),
    "6": (" _ ", "|_ ", "|_|"),
    "7": (" _ ", "  |", "  |"),
    "8": (" _ ", "|_|", "|_|"),
    "9": (" _ ", "|_|", " _|"),
    "+": ("   ", "_|_", " | "),
    "=": ("   ", "___", "___"),
    "-": ("   ", "___", "   "),
    "?": (" _ ", " _|", " . "),
    " ": ("   ", "   ", "   "),
}

HALF = {(False, False): " ", (True, False): "▀", (False, True): "▄", (True, True): "█"}


def glyph_width(scale: int, ascii: bool) -> int:
    return 3 if ascii else 3 * scale


def glyph_height(scale: int, ascii: bool) -> int:
    return 3 if ascii else (5 * scale + 1) // 2


@lru_cache(maxsize=256)
def glyph(char: str, scale: int = 1, ascii: bool = False) -> tuple[str, ...]:
    """The rows of one big character (unknown characters draw as `?`)."""
    if ascii:
        return SEGMENTS.get(char, SEGMENTS["?"])
    pixels = PIXELS.get(char, PIXELS["?"])
    wide = ["".join(p * scale for p in row) for row in pixels]
    tall = [row for row in wide for _ in range(scale)]
    if len(tall) % 2:
        tall.append("." * len(tall[0]))
    rows = []
    for top, bottom in zip(tall[::2], tall[1::2], strict=True):
        rows.append("".join(HALF[(t == "#", b == "#")] for t, b in zip(top, bottom, strict=True)))
    return tuple(rows)


def big_text(text: str, scale: int = 1, ascii: bool = False, gap: int = 1) -> list[str]:
    """`text` in big characters, `gap` columns apart: one string per row."""
    height = glyph_height(scale, ascii)
    rows = [""] * height
    for index, char in enumerate(text):
        for r, part in enumerate(glyph(char, scale, ascii)):
            rows[r] += (" " * gap if index else "") + part
    return rows


def big_width(text: str, scale: int = 1, ascii: bool = False, gap: int = 1) -> int:
    if not text:
        return 0
    return len(text) * glyph_width(scale, ascii) + (len(text) - 1) * gap


def read_big(rows: list[str], scale: int = 1, ascii: bool = False, gap: int = 1) -> str:
    """The characters drawn in `rows` by `big_text` (for tests: what the screen shows)."""
    width, height = glyph_width(scale, ascii), glyph_height(scale, ascii)
    table = {glyph(char, scale, ascii): char for char in (PIXELS if not ascii else SEGMENTS)}
    table[glyph(" ", scale, ascii)] = " "
    found = []
    step = width + gap
    length = max((len(row) for row in rows), default=0)
    for start in range(0, length, step):
        cell = tuple(row[start : start + width].ljust(width) for row in rows[:height])
        found.append(table.get(cell, "?"))
    return "".join(found).strip()
