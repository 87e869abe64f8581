"""Save and load a run as an `.npz` checkpoint, safely and bit for bit.

A checkpoint holds everything that decides what the next training iteration does:

* the weights, under the tutorial's names and shapes, as float64:
  `synapse_0` (2, H), `synapse_1` (H, 1), `synapse_h` (H, H);
* the hyperparameters `seed`, `hidden`, `alpha` (the live learning rate) and `bits`;
* the `iteration` count;
* the MT19937 state of the run's private random stream, as plain numbers:
  `rng_keys` (uint32, (624,)), `rng_pos`, `rng_has_gauss`, `rng_cached_gaussian`;
* `format_version`, so that a later layout can be told apart.

Every member is a plain numeric array: nothing is pickled, and loading uses
`allow_pickle=False`, so opening a hostile file can never run code. A file is treated
as untrusted input: before any array is read, its declared size, dtype and shape are
checked, so a small file cannot make us allocate gigabytes (a "zip bomb", or an `.npy`
header claiming a huge shape), and every way a file can be wrong is reported as a
`CheckpointError` whose message is one sentence naming the file and the problem.

Saving is atomic: the archive is written to a temporary file beside the target, flushed
to disk, then renamed over the target, so a failed save never damages the previous
checkpoint. The path is used verbatim (no `.npz` is appended).
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
import zipfile
from typing import Any

import numpy as np
from numpy.lib import format as npy_format

from model.config import RNNConfig, config_problem
from model.network import RNN, weight_views

FORMAT_VERSION = 1

MT19937_KEYS = 624  # words of MT19937 state; `pos` runs from 0 to this value inclusive

# Size limits for untrusted files. The largest legitimate member is synapse_h at the
# largest allowed hidden size (1024 * 1024 float64 = 8 MiB), so 16 MiB per weight member
# leaves room for the .npy header; every other member is a scalar or the 624 rng words.
# Only the thirteen members named below are ever read, so these caps also bound the total
# read (3 * 16 MiB + 10 * 64 KiB); any other member is ignored unread. The file itself
# is capped so that a huge file is refused by its size alone, before the zip directory
# is parsed.
MAX_FILE_BYTES = 64 * 2**20
MAX_WEIGHT_MEMBER_BYTES = 16 * 2**20
MAX_SMALL_MEMBER_BYTES = 64 * 2**10
MAX_NPY_HEADER = 10_000  # numpy's own default limit for a trusted-looking header

WEIGHT_NAMES = ("synapse_0", "synapse_1", "synapse_h")
INT_SCALARS = ("format_version", "seed", "hidden", "bits", "iteration", "rng_pos", "rng_has_gauss")
FLOAT_SCALARS = ("alpha", "rng_cached_gaussian")

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
    synapse_0, synapse_1, synapse_h = weight_views(net.params, net.hidden)
    arrays = {
        "format_version": np.array(FORMAT_VERSION, dtype=np.int64),
        "synapse_0": np.array(synapse_0, dtype=np.float64),
        "synapse_1": np.array(synapse_1, dtype=np.float64),
        "synapse_h": np.array(synapse_h, dtype=np.float64),
        "seed": np.array(net.config.seed, dtype=np.int64),
        "hidden": np.array(net.hidden, dtype=np.int64),
        "alpha": np.array(net.alpha, dtype=np.float64),
        "bits": np.array(net.bits, dtype=np.int64),
        "iteration": np.array(net.iteration, dtype=np.int64),
    }
    arrays.update(_rng_arrays(net.rng.get_state() if rng_state is None else rng_state))
    return arrays


def save_checkpoint(
    path: str | os.PathLike[str], net: RNN, *, rng_state: tuple[Any, ...] | None = None
) -> None:
    """Write `net` to `path` (used verbatim) atomically; raise CheckpointError on failure.

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
        _validated(arrays)
    except _Invalid as err:
        raise CheckpointError(f"cannot save checkpoint {name!r}: {err}", path) from None

    # The temporary file lives beside the target so that os.replace is a rename within
    # one file system, which is atomic: readers see the old file or the new one, never
    # a half-written one, and a failure anywhere before it leaves the old file alone.
    directory = os.path.dirname(os.path.abspath(name))
    tmp_path: str | None = None
    try:
        fd, tmp_path = tempfile.mkstemp(
            prefix=f".{os.path.basename(name)}.", suffix=".tmp", dir=directory
        )
        with os.fdopen(fd, "wb") as handle:
            # Writing through a file object keeps np.savez from appending ".npz".
            np.savez(handle, **arrays)
            handle.flush()
            os.fsync(handle.fileno())
        _copy_mode(name, tmp_path)
        os.replace(tmp_path, name)
        tmp_path = None
    except OSError as err:
        reason = _save_failure(err, name, directory)
        raise CheckpointError(f"cannot save checkpoint {name!r}: {reason}", path) from None
    finally:
        if tmp_path is not None:
            with contextlib.suppress(OSError):
                os.remove(tmp_path)
    _sync_directory(directory)


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
    except _Invalid as err:
        raise CheckpointError(
            f"checkpoint {name!r} is not a valid rnn-tui checkpoint: {err}", path
        ) from None
    except OSError as err:
        reason = err.strerror or _one_line(err)
        raise CheckpointError(f"cannot load checkpoint {name!r}: {reason}", path) from None
    return net


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


