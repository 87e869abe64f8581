"""Checks for what users type into the app's prompts (pure functions, easy to test)."""

from __future__ import annotations

import os
import re

SUM = re.compile(r"^\s*(\d{1,12})\s*(?:\+|,|\s)\s*(\d{1,12})\s*$")


def parse_sum(text: str, bits: int) -> tuple[tuple[int, int] | None, str | None]:
    """'a + b' (or 'a b', 'a,b') with both operands in 0..2^(bits-1)-1."""
    limit = (1 << (bits - 1)) - 1
    match = SUM.match(text)
    if not match:
        return None, f"type two whole numbers, like 9 + 60 (each 0 to {limit})"
    a, b = int(match.group(1)), int(match.group(2))
    if a > limit or b > limit:
        return None, f"each number must be between 0 and {limit} for {bits}-bit sums"
    return (a, b), None


def parse_unit(text: str, hidden: int) -> tuple[int | None, str | None]:
    """A hidden unit number, or blank for none."""
    text = text.strip().lstrip("h")
    if not text:
        return -1, None  # -1: no unit clamped
    if not text.isdigit() or int(text) >= hidden:
        return None, f"type a unit number from 0 to {hidden - 1}, or leave it blank"
    return int(text), None


def parse_save_path(text: str) -> tuple[str | None, str | None]:
    path = os.path.expanduser(text.strip())
    if not path:
        return None, "type a file name, like net.npz"
    if os.path.isdir(path):
        return None, f"{path} is a folder; type a file name"
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        return None, f"folder {folder} does not exist"
    return path, None


def parse_load_path(text: str) -> tuple[str | None, str | None]:
    path = os.path.expanduser(text.strip())
    if not path:
        return None, "type the name of a checkpoint file"
    if not os.path.isfile(path):
        return None, f"no file named {path}"
    return path, None


def parse_reset(text: str) -> tuple[tuple[int, int] | None, str | None]:
    """'seed hidden', e.g. '0 16'."""
    parts = text.replace(",", " ").split()
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        return None, "type a seed and a hidden size, like 0 16"
    seed, hidden = int(parts[0]), int(parts[1])
    if seed > 2**32 - 1:
        return None, f"seed must be at most {2**32 - 1}"
    if not 1 <= hidden <= 1024:
        return None, "hidden size must be between 1 and 1024"
    return (seed, hidden), None
