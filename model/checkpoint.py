"""Save and load a run as an `.npz` checkpoint, safely and bit for bit.

A checkpoint holds everything that decides what the next training iteration does:

* the weights, under the tutorial's names and shapes, as float64, laid out by the cell's
  ParamSpec: `synapse_0` (2, G*H), `synapse_1` (H, 1), `synapse_h` (H, G*H) and, for the
  LSTM (G = 4) and GRU (G = 3), `bias` (G*H,); the RNN has G = 1 and no bias;
* the hyperparameters `seed`, `hidden`, `alpha` (the live learning rate) and `bits`,
  the `cell` (0 rnn, 1 lstm, 2 gru) and the init range `init_low`, `init_high`;
* the `iteration` count;
* the MT19937 state of the run's private random stream, as plain numbers:
  `rng_keys` (uint32, (624,)), `rng_pos`, `rng_has_gauss`, `rng_cached_gaussian`;
* `format_version`, so that a later layout can be told apart. Format 1 (the first
  release: the RNN only, no cell, init or bias members) still loads, as an RNN drawn
  from -1, 1; format 2 added the cell, the init range and the bias.

Every member is a plain numeric array: nothing is pickled, and loading uses
`allow_pickle=False`, so opening a hostile file can never run code. A file is treated
as untrusted input: before any array is read, its declared size, dtype and shape are
checked, so a small file cannot make us allocate gigabytes (a "zip bomb", or an `.npy`
header claiming a huge shape), and every way a file can be wrong is reported as a
`CheckpointError` whose message is one sentence naming the file and the problem.

Saving is atomic: the archive is written to a temporary file beside the target, flushed
to disk, then renamed over the target, so a failed save never damages the previous
checkpoint. The path is used verbatim (no `.npz` is appended). A save never replaces
anything but a regular file: a device node, FIFO, socket or directory at the target is
refused, and a symbolic link is followed, so the link's target is written and the link
stays a link.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
from numpy.lib import format as npy_format

from model.accuracy import Ablation
from model.cells import cell_info
from model.config import CELLS, MAX_BITS, RNNConfig, config_problem, init_problem
from model.history import RECENT, BlockMissing, ErrorHistory
from model.network import RNN
from model.params import ParamSpec

FORMAT_VERSION = 2

MT19937_KEYS = 624  # words of MT19937 state; `pos` runs from 0 to this value inclusive

# Size limits for untrusted files. The largest legitimate member is the LSTM's synapse_h
# at the largest allowed hidden size (1024 * 4096 float64 = 32 MiB), so 40 MiB per weight
# member
# leaves room for the .npy header; every other member is a scalar or the 624 rng words.
# Only the members named in MEMBERS below are ever read, so these caps also bound the total
# read (3 * 16 MiB + 10 * 64 KiB); any other member is ignored unread. The file itself
# is capped so that a huge file is refused by its size alone, before the zip directory
# is parsed.
MAX_FILE_BYTES = 64 * 2**20
MAX_WEIGHT_MEMBER_BYTES = 40 * 2**20
MAX_SMALL_MEMBER_BYTES = 64 * 2**10
MAX_NPY_HEADER = 10_000  # numpy's own default limit for a trusted-looking header

# The largest iteration count a checkpoint holds. It is stored as int64; the bound
# leaves 2**62 iterations of headroom, more than any run can add (146,000 years at a
# million iterations a second), so a loaded count can never overflow a later save.
MAX_ITERATION = 2**62
CLAMPED_STATES = ("h", "c")  # session_clamped_state: the index of the state clamped
MAX_ERROR_BLOCKS = 2_000_000  # a 100-iteration mean each: 200 million iterations, 16 MB
# The app's exact-accuracy points (iteration, accuracy), as measured: the last ones kept.
# Their iterations are stored as float64, exact up to 2**53 (later points are not kept).
MAX_ACCURACY_POINTS = 100_000
EXACT_ITERATIONS = 2**53
ACCURACY_MEMBERS = ("accuracy_iterations", "accuracy_exact")


def _iteration_problem(value: int) -> str | None:
    if value < 0:
        return f"iteration must not be negative, got {value}"
    if value > MAX_ITERATION:
        return f"iteration must be at most 2**62 ({MAX_ITERATION}), got {value}"
    return None


def _rng_pos_problem(value: int) -> str | None:
    # The generator indexes its key array with pos; outside 0..624 it would read past it.
    if not 0 <= value <= MT19937_KEYS:
        return f"rng_pos must be between 0 and {MT19937_KEYS}, got {value}"
    return None


def _has_gauss_problem(value: int) -> str | None:
    return None if value in (0, 1) else f"rng_has_gauss must be 0 or 1, got {value}"


def _finite_problem(value: float) -> str | None:
    return None if np.isfinite(value) else "rng_cached_gaussian must be a finite number"


def _cell_problem(value: int) -> str | None:
    if not 0 <= value < len(CELLS):
        return f"cell must be between 0 and {len(CELLS) - 1} ({', '.join(CELLS)}), got {value}"
    return None


def _rng_keys_problem(keys: np.ndarray) -> str | None:
    # MT19937's state is the top bit of the first word and all of the other 623; when
    # every one of those bits is zero the generator only ever yields zeros (every
    # example would be 0 + 0). Seeding never produces it; only a crafted file does.
    if not int(keys[0]) & 0x80000000 and not keys[1:].any():
        return "rng_keys is a degenerate MT19937 state (all zero): every draw would be 0"
    return None


@dataclass(frozen=True)
class Member:
    """One array of a checkpoint: how it is stored and what values it may hold.

    kind: "int" (a scalar of any integer dtype), "float" (a float64 scalar), "words"
    (uint32 array) or "weights" (float64 array, finite). `shape` maps the network's
    parameter layout to the array's shape (None: a scalar, saved 0-d or as one element;
    a weight the cell does not have is neither read nor written). `check` returns a
    problem with a valid-dtype value (an int or float for scalars), or None. `since`:
    the format version that added it (older files lack it). Adding a member to the
    format is one entry here.
    """

    name: str
    kind: str
    shape: Callable[[ParamSpec], tuple[int, ...] | None] | None = None
    check: Callable[[Any], str | None] | None = None
    max_length: int = 0  # "series" (float64, 1-D, finite): at most this many values
    since: int = 1


def _weight(name: str) -> Callable[[ParamSpec], tuple[int, ...] | None]:
    return lambda spec: spec.shapes.get(name)


# In reading order: scalars first, so the weights' shapes are known before they are read.
MEMBERS = (
    Member("format_version", "int"),  # checked on its own, first: see _check_version
    Member("seed", "int"),  # seed, hidden, bits and alpha: config_problem
    Member("hidden", "int"),
    Member("bits", "int"),
    Member("iteration", "int", check=_iteration_problem),
    Member("rng_pos", "int", check=_rng_pos_problem),
    Member("rng_has_gauss", "int", check=_has_gauss_problem),
    Member("alpha", "float"),
    Member("rng_cached_gaussian", "float", check=_finite_problem),
    Member("cell", "int", check=_cell_problem, since=2),
    Member("init_low", "float", since=2),  # init_low, init_high: init_problem
    Member("init_high", "float", since=2),
    Member("rng_keys", "words", shape=lambda spec: (MT19937_KEYS,), check=_rng_keys_problem),
    Member("synapse_0", "weights", shape=_weight("synapse_0")),
    Member("synapse_1", "weights", shape=_weight("synapse_1")),
    Member("synapse_h", "weights", shape=_weight("synapse_h")),
    Member("bias", "weights", shape=_weight("bias"), since=2),
)


def _train_count_problem(value: int) -> str | None:
    return None if 1 <= value <= 100_000 else f"session_train_count {value} is not 1 to 100,000"


def _step_problem(value: int) -> str | None:
    return None if 0 <= value <= 2 * MAX_BITS + 1 else f"session_step {value} is out of range"


def _operand_problem(value: int) -> str | None:
    return None if 0 <= value < 2 ** (MAX_BITS - 1) else f"session operand {value}"


def _within(name: str, low: int, high: int) -> Callable[[int], str | None]:
    """A member's check: its value from `low` to `high`, both included (the bounds a file
    may hold at all; what fits the network is checked once the network is known)."""

    def problem(value: int) -> str | None:
        return None if low <= value <= high else f"{name} {value} is not {low} to {high}"

    return problem


# Members a checkpoint may hold or not: the run's error history (the app's curve) and, in
# the app's session file, N and the step within the iteration. Files without them load.
OPTIONAL_MEMBERS = (
    Member("error_start", "int", check=_iteration_problem),
    Member("error_blocks", "series", max_length=MAX_ERROR_BLOCKS),
    Member("error_recent", "series", max_length=RECENT),
    # the app's exact accuracy as measured along the run (the error panel's climb)
    Member("accuracy_iterations", "series", max_length=MAX_ACCURACY_POINTS),
    Member("accuracy_exact", "series", max_length=MAX_ACCURACY_POINTS),
    Member("session_train_count", "int", check=_train_count_problem),
    Member("session_step", "int", check=_step_problem),
    # the sum the example under way was typed as (o's iteration, stepped back into)
    Member("session_typed_a", "int", check=_operand_problem),
    Member("session_typed_b", "int", check=_operand_problem),
    # your own sum on show (e, a probe) and how many of its forward steps were taken
    Member("session_probe_a", "int", check=_operand_problem),
    Member("session_probe_b", "int", check=_operand_problem),
    Member("session_probe_steps", "int", check=_within("session_probe_steps", 0, MAX_BITS)),
    # the ablation on (a, h): a clamped unit (-1: none) of a carried state (CLAMPED_STATES'
    # index), synapse_h cut (0 or 1)
    Member("session_clamped_unit", "int", check=_within("session_clamped_unit", -1, 2**20)),
    Member(
        "session_clamped_state",
        "int",
        check=_within("session_clamped_state", 0, len(CLAMPED_STATES) - 1),
    ),
    Member("session_cut_recurrence", "int", check=_within("session_cut_recurrence", 0, 1)),
)
MEMBER = {member.name: member for member in (*MEMBERS, *OPTIONAL_MEMBERS)}
WEIGHT_NAMES = tuple(m.name for m in MEMBERS if m.kind == "weights")
INT_SCALARS = tuple(m.name for m in MEMBERS if m.kind == "int")
FLOAT_SCALARS = tuple(m.name for m in MEMBERS if m.kind == "float")

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a zip starts with a member or, if empty, its end


class CheckpointError(ValueError):
    """A checkpoint could not be saved or loaded; `str(err)` is a sentence for the user."""

    def __init__(self, message: str, path: str | os.PathLike[str] | None = None) -> None:
        super().__init__(message)
        self.path = None if path is None else os.fsdecode(path)


class _Invalid(Exception):
    """Internal: the file's content is wrong; carries only the problem, not the file name."""


