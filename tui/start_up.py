"""The cyclic garbage collector held off while a command loads its modules.

Importing numpy, numba (and its cache's registries) or textual makes a few hundred
thousand objects that live as long as the process. While they are being made, the
collector runs full collections over all of them again and again: some 50 ms of the
0.5 s that `rnn-tui train --iterations 100000 --kernel compiled` takes, and none of it
frees anything. So the console command holds the collector off from its first line
(`hold`), and each command says when its loading is over (`loaded`): what was loaded is
then moved out of the collector's sight for good (`gc.freeze`) and collection resumes.

Only the console command holds it: a test or a notebook that calls `main()` keeps its
collector as it was, and `loaded()` then does nothing.
"""

from __future__ import annotations

import gc

_held = False


def hold() -> None:
    """No collections until `loaded()`; called first thing by the console command."""
    global _held
    if gc.isenabled():
        gc.disable()
        _held = True


def loaded() -> None:
    """Loading is over: freeze what it made and let the collector run again (no-op
    unless `hold` held it)."""
    global _held
    if _held:
        _held = False
        gc.freeze()
        gc.enable()