MAX_ENTRIES = 64  # a checkpoint has 13 arrays; zipfile parses every entry before we can look


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
        raise _Invalid(f"the archive has {entries} entries (a checkpoint has 13)")


def _read_npz(npz: Any) -> dict[str, np.ndarray]:
    arrays: dict[str, np.ndarray] = {}
    hidden: int | None = None
    # Scalars first, so that the weights' expected shapes are known before they are read.
    for key in (*INT_SCALARS, *FLOAT_SCALARS, "rng_keys", *WEIGHT_NAMES):
        expected_shapes: tuple[tuple[int, ...], ...]
        if key == "rng_keys":
            expected_shapes = ((MT19937_KEYS,),)
        elif key in WEIGHT_NAMES:
            if hidden is None:
                hidden = _hidden_from(arrays)
            expected_shapes = (_weight_shape(key, hidden),)
        else:
            expected_shapes = ((), (1,))  # a scalar, saved 0-d or as a 1-element array
        arrays[key] = _read_member(npz.zip, key, expected_shapes)
        if key == "format_version":  # first: a newer layout deserves its own message
            _check_version(arrays[key])
    return arrays


def _hidden_from(arrays: dict[str, np.ndarray]) -> int:
    """`hidden`, range-checked, so that a weight's expected size is bounded before reading."""
    hidden = _as_int("hidden", arrays["hidden"])
    problem = config_problem(0, hidden, 1.0, 8)
    if problem:
        raise _Invalid(problem)
    return hidden


def _weight_shape(key: str, hidden: int) -> tuple[int, int]:
    return {"synapse_0": (2, hidden), "synapse_1": (hidden, 1), "synapse_h": (hidden, hidden)}[key]


def _check_version(value: np.ndarray) -> None:
    version = _as_int("format_version", value)
    if version > FORMAT_VERSION:
        raise _Invalid(
            f"it was written by a newer rnn-tui (format {version}; this version reads "
            f"format {FORMAT_VERSION})"
        )
    if version != FORMAT_VERSION:
        raise _Invalid(f"format_version is {version}, expected {FORMAT_VERSION}")