def _one_line(err: BaseException) -> str:
    """An exception as a short single line (numpy's messages can span several lines)."""
    text = " ".join(str(err).split()) or type(err).__name__
    return text if len(text) <= 200 else text[:197] + "..."


# ----------------------------------------------------------------------------- saving


def _rng_arrays(state: tuple[Any, ...]) -> dict[str, np.ndarray]:
    """A legacy `RandomState.get_state()` tuple as plain numeric arrays."""
    if not isinstance(state, tuple) or len(state) != 5 or state[0] != "MT19937":
        raise _Invalid(
            "rng_state must be the tuple RandomState.get_state() returns "
            "('MT19937', keys, pos, has_gauss, cached_gaussian)"
        )
    _, keys, pos, has_gauss, cached = state
    try:
        return {
            "rng_keys": np.array(keys, dtype=np.uint32, copy=True),
            "rng_pos": np.array(int(pos), dtype=np.int64),
            "rng_has_gauss": np.array(int(has_gauss), dtype=np.int64),
            "rng_cached_gaussian": np.array(float(cached), dtype=np.float64),
        }
    except (TypeError, ValueError, OverflowError) as err:
        raise _Invalid(f"rng_state is malformed ({_one_line(err)})") from None


def _checkpoint_arrays(net: RNN, rng_state: tuple[Any, ...] | None) -> dict[str, np.ndarray]:
    # Checked before np.array(..., int64), which raises OverflowError beyond 2**63 - 1.
    problem = _iteration_problem(net.iteration)
    if problem:
        raise _Invalid(problem)
    arrays = {
        "format_version": np.array(FORMAT_VERSION, dtype=np.int64),
        **{name: np.array(view, dtype=np.float64) for name, view in net.weights.items()},
        "cell": np.array(CELLS.index(net.cell), dtype=np.int64),
        "init_low": np.array(net.config.init[0], dtype=np.float64),
        "init_high": np.array(net.config.init[1], dtype=np.float64),
        "seed": np.array(net.config.seed, dtype=np.int64),
        "hidden": np.array(net.hidden, dtype=np.int64),
        "alpha": np.array(net.alpha, dtype=np.float64),
        "bits": np.array(net.bits, dtype=np.int64),
        "iteration": np.array(net.iteration, dtype=np.int64),
    }
    # get_state() is typed dict | tuple; the legacy default is the tuple _rng_arrays checks
    state = cast(tuple[Any, ...], net.rng.get_state()) if rng_state is None else rng_state
    arrays.update(_rng_arrays(state))
    return arrays


