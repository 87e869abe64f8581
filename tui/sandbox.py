"""A served session's files stay in its own folder.

`rnn-tui serve` starts each browser session's app in a fresh folder (its working folder)
and names that folder in `RNN_TUI_SANDBOX`. Every path a user types into the app's save and
load prompts goes through `resolve_inside`, so a web page that drives a session cannot read
or overwrite anything else the server's user can reach.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

SANDBOX_VARIABLE = "RNN_TUI_SANDBOX"
OUTSIDE_HINT = "type a plain name, like net.npz"


def sandbox_folder(environ: Mapping[str, str] = os.environ) -> str | None:
    """The folder a served session is confined to, or None outside `rnn-tui serve`."""
    return environ.get(SANDBOX_VARIABLE) or None


def resolve_inside(root: str, typed: str) -> tuple[str | None, str | None]:
    """(path, None) for a name inside `root`, or (None, why not).

    Names are taken relative to `root`; an absolute path only when it is inside `root` (the
    app shows the last path it used in full). No `~`, no `..` anywhere (even one that would
    come back inside), and after following every symlink the result must still be in
    `root`, so a link that points out is refused too. The path returned is the resolved
    one, the file a save or load will really touch.
    """
    name = typed.strip()
    if not name:
        return None, "type a file name, like net.npz"
    if "\0" in name:
        return None, "a file name cannot contain a NUL character"
    if name.startswith("~"):
        return None, f"this session can only use files in its own folder: {OUTSIDE_HINT}"
    if ".." in name.split(os.sep):
        return None, f"this session can only use files in its own folder, no '..': {OUTSIDE_HINT}"
    home = os.path.realpath(root)
    if os.path.isabs(name) and not _within(os.path.normpath(name), (os.path.abspath(root), home)):
        return None, f"{name} is outside this session's folder: {OUTSIDE_HINT}"
    resolved = os.path.realpath(os.path.join(home, name))
    if not _within(resolved, (home,)):
        return None, f"{name} leads out of this session's folder (a symlink): {OUTSIDE_HINT}"
    return resolved, None


def _within(path: str, folders: tuple[str, ...]) -> bool:
    return any(
        path == folder or path.startswith(folder.rstrip(os.sep) + os.sep) for folder in folders
    )
