"""Checks for what users type into the app's prompts (pure functions, easy to test).

Numbers are ASCII digits only: `str.isdigit()` and the regex `\\d` also accept `²`,
Arabic-Indic and other Unicode digits, which `int()` refuses (`²`) or reads as a
different number than the user sees. Every function returns a value or a one-line
message and never raises, whatever the text.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

from tui.sandbox import resolve_inside, sandbox_folder

if TYPE_CHECKING:
    from model.checkpoint import Checkpoint

# re.ASCII: \d and \s mean [0-9] and ASCII white space; \Z: no newline after the end
SUM = re.compile(r"\s*(\d{1,12})\s*(?:\+|,|\s)\s*(\d{1,12})\s*\Z", re.ASCII)
ASCII_SPACES = re.compile(r"[ \t\n\r\f\v]+")
SEPARATORS = re.compile(r" ?[+,] ?| ")  # between the two numbers, spaces made one
MAX_DIGITS = 12  # more is beyond every range here (and int() refuses over 4300 digits)


def whole_number(text: str) -> int | None:
    """`text` as a whole number if it is ASCII digits, else None.

    A number of more than MAX_DIGITS digits (leading zeros aside) comes back as
    10**MAX_DIGITS, which is out of every range, so the caller says what the range is.
    """
    if not text or not text.isascii() or not text.isdigit():
        return None
    significant = text.lstrip("0") or "0"
    return int(significant) if len(significant) <= MAX_DIGITS else 10**MAX_DIGITS


def parse_sum(text: str, bits: int) -> tuple[tuple[int, int] | None, str | None]:
    """'a + b' (or 'a b', 'a,b') with both operands in 0..2^(bits-1)-1."""
    limit = (1 << (bits - 1)) - 1
    text = ASCII_SPACES.sub(" ", text)  # a run of spaces made one: SUM backtracks over runs
    match = SUM.match(text)
    if not match:
        parts = SEPARATORS.split(text.strip(" "))
        if len(parts) == 2 and all(part.isascii() and part.isdigit() for part in parts):
            return None, f"each number must be between 0 and {limit} for {bits}-bit sums"
        return None, f"type two whole numbers, like 9 + 60 (each 0 to {limit})"
    a, b = int(match.group(1)), int(match.group(2))
    if a > limit or b > limit:
        return None, f"each number must be between 0 and {limit} for {bits}-bit sums"
    return (a, b), None


def parse_unit(text: str, hidden: int) -> tuple[int | None, str | None]:
    """A hidden unit number ("5" or "h5"), or blank for none."""
    text = text.strip()
    if not text:
        return -1, None  # -1: no unit clamped
    unit = whole_number(text[1:] if text.startswith("h") else text)
    if unit is None or unit >= hidden:
        return None, f"type a unit number from 0 to {hidden - 1}, or leave it blank"
    return unit, None


def parse_state_unit(
    text: str, hidden: int, states: tuple[str, ...]
) -> tuple[tuple[str, int] | None, str | None]:
    """A unit of a carried state: "5" or "h5" (h), "c5" (the LSTM's cell state), or blank
    for none (unit -1)."""
    text = text.strip()
    state = "h"
    if text[:1] in states and text[:1] != "h":
        state, text = text[0], text[1:]
    unit, problem = parse_unit(text, hidden)
    if unit is None:
        names = " or ".join(f"{name}5" for name in states)
        return None, f"{problem} (a unit of {', '.join(states)}: e.g. {names})"
    if unit < 0 and state != "h":
        return None, f"type a unit number after {state}, or leave it blank"
    return (state, unit), None


def _typed_path(text: str) -> tuple[str | None, str | None]:
    """The file a prompt's text names; in a served session only inside its own folder."""
    folder = sandbox_folder()
    if folder is not None:
        return resolve_inside(folder, text)
    return os.path.expanduser(text.strip()), None


def parse_save_path(text: str) -> tuple[str | None, str | None]:
    if not text.strip():
        return None, "type a file name, like net.npz"
    path, refusal = _typed_path(text)
    if path is None:
        return None, refusal
    shown = text.strip()
    if os.path.isdir(path):
        return None, f"{shown} is a folder; type a file name"
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        return None, f"folder {os.path.dirname(shown) or folder} does not exist"
    return path, None


def parse_load_path(text: str) -> tuple[str | None, str | None]:
    if not text.strip():
        return None, "type the name of a checkpoint file"
    path, refusal = _typed_path(text)
    if path is None:
        return None, refusal
    shown = text.strip()
    if os.path.isdir(path):
        return None, f"{shown} is a folder; type a checkpoint file's name"
    if not os.path.isfile(path):
        if os.path.exists(path):  # a pipe, a device or a socket: reading it could hang
            return None, f"{shown} is not a regular file"
        return None, f"no file named {shown}"
    return path, None


def read_typed_checkpoint(text: str) -> tuple[tuple[str, Checkpoint] | None, str | None]:
    """The checkpoint a typed path names, read: a file that is no checkpoint is refused
    here, so the prompt stays open with the reason instead of closing on it."""
    path, refusal = parse_load_path(text)
    if path is None:
        return None, refusal
    from model.checkpoint import CheckpointError, read_checkpoint  # not needed to start

    try:
        return (path, read_checkpoint(path)), None
    except CheckpointError as err:
        return None, str(err)


def parse_reset(text: str) -> tuple[tuple[int, int] | None, str | None]:
    """'seed hidden', e.g. '0 16'."""
    parts = text.replace(",", " ").split()
    numbers = [whole_number(part) for part in parts]
    if len(numbers) != 2:
        return None, "type a seed and a hidden size, like 0 16"
    seed, hidden = numbers
    if seed is None:
        return None, f"the seed must be a whole number from 0 to {2**32 - 1}, not {parts[0]}"
    if hidden is None:
        return None, f"the hidden size must be a whole number from 1 to 1024, not {parts[1]}"
    if seed > 2**32 - 1:
        return None, f"seed must be at most {2**32 - 1}"
    if not 1 <= hidden <= 1024:
        return None, "hidden size must be between 1 and 1024"
    return (seed, hidden), None


GO_TO = re.compile(r"^\s*([0-9][0-9,_]*)\s*$")


def parse_iteration(text: str, first: int = 0) -> tuple[int | None, str | None]:
    """An iteration number for `g`: ASCII digits, with optional , or _ between groups;
    `first`, the first iteration the run's history knows (where a checkpoint was loaded)."""
    match = GO_TO.match(text)
    if not match:
        return None, "type an iteration number, like 5000"
    digits = match.group(1).replace(",", "").replace("_", "")
    if len(digits) > 10 or int(digits) > 10**9:
        return None, "type an iteration from 0 to 1,000,000,000"
    if int(digits) < first:
        return (
            None,
            f"this run's history starts at {first:,} (where it was loaded): "
            f"type {first:,} or later",
        )
    return int(digits), None