@dataclass(frozen=True)
class Checkpoint:
    """What a checkpoint file holds: the run, and what the app keeps with it if present."""

    net: RNN
    errors: ErrorHistory | None = None  # the run's overallError history
    train_count: int | None = None  # the app's N (session file)
    step: int | None = None  # the step within the iteration (session file)
    typed: tuple[int, int] | None = None  # the example under way, a typed sum (session file)
    probe: Probe | None = None  # your own sum on show (session file)
    ablation: Ablation | None = None  # the ablation on (session file; None: none)
    # exact accuracy as measured along the run: (iteration, accuracy), oldest first
    accuracy: tuple[tuple[int, float], ...] = ()


@dataclass(frozen=True)
class Probe:
    """A sum typed with `e`, on show, and the forward steps taken through it."""

    a: int
    b: int
    steps: int


def _optional_arrays(
    errors: ErrorHistory | None,
    train_count: int | None,
    step: int | None,
    typed: tuple[int, int] | None = None,
    probe: Probe | None = None,
    ablation: Ablation | None = None,
    accuracy: Sequence[tuple[int, float]] = (),
    iteration: int = 0,
) -> dict[str, np.ndarray]:
    arrays: dict[str, np.ndarray] = {}
    if errors is not None:
        arrays.update(errors.to_arrays())
    # only points of the run up to its iteration: a save never fails for what it can leave out
    last = min(iteration, EXACT_ITERATIONS)
    kept = [(at, exact) for at, exact in accuracy if 0 <= at <= last and 0 <= exact <= 1]
    if kept:
        kept = kept[-MAX_ACCURACY_POINTS:]
        arrays["accuracy_iterations"] = np.array([at for at, _ in kept], dtype=np.float64)
        arrays["accuracy_exact"] = np.array([exact for _, exact in kept], dtype=np.float64)
    if train_count is not None:
        arrays["session_train_count"] = np.array(train_count, dtype=np.int64)
    if step is not None:
        arrays["session_step"] = np.array(step, dtype=np.int64)
    if typed is not None:
        arrays["session_typed_a"] = np.array(typed[0], dtype=np.int64)
        arrays["session_typed_b"] = np.array(typed[1], dtype=np.int64)
    if probe is not None:
        for name, value in (("a", probe.a), ("b", probe.b), ("steps", probe.steps)):
            arrays[f"session_probe_{name}"] = np.array(value, dtype=np.int64)
    if ablation is not None:
        unit = -1 if ablation.clamped_unit is None else ablation.clamped_unit
        arrays["session_clamped_unit"] = np.array(unit, dtype=np.int64)
        state = CLAMPED_STATES.index(ablation.clamped_state)
        arrays["session_clamped_state"] = np.array(state, dtype=np.int64)
        arrays["session_cut_recurrence"] = np.array(int(ablation.cut_recurrence), np.int64)
    return arrays