def _read_member(
    archive: zipfile.ZipFile, key: str, expected_shapes: tuple[tuple[int, ...], ...]
) -> np.ndarray:
    member = f"{key}.npy"
    try:
        info = archive.getinfo(member)
    except KeyError:
        raise _Invalid(f"the array {key!r} is missing") from None
    # The declared size bounds what zipfile will decompress, so checking it first stops
    # a tiny, highly compressed member from expanding into gigabytes.
    limit = MAX_WEIGHT_MEMBER_BYTES if key in WEIGHT_NAMES else MAX_SMALL_MEMBER_BYTES
    if info.file_size > limit:
        raise _Invalid(
            f"the array {key!r} declares {info.file_size} bytes, more than the {limit} "
            "an rnn-tui checkpoint can need"
        )

    try:
        return _read_npy(archive, info, key, expected_shapes)
    except (_Invalid, OSError):
        raise
    except Exception as err:
        # Same long tail as in _read_members, plus the .npy header parser's
        # (SyntaxError, tokenize.TokenError, ...); here the member can be named.
        raise _Invalid(f"the array {key!r} is damaged ({_one_line(err)})") from None


def _read_npy(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    key: str,
    expected_shapes: tuple[tuple[int, ...], ...],
) -> np.ndarray:
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
    _check_dtype(key, dtype)
    if shape not in expected_shapes:
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


def _check_dtype(key: str, dtype: np.dtype[Any]) -> None:
    if key in INT_SCALARS:
        # Integers of any width are exact; bool is deliberately not an integer here.
        ok = dtype.kind in "iu"
        wanted = "an integer"
    elif key == "rng_keys":
        ok = dtype.kind == "u" and dtype.itemsize == 4
        wanted = "uint32"
    else:
        # Weights, alpha and the cached gaussian must be float64 exactly: anything
        # narrower would already have lost the bits a faithful resume needs.
        ok = dtype.kind == "f" and dtype.itemsize == 8
        wanted = "float64"
    if not ok:
        raise _Invalid(f"{key} has dtype {_dtype_name(dtype)}, expected {wanted}")


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
    config = RNNConfig(seed=seed, hidden=hidden, alpha=alpha, bits=bits)

    parts = []
    for key in WEIGHT_NAMES:
        weights = arrays[key]
        shape = _weight_shape(key, hidden)
        if weights.shape != shape:
            raise _Invalid(f"{key} has shape {weights.shape}, expected {shape}")
        if weights.dtype.kind != "f" or weights.dtype.itemsize != 8:
            raise _Invalid(f"{key} has dtype {_dtype_name(weights.dtype)}, expected float64")
        if not np.isfinite(weights).all():
            raise _Invalid(f"{key} contains NaN or infinite values")
        parts.append(weights.ravel())
    # The flat layout RNN keeps its weights in (see network.weight_views).
    params = np.concatenate(parts).astype(np.float64, copy=False)

    iteration = _as_int("iteration", arrays["iteration"])
    if iteration < 0:
        raise _Invalid(f"iteration must not be negative, got {iteration}")

    keys = arrays["rng_keys"]
    if keys.shape != (MT19937_KEYS,) or keys.dtype.kind != "u" or keys.dtype.itemsize != 4:
        raise _Invalid(f"rng_keys must be {MT19937_KEYS} uint32 words")
    pos = _as_int("rng_pos", arrays["rng_pos"])
    # The generator indexes its key array with pos; outside 0..624 it would read past it.
    if not 0 <= pos <= MT19937_KEYS:
        raise _Invalid(f"rng_pos must be between 0 and {MT19937_KEYS}, got {pos}")
    has_gauss = _as_int("rng_has_gauss", arrays["rng_has_gauss"])
    if has_gauss not in (0, 1):
        raise _Invalid(f"rng_has_gauss must be 0 or 1, got {has_gauss}")
    cached = _as_float("rng_cached_gaussian", arrays["rng_cached_gaussian"])
    if not np.isfinite(cached):
        raise _Invalid("rng_cached_gaussian must be a finite number")
    rng_state = ("MT19937", keys.astype(np.uint32), pos, has_gauss, cached)
    return config, params, rng_state, iteration, alpha
