"""The session file: where the app keeps the run on quit, SIGHUP and SIGTERM.

`$XDG_STATE_HOME/rnn-tui/session.npz` (default `~/.local/state/rnn-tui/session.npz`),
a checkpoint like any other plus what makes the session the same again: the error
history, N and the step within the iteration. `rnn-tui --resume` reopens it.
"""

from __future__ import annotations

import os

from tui.session import Session

FILE_NAME = "session.npz"


def session_file() -> str:
    """The session file's path (its folder may not exist yet)."""
    state = os.environ.get("XDG_STATE_HOME", "")
    if not state or not os.path.isabs(state):  # the XDG rule: relative values are ignored
        state = os.path.join(os.path.expanduser("~"), ".local", "state")
    return os.path.join(state, "rnn-tui", FILE_NAME)


def autosave(session: Session) -> str:
    """Save `session` to the session file; return the path. CheckpointError if it cannot."""
    from model.checkpoint import CheckpointError

    path = session_file()
    try:
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    except OSError as err:
        raise CheckpointError(
            f"cannot create the folder for the session file {path!r}: {err.strerror}", path
        ) from None
    session.save_session(path)
    return path


def resume() -> Session:
    """The session saved last; CheckpointError (one sentence) when there is none or it is bad."""
    from model.checkpoint import CheckpointError

    path = session_file()
    if not os.path.lexists(path):
        raise CheckpointError(
            f"no saved session to resume: {path} does not exist (the app saves it when it quits)",
            path,
        )
    return Session.resumed(path)