def save_checkpoint(
    path: str | os.PathLike[str],
    net: RNN,
    *,
    rng_state: tuple[Any, ...] | None = None,
    errors: ErrorHistory | None = None,
    train_count: int | None = None,
    step: int | None = None,
    typed: tuple[int, int] | None = None,
    probe: Probe | None = None,
    ablation: Ablation | None = None,
    accuracy: Sequence[tuple[int, float]] = (),
) -> None:
    """Write `net` to `path` (used verbatim) atomically; raise CheckpointError on failure.

    `errors`, `train_count`, `step`, `typed`, `probe`, `ablation` and `accuracy` are stored
    when given (the app's curve, N, position, typed example, own sum, ablation and accuracy
    points; see `Checkpoint`).

    `rng_state` (a `RandomState.get_state()` tuple) replaces the state of `net.rng`,
    for callers that stand in the middle of an iteration whose examples were already
    drawn: they save the weights from before the iteration with the stream from before
    its draw. The file is checked with the same rules `load_checkpoint` applies before
    anything touches the disk, so a saved checkpoint always loads: a run whose weights
    have become NaN or infinite is refused rather than saved.
    """
    name = os.fsdecode(path)
    try:
        arrays = _checkpoint_arrays(net, rng_state)
        arrays.update(
            _optional_arrays(
                errors, train_count, step, typed, probe, ablation, accuracy, net.iteration
            )
        )
        _validated(arrays)
        _validated_optional(arrays, net.iteration, net.bits)
        _accuracy_points(arrays, net.iteration)
        _typed_sum(arrays, net.config.operand_limit)
        _session_probe(arrays, net.config)
        _session_ablation(arrays, net.config)
    except _Invalid as err:
        raise CheckpointError(f"cannot save checkpoint {name!r}: {err}", path) from None
    target = save_target(name)

    # The temporary file lives beside the (link's) target so that os.replace is a rename
    # within one file system, which is atomic: readers see the old file or the new one,
    # never a half-written one, and a failure anywhere before it leaves the old file alone.
    directory = os.path.dirname(target)
    tmp_path: str | None = None
    try:
        fd, tmp_path = tempfile.mkstemp(
            prefix=f".{os.path.basename(target)}.", suffix=".tmp", dir=directory
        )
        with os.fdopen(fd, "wb") as handle:
            # Writing through a file object keeps np.savez from appending ".npz".
            # (numpy's stubs type **kwds as if one could be allow_pickle: none is)
            np.savez(handle, **arrays)  # type: ignore[arg-type]
            handle.flush()
            os.fsync(handle.fileno())
        _copy_mode(target, tmp_path)
        os.replace(tmp_path, target)
        tmp_path = None
    except OSError as err:
        reason = _save_failure(err, target, directory)
        raise CheckpointError(f"cannot save checkpoint {name!r}: {reason}", path) from None
    finally:
        if tmp_path is not None:
            with contextlib.suppress(OSError):
                os.remove(tmp_path)
    _sync_directory(directory)


_FILE_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
)


def file_kind(mode: int) -> str:
    """What a file that is not regular is, in words ("a character device", ...)."""
    for test, words in _FILE_KINDS:
        if test(mode):
            return words
    return "an unusual file"


def save_target(path: str | os.PathLike[str], *, probe: bool = False) -> str:
    """The file a save to `path` would replace: `path` with symbolic links resolved.

    Raises CheckpointError when it exists and is not a regular file (a save must never
    replace a device node, FIFO, socket or directory), when its folder is missing, and,
    with `probe`, when a file cannot be created in that folder (tried for real, since
    permission bits say nothing to root on a read-only file system). Checked again by
    every save, so the check cannot be skipped; between this check and the rename a
    concurrent process could still swap the file, which no portable call prevents.
    """
    name = os.fsdecode(path)
    if not name:
        raise CheckpointError("cannot save checkpoint: no file name given", path)
    try:
        target = os.path.realpath(name)  # follows a chain of links; the link stays
        info: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        info = None
    except (OSError, ValueError) as err:  # ELOOP, ENOTDIR, a NUL byte in the path, ...
        reason = getattr(err, "strerror", None) or _one_line(err)
        raise CheckpointError(f"cannot save checkpoint {name!r}: {reason}", path) from None
    if info is not None and not stat.S_ISREG(info.st_mode):
        raise CheckpointError(
            f"cannot save checkpoint {name!r}: it is {file_kind(info.st_mode)}, "
            "and a save only ever replaces a regular file",
            path,
        )
    directory = os.path.dirname(target)
    if not os.path.isdir(directory):
        problem = "is not a folder" if os.path.exists(directory) else "does not exist"
        raise CheckpointError(
            f"cannot save checkpoint {name!r}: folder {directory!r} {problem}", path
        )
    if probe:
        try:
            fd, probe_path = tempfile.mkstemp(prefix=".rnn-tui-probe.", dir=directory)
            os.close(fd)
            os.remove(probe_path)
        except OSError as err:
            reason = err.strerror or _one_line(err)
            raise CheckpointError(
                f"cannot save checkpoint {name!r}: folder {directory!r} is not writable ({reason})",
                path,
            ) from None
    return target


def _save_failure(err: OSError, name: str, directory: str) -> str:
    """Why a save failed, in the user's terms rather than the system call's."""
    if not os.path.isdir(directory):
        return f"folder {directory!r} does not exist"
    if os.path.isdir(name):
        return "it is a directory"
    return err.strerror or _one_line(err)


def _copy_mode(target: str, tmp_path: str) -> None:
    """Give the new file the old file's permissions, or ordinary ones (mkstemp uses 0600)."""
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        mode = 0o644
    # Best effort: some file systems (FAT, some network mounts) refuse chmod, and the
    # checkpoint is still perfectly good without it.
    with contextlib.suppress(OSError):
        os.chmod(tmp_path, mode)


def _sync_directory(directory: str) -> None:
    """Make the rename itself durable. Best effort: not every platform can fsync a directory."""
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(directory, getattr(os, "O_DIRECTORY", 0) | os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# ---------------------------------------------------------------------------- loading


def load_checkpoint(path: str | os.PathLike[str]) -> RNN:
    """Read a checkpoint written by `save_checkpoint` and rebuild its run.

    Raises CheckpointError, and no other exception, for a file that is missing,
    unreadable, damaged, not an rnn-tui checkpoint, or holds values that are out of range.
    """
    return read_checkpoint(path).net


def read_checkpoint(path: str | os.PathLike[str]) -> Checkpoint:
    """`load_checkpoint`, with the error history, N and step the file may also hold."""
    name = os.fsdecode(path)
    try:
        info = os.stat(name)
    except FileNotFoundError:
        raise CheckpointError(f"cannot load checkpoint {name!r}: no such file", path) from None
    except (OSError, ValueError) as err:  # ValueError: e.g. a NUL byte in the path
        reason = getattr(err, "strerror", None) or _one_line(err)
        raise CheckpointError(f"cannot load checkpoint {name!r}: {reason}", path) from None
    if stat.S_ISDIR(info.st_mode):
        raise CheckpointError(f"cannot load checkpoint {name!r}: it is a directory", path)
    if not stat.S_ISREG(info.st_mode):
        # Reading a FIFO or a device could block forever or never end.
        raise CheckpointError(f"cannot load checkpoint {name!r}: not a regular file", path)
    if info.st_size > MAX_FILE_BYTES:
        raise CheckpointError(
            f"checkpoint {name!r} is too large to be an rnn-tui checkpoint "
            f"({info.st_size} bytes, limit {MAX_FILE_BYTES})",
            path,
        )

    try:
        arrays = _read_members(name)
        config, params, rng_state, iteration, alpha = _validated(arrays)
        net = RNN(config)
        net.load_state(params, rng_state, iteration)
        net.alpha = alpha
        errors, train_count, step = _validated_optional(arrays, iteration, config.bits)
        if step is not None and step > 2 * config.bits + 1:
            raise _Invalid(f"session_step {step} is beyond a {config.bits}-bit iteration")
        typed = _typed_sum(arrays, config.operand_limit)
        probe = _session_probe(arrays, config)
        ablation = _session_ablation(arrays, config)
        accuracy = _accuracy_points(arrays, iteration)
    except _Invalid as err:
        raise CheckpointError(
            f"checkpoint {name!r} is not a valid rnn-tui checkpoint: {err}", path
        ) from None
    except OSError as err:
        reason = err.strerror or _one_line(err)
        raise CheckpointError(f"cannot load checkpoint {name!r}: {reason}", path) from None
    return Checkpoint(net, errors, train_count, step, typed, probe, ablation, accuracy)


def _accuracy_points(
    arrays: dict[str, np.ndarray], iteration: int
) -> tuple[tuple[int, float], ...]:
    """The accuracy points, both members or none (already checked: float64, 1-D, finite):
    as many iterations as values, whole, increasing, at most the run's; values 0 to 1."""
    present = [name in arrays for name in ACCURACY_MEMBERS]
    if not any(present):
        return ()
    if not all(present):
        raise _Invalid(f"accuracy points need both {' and '.join(ACCURACY_MEMBERS)}")
    at, exact = (arrays[name] for name in ACCURACY_MEMBERS)
    if at.shape != exact.shape:
        raise _Invalid("accuracy_iterations and accuracy_exact differ in length")
    last = min(iteration, EXACT_ITERATIONS)
    if at.size and not ((at == np.floor(at)).all() and at[0] >= 0 and at[-1] <= last):
        raise _Invalid(f"accuracy_iterations must be whole iterations from 0 to {last}")
    if (np.diff(at) <= 0).any():
        raise _Invalid("accuracy_iterations must increase")
    if ((exact < 0) | (exact > 1)).any():
        raise _Invalid("accuracy_exact must hold values from 0 to 1")
    # + 0.0: a -0.0 from a hand-made file would be shown as "-0.00%"
    return tuple(zip((int(v) for v in at), (float(v) + 0.0 for v in exact), strict=True))


def _member_group(
    arrays: dict[str, np.ndarray], what: str, names: tuple[str, ...]
) -> list[int] | None:
    """The int members that say one thing together: all of them, or None when none is
    there; _Invalid when only some are."""
    present = [name in arrays for name in names]
    if not any(present):
        return None
    if not all(present):
        raise _Invalid(f"{what} needs all of {', '.join(names)}")
    return [_as_int(name, arrays[name]) for name in names]


def _session_probe(arrays: dict[str, np.ndarray], config: RNNConfig) -> Probe | None:
    """The own sum on show (operands below the limit, steps within the width)."""
    names = ("session_probe_a", "session_probe_b", "session_probe_steps")
    group = _member_group(arrays, "the sum on show", names)
    if group is None:
        return None
    a, b, steps = group
    limit = config.operand_limit
    if not (0 <= a < limit and 0 <= b < limit):
        raise _Invalid(f"the sum on show {a} + {b} has an operand over {limit - 1}")
    if steps > config.bits:
        raise _Invalid(f"session_probe_steps {steps} is beyond a {config.bits}-bit sum")
    return Probe(a, b, steps)


def _session_ablation(arrays: dict[str, np.ndarray], config: RNNConfig) -> Ablation | None:
    """The ablation on (the unit below the hidden size, the state one the cell carries)."""
    names = ("session_clamped_unit", "session_clamped_state", "session_cut_recurrence")
    group = _member_group(arrays, "the ablation", names)
    if group is None:
        return None
    unit, state, cut = group
    if unit >= config.hidden:
        raise _Invalid(f"session_clamped_unit {unit} is not a unit of {config.hidden}")
    carried = cell_info(config.cell).carried
    if state >= len(carried):
        raise _Invalid(f"the {config.cell.upper()} has no state {CLAMPED_STATES[state]}")
    clamped = None if unit < 0 else unit
    return Ablation(
        clamped_unit=clamped, cut_recurrence=bool(cut), clamped_state=CLAMPED_STATES[state]
    )


def _typed_sum(arrays: dict[str, np.ndarray], limit: int) -> tuple[int, int] | None:
    """The session's typed example (each operand below `limit`)."""
    group = _member_group(arrays, "the typed sum", ("session_typed_a", "session_typed_b"))
    if group is None:
        return None
    pair = (group[0], group[1])
    if not all(0 <= value < limit for value in pair):
        raise _Invalid(f"the typed sum {pair[0]} + {pair[1]} has an operand over {limit - 1}")
    return pair


def _read_members(name: str) -> dict[str, np.ndarray]:
    """The checkpoint's arrays, each checked for size, dtype kind and shape before reading."""
    with open(name, "rb") as handle:
        # Only a zip goes to np.load: given anything else it would try the .npy or pickle
        # readers, and a bare .npy header could ask for an arbitrarily large allocation.
        if handle.read(4) not in _ZIP_MAGIC:
            raise _Invalid("it is not an .npz (zip) archive")
        _check_entry_count(handle)
        handle.seek(0)
        try:
            with np.load(handle, allow_pickle=False) as npz:
                if not isinstance(npz, np.lib.npyio.NpzFile):
                    raise _Invalid("it is not an .npz (zip) archive")
                return _read_npz(npz)
        except (_Invalid, OSError):
            raise
        except Exception as err:
            # zipfile raises a long tail of types on damaged input (BadZipFile,
            # EOFError, struct.error, zlib.error, NotImplementedError for an unknown
            # compression method, RuntimeError for an encrypted member, ValueError, ...).
            # Callers are promised one exception type. OSError is a real read failure.
            raise _Invalid(f"the archive is damaged ({_one_line(err)})") from None


MAX_ENTRIES = 64  # a checkpoint has at most 17 arrays; zipfile parses every entry first


def _check_entry_count(handle: Any) -> None:
    """Refuse an archive with a huge directory before zipfile builds an object per entry."""
    handle.seek(0, os.SEEK_END)
    size = handle.tell()
    tail_size = min(size, 22 + 65535)  # end-of-central-directory record + longest comment
    handle.seek(size - tail_size)
    tail = handle.read(tail_size)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + 22 > len(tail):
        return  # no readable directory: the zip reader will refuse it with its own words
    entries = int.from_bytes(tail[at + 10 : at + 12], "little")
    if entries == 0xFFFF:  # zip64: the real count is in the zip64 end record before it
        at64 = tail.rfind(b"PK\x06\x06", 0, at)
        if at64 >= 0 and at64 + 40 <= len(tail):
            entries = int.from_bytes(tail[at64 + 32 : at64 + 40], "little")
    if entries > MAX_ENTRIES:
        raise _Invalid(f"the archive has {entries} entries (a checkpoint has at most 17)")


def _read_npz(npz: Any) -> dict[str, np.ndarray]:
    _check_unique_names(npz.zip)
    arrays: dict[str, np.ndarray] = {}
    spec: ParamSpec | None = None
    version = FORMAT_VERSION
    for member in MEMBERS:
        if member.since > version:
            continue  # an older file: it has no such member
        expected_shapes: tuple[tuple[int, ...], ...]
        if member.shape is None:
            expected_shapes = ((), (1,))  # a scalar, saved 0-d or as a 1-element array
        else:
            if spec is None:
                spec = _spec_from(arrays)
            shape = member.shape(spec)
            if shape is None:
                continue  # a weight this cell does not have (the RNN's bias)
            expected_shapes = (shape,)
        arrays[member.name] = _read_member(npz.zip, member, expected_shapes)
        if member.name == "format_version":  # first: a newer layout deserves its own message
            version = _check_version(arrays[member.name])
    names = set(npz.zip.namelist())
    for member in OPTIONAL_MEMBERS:
        if f"{member.name}.npy" in names:
            shapes = ((), (1,)) if member.kind == "int" else ()
            arrays[member.name] = _read_member(npz.zip, member, shapes)
    return arrays


def _check_unique_names(archive: zipfile.ZipFile) -> None:
    """A zip may hold two members of one name; zipfile would silently read the last."""
    seen: set[str] = set()
    for info in archive.infolist():
        if info.filename in seen:
            raise _Invalid(f"the archive holds two members named {info.filename!r}")
        seen.add(info.filename)


def _hidden_from(arrays: dict[str, np.ndarray]) -> int:
    """`hidden`, range-checked, so that a weight's expected size is bounded before reading."""
    hidden = _as_int("hidden", arrays["hidden"])
    problem = config_problem(0, hidden, 1.0, 8)
    if problem:
        raise _Invalid(problem)
    return hidden


def _cell_from(arrays: dict[str, np.ndarray]) -> str:
    """The cell's name; a format-1 file (no cell member) is the tutorial's RNN."""
    if "cell" not in arrays:
        return "rnn"
    code = _as_int("cell", arrays["cell"])
    problem = _cell_problem(code)
    if problem:
        raise _Invalid(problem)
    return CELLS[code]


def _spec_from(arrays: dict[str, np.ndarray]) -> ParamSpec:
    """The parameter layout the file's weights must have, from its hidden size and cell."""
    return cell_info(_cell_from(arrays)).spec(_hidden_from(arrays))


def _check_version(value: np.ndarray) -> int:
    version = _as_int("format_version", value)
    if version > FORMAT_VERSION:
        raise _Invalid(
            f"it was written by a newer rnn-tui (format {version}; this version reads "
            f"format {FORMAT_VERSION})"
        )
    if version < 1:
        raise _Invalid(f"format_version is {version}, expected 1 to {FORMAT_VERSION}")
    return version


def _read_member(
    archive: zipfile.ZipFile, member: Member, expected_shapes: tuple[tuple[int, ...], ...]
) -> np.ndarray:
    key = member.name
    try:
        info = archive.getinfo(f"{key}.npy")
    except KeyError:
        raise _Invalid(f"the array {key!r} is missing") from None
    # The declared size bounds what zipfile will decompress, so checking it first stops
    # a tiny, highly compressed member from expanding into gigabytes.
    limit = (
        MAX_WEIGHT_MEMBER_BYTES
        if member.kind in ("weights", "series")
        else (MAX_SMALL_MEMBER_BYTES)
    )
    if info.file_size > limit:
        raise _Invalid(
            f"the array {key!r} declares {info.file_size} bytes, more than the {limit} "
            "an rnn-tui checkpoint can need"
        )

    try:
        return _read_npy(archive, info, member, expected_shapes)
    except (_Invalid, OSError):
        raise
    except Exception as err:
        # Same long tail as in _read_members, plus the .npy header parser's
        # (SyntaxError, tokenize.TokenError, ...); here the member can be named.
        raise _Invalid(f"the array {key!r} is damaged ({_one_line(err)})") from None


def _read_npy(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    member: Member,
    expected_shapes: tuple[tuple[int, ...], ...],
) -> np.ndarray:
    key = member.name
    # numpy's reader allocates whatever shape the header claims before reading the
    # data, so the header is read and checked on its own first.
    with archive.open(info) as fp:
        version = npy_format.read_magic(fp)
        if version == (1, 0):
            shape, _fortran, dtype = npy_format.read_array_header_1_0(fp, MAX_NPY_HEADER)
        elif version == (2, 0):
            shape, _fortran, dtype = npy_format.read_array_header_2_0(fp, MAX_NPY_HEADER)
        else:
            raise _Invalid(f"the array {key!r} uses an unsupported .npy version {version}")
    _check_dtype(member, dtype)
    if member.kind == "series":
        if len(shape) != 1 or shape[0] > member.max_length:
            raise _Invalid(f"{key} has shape {shape}, expected at most {member.max_length} values")
    elif shape not in expected_shapes:
        wanted = " or ".join(str(s) for s in expected_shapes)
        raise _Invalid(f"{key} has shape {shape}, expected {wanted}")

    with archive.open(info) as fp:
        array = npy_format.read_array(fp, allow_pickle=False, max_header_size=MAX_NPY_HEADER)
        # Reading to the end makes zipfile verify the member's CRC, and anything after
        # the array data means the member is not what it claims to be.
        if fp.read(1):
            raise _Invalid(f"the array {key!r} has unexpected bytes after its data")
    # A native-endian, C-ordered copy, whatever byte order or layout the file used.
    return array.astype(array.dtype.newbyteorder("="), order="C", copy=False)


def _check_dtype(member: Member, dtype: np.dtype[Any]) -> None:
    if member.kind == "int":
        # Integers of any width are exact; bool is deliberately not an integer here.
        ok = dtype.kind in "iu"
        wanted = "an integer"
    elif member.kind == "words":
        ok = dtype.kind == "u" and dtype.itemsize == 4
        wanted = "uint32"
    else:
        # Weights, alpha and the cached gaussian must be float64 exactly: anything
        # narrower would already have lost the bits a faithful resume needs.
        ok = dtype.kind == "f" and dtype.itemsize == 8
        wanted = "float64"
    if not ok:
        raise _Invalid(f"{member.name} has dtype {_dtype_name(dtype)}, expected {wanted}")


def _dtype_name(dtype: np.dtype[Any]) -> str:
    return "object" if dtype.hasobject else str(dtype)


def _as_int(key: str, value: np.ndarray) -> int:
    if value.dtype.kind not in "iu" or value.size != 1:
        raise _Invalid(f"{key} must be a single integer")
    return int(value.reshape(()).item())


def _as_float(key: str, value: np.ndarray) -> float:
    if value.dtype.kind != "f" or value.size != 1:
        raise _Invalid(f"{key} must be a single float64 number")
    return float(value.reshape(()).item())


# ------------------------------------------------------------------------- validation


def _validated(
    arrays: dict[str, np.ndarray],
) -> tuple[RNNConfig, np.ndarray, tuple[Any, ...], int, float]:
    """Check a checkpoint's arrays; return (config, flat params, rng state, iteration, alpha).

    Used on both sides: on load for untrusted files, and on save so that nothing is
    written that would be refused on load. Raises _Invalid with the first problem found.
    """
    seed = _as_int("seed", arrays["seed"])
    hidden = _as_int("hidden", arrays["hidden"])
    bits = _as_int("bits", arrays["bits"])
    alpha = _as_float("alpha", arrays["alpha"])
    problem = config_problem(seed, hidden, alpha, bits)
    if problem:
        raise _Invalid(problem)
    cell = _cell_from(arrays)
    init = (-1.0, 1.0)  # format 1: the tutorial's range
    if "init_low" in arrays:
        init = (
            _as_float("init_low", arrays["init_low"]),
            _as_float("init_high", arrays["init_high"]),
        )
    problem = init_problem(init)
    if problem:
        raise _Invalid(problem)
    config = RNNConfig(seed=seed, hidden=hidden, alpha=alpha, bits=bits, cell=cell, init=init)
    spec = cell_info(cell).spec(hidden)

    for member in MEMBERS:
        shape = None if member.shape is None else member.shape(spec)
        if member.name not in arrays and (member.since > 1 or shape is None):
            continue  # a format-1 file, or a weight this cell does not have
        value = arrays[member.name]
        if shape is not None:
            _check_array(member, value, shape)
        if member.check is not None:
            if member.kind == "int":
                scalar: Any = _as_int(member.name, value)
            elif member.kind == "float":
                scalar = _as_float(member.name, value)
            else:
                scalar = value
            problem = member.check(scalar)
            if problem:
                raise _Invalid(problem)
    # The flat layout the network keeps its weights in (model/params.py).
    params = np.concatenate([arrays[key].ravel() for key in spec.names])
    params = params.astype(np.float64, copy=False)

    iteration = _as_int("iteration", arrays["iteration"])
    rng_state = (
        "MT19937",
        arrays["rng_keys"].astype(np.uint32),
        _as_int("rng_pos", arrays["rng_pos"]),
        _as_int("rng_has_gauss", arrays["rng_has_gauss"]),
        _as_float("rng_cached_gaussian", arrays["rng_cached_gaussian"]),
    )
    return config, params, rng_state, iteration, alpha


def _validated_optional(
    arrays: dict[str, np.ndarray], iteration: int, bits: int
) -> tuple[ErrorHistory | None, int | None, int | None]:
    """The optional members present: (error history, N, step); _Invalid for a bad one."""
    for member in OPTIONAL_MEMBERS:
        if member.name not in arrays:
            continue
        value = arrays[member.name]
        if member.kind == "series":
            if value.ndim != 1 or value.shape[0] > member.max_length:
                raise _Invalid(f"{member.name} must hold at most {member.max_length} values")
            _check_array(member, value, value.shape)
        elif member.check is not None:
            problem = member.check(_as_int(member.name, value))
            if problem:
                raise _Invalid(problem)
    parts = ("error_start", "error_blocks", "error_recent")
    present = [part in arrays for part in parts]
    errors = None
    if any(present):
        if not all(present):
            raise _Invalid("the error history is incomplete (error_start, _blocks, _recent)")
        try:
            errors = ErrorHistory.from_arrays(
                _as_int("error_start", arrays["error_start"]),
                iteration,
                arrays["error_blocks"],
                arrays["error_recent"],
                bits,
            )
        except BlockMissing:
            errors = None  # the curve restarts here; the weights and the rest load
        except ValueError as err:
            raise _Invalid(str(err)) from None
    count = arrays.get("session_train_count")
    step = arrays.get("session_step")
    return (
        errors,
        None if count is None else _as_int("session_train_count", count),
        None if step is None else _as_int("session_step", step),
    )


def _check_array(member: Member, value: np.ndarray, shape: tuple[int, ...]) -> None:
    """Shape, dtype and (for weights) finiteness of an array member."""
    if value.shape != shape:
        raise _Invalid(f"{member.name} has shape {value.shape}, expected {shape}")
    if member.kind == "words":
        if value.dtype.kind != "u" or value.dtype.itemsize != 4:
            raise _Invalid(f"{member.name} must be {shape[0]} uint32 words")
        return
    if value.dtype.kind != "f" or value.dtype.itemsize != 8:
        raise _Invalid(f"{member.name} has dtype {_dtype_name(value.dtype)}, expected float64")
    if not np.isfinite(value).all():
        raise _Invalid(f"{member.name} contains NaN or infinite values")
