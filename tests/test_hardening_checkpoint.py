"""Hardening (issue 5, item 2): thousands of mutated checkpoints, each loaded or refused.

tests/test_checkpoint.py already checks one refusal per kind of damage and fuzzes raw
byte flips and truncations. This file composes *structured* mutations of a valid
checkpoint, several per file, each with a known verdict:

    SAME    a harmless change (byte order, memory order, scalar shape, integer width,
            compression, extra members, a zip comment): must load, bit-identical state
    VALID   a legitimate different value (seed, bits, iteration, weights, rng state,
            alpha in range): must load a valid, usable model
    BAD     must be refused with a CheckpointError (missing or renamed arrays, wrong
            dtypes and shapes, NaN/inf, object arrays, pickle payloads, out-of-range
            values (an iteration beyond 2**62, a degenerate random state among them),
            two members of one name, truncated or extended array data, a foreign prefix)
    EITHER  anything else (lying zip directories, random bytes)

and checks every load against the strongest verdict among its mutations. Whatever
happens, `load_checkpoint` either returns a valid, finite, usable model or raises
CheckpointError with a one-line message naming the file; no other exception, no warning,
and the pickle payloads planted in many of the files never run (their marker file never
appears). A model that loads must also save and load again to the same state.

Scale: HARDENING_CHECKPOINT_EXAMPLES (default 200) and HARDENING_CHECKPOINT_SLOW_EXAMPLES
(default 5000, `slow`), both multiplied by HARDENING_SCALE.
"""

from __future__ import annotations

import builtins
import io
import os
import pickle
import struct
import time
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from hardening import Figures, figures_fixture, scaled
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from load_meter import Cost, measured
from numpy.lib import format as npy_format

from model.checkpoint import (
    MAX_ITERATION,
    MAX_SMALL_MEMBER_BYTES,
    MAX_WEIGHT_MEMBER_BYTES,
    CheckpointError,
    load_checkpoint,
    save_checkpoint,
)
from model.config import RNNConfig, config_problem
from model.network import RNN, parameter_count
from model.trainer import train

figures = figures_fixture("checkpoint")

FAST_EXAMPLES = scaled("HARDENING_CHECKPOINT_EXAMPLES", 200)
SLOW_EXAMPLES = scaled("HARDENING_CHECKPOINT_SLOW_EXAMPLES", 5000)

WEIGHTS = ("synapse_0", "synapse_1", "synapse_h")
INTS = ("format_version", "seed", "hidden", "bits", "iteration", "rng_pos", "rng_has_gauss", "cell")
FLOATS = ("alpha", "rng_cached_gaussian", "init_low", "init_high")
KEYS = (*WEIGHTS, *INTS, *FLOATS, "rng_keys")

SAME, VALID, EITHER, BAD = "same", "valid", "either", "bad"
STRENGTH = {SAME: 0, VALID: 1, EITHER: 2, BAD: 3}

# The marker every planted pickle payload would create if it were ever unpickled.
MARKER_DIR = Path(os.environ.get("TMPDIR", "/tmp"))


class CreatesFile:
    """Unpickling this creates `path` (a stand-in for any code an attacker would run)."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (builtins.open, (self.path, "w"))


# ------------------------------------------------------------------------ building


@dataclass
class Archive:
    """A checkpoint as zip members, plus archive-level changes, before it is written."""

    members: dict[str, bytes]
    compress: dict[str, int] = field(default_factory=dict)
    extras: list[tuple[str, bytes]] = field(default_factory=list)
    duplicates: list[tuple[str, bytes]] = field(default_factory=list)
    lies: list[tuple[str, str, int]] = field(default_factory=list)  # (member, attribute, value)
    comment: bytes = b""
    prefix: bytes = b""
    suffix: bytes = b""

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # zipfile warns about duplicate names
            with zipfile.ZipFile(buffer, "w") as archive:
                for name, data in [*self.members.items(), *self.extras, *self.duplicates]:
                    method = self.compress.get(name, zipfile.ZIP_STORED)
                    archive.writestr(zipfile.ZipInfo(name), data, compress_type=method)
                for name, attribute, value in self.lies:
                    # Edits the central directory only: the local header keeps the truth.
                    infos = [i for i in archive.infolist() if i.filename == name]
                    if infos:
                        setattr(infos[-1], attribute, value)
                archive.comment = self.comment
        return self.prefix + buffer.getvalue() + self.suffix


def npy(array: np.ndarray, allow_pickle: bool = False) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def npy_with_header(header: dict, data: bytes, version: tuple[int, int] = (1, 0)) -> bytes:
    buffer = io.BytesIO()
    if version == (1, 0):
        npy_format.write_array_header_1_0(buffer, header)
    else:
        npy_format.write_array_header_2_0(buffer, header)
    return buffer.getvalue() + data


def array_data(array: np.ndarray) -> bytes:
    return np.ascontiguousarray(array).tobytes()


class Base:
    """A valid checkpoint: its file, its model and its arrays (not a dataclass, so that
    hypothesis reports it by this short repr)."""

    def __init__(self, path: Path, net: RNN, arrays: dict[str, np.ndarray]) -> None:
        self.path, self.net, self.arrays = path, net, arrays

    def __repr__(self) -> str:
        return f"Base({self.path.name})"


def make_base(folder: Path, name: str, iterations: int, **config: object) -> Base:
    net = RNN(RNNConfig(**config))  # type: ignore[arg-type]
    train(net, iterations)
    path = folder / name
    save_checkpoint(path, net)
    with np.load(path, allow_pickle=False) as npz:
        arrays = {key: npz[key] for key in npz.files}
    assert set(arrays) == set(KEYS)
    return Base(path, load_checkpoint(path), arrays)


@pytest.fixture(scope="module")
def bases(tmp_path_factory: pytest.TempPathFactory) -> list[Base]:
    folder = tmp_path_factory.mktemp("bases")
    small = make_base(folder, "small.npz", 40, seed=3, hidden=3, bits=4)
    default = make_base(folder, "default.npz", 300)
    return [small, small, small, default]  # mostly small: quicker to write and read


@pytest.fixture(scope="module")
def marker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("marker") / "payload-ran"
    yield path
    assert not path.exists(), "a pickle payload was executed while loading a checkpoint"


# ------------------------------------------------------------------------ mutations


def expected_shape(key: str, hidden: int) -> tuple[int, ...]:
    if key == "synapse_0":
        return (2, hidden)
    if key == "synapse_1":
        return (hidden, 1)
    if key == "synapse_h":
        return (hidden, hidden)
    if key == "rng_keys":
        return (624,)
    return ()


WRONG_DTYPES = {
    "weights": ["<f4", "<f2", "<i8", "<c16", "|b1", "<u4", "<M8[s]", "<m8[s]", "|S8"],
    "ints": ["<f8", "<f4", "|b1", "<c16", "<U2", "|S3", "<M8[D]", "<m8[D]"],
    "keys": ["<u8", "<i4", "<i8", "<f8", "|u1", "<u2", "|b1"],
}


def family(key: str) -> str:
    if key in INTS:
        return "ints"
    if key == "rng_keys":
        return "keys"
    return "weights"  # weights, alpha and the cached gaussian are float64 exactly


def out_of_range(key: str) -> list[np.ndarray]:
    f8, i8 = np.float64, np.int64
    table = {
        "format_version": [np.array(0, i8), np.array(3, i8), np.array(-1, i8), np.array(99, i8)],
        # an RNN file: another cell's weights have other shapes
        "cell": [np.array(v, i8) for v in (1, 2, 3, -1, 2**40)],
        "init_low": [np.array(v, f8) for v in (1.0, 2.0, np.nan, np.inf, -np.inf)],  # HI is 1
        "init_high": [np.array(v, f8) for v in (-1.0, -2.0, np.nan, np.inf, -np.inf)],  # LO -1
        "seed": [np.array(-1, i8), np.array(2**32, i8), np.array(2**64 - 1, np.uint64)],
        "hidden": [np.array(0, i8), np.array(-3, i8), np.array(1025, i8), np.array(2**40, i8)],
        "bits": [np.array(0, i8), np.array(1, i8), np.array(33, i8), np.array(-8, i8)],
        "iteration": [
            np.array(-1, i8),
            np.array(np.iinfo(i8).min, i8),
            np.array(MAX_ITERATION + 1, i8),
            np.array(2**63 - 1, i8),
            np.array(2**63, np.uint64),
            np.array(2**64 - 1, np.uint64),
        ],
        # MT19937 uses the top bit of word 0 and all of words 1..623: all zero is a
        # generator that yields only zeros, whatever the low bits of word 0 say
        "rng_keys": [
            np.zeros(624, np.uint32),
            np.array([0x7FFFFFFF] + [0] * 623, np.uint32),
            np.array([1] + [0] * 623, np.uint32),
        ],
        "rng_pos": [np.array(-1, i8), np.array(625, i8), np.array(2**40, i8)],
        "rng_has_gauss": [np.array(2, i8), np.array(-1, i8)],
        "alpha": [np.array(v, f8) for v in (0.0, -0.0, -1.0, np.nan, np.inf, -np.inf)],
        "rng_cached_gaussian": [np.array(v, f8) for v in (np.nan, np.inf, -np.inf)],
    }
    return table.get(key, [])


@st.composite
def in_range_value(draw, key: str, base: Base) -> np.ndarray:
    """A different but legitimate value for `key` (the checkpoint must load)."""
    hidden = int(base.arrays["hidden"])
    finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
    if key in WEIGHTS:
        values = draw(st.lists(finite, min_size=1, max_size=4))
        array = base.arrays[key].copy()
        for i, v in enumerate(values):
            array.flat[(i * 7) % array.size] = v
        return array
    if key == "seed":
        return np.array(draw(st.integers(0, 2**32 - 1)), np.int64)
    if key == "bits":
        return np.array(draw(st.integers(2, 32)), np.int64)
    if key == "iteration":
        value = draw(st.one_of(st.integers(0, MAX_ITERATION), st.sampled_from([0, MAX_ITERATION])))
        return np.array(value, draw(st.sampled_from([np.int64, np.uint64])))
    if key == "rng_pos":
        return np.array(draw(st.integers(0, 624)), np.int64)
    if key == "rng_has_gauss":
        return np.array(draw(st.integers(0, 1)), np.int64)
    if key == "rng_cached_gaussian":
        return np.array(draw(finite), np.float64)
    if key == "alpha":
        return np.array(draw(st.floats(min_value=5e-324, max_value=1.7e308)), np.float64)
    if key == "init_low":  # at most -1: below the file's HI of 1 and below any HI drawn
        # below (so both drawn together stay LO < HI), and HI - LO finite
        return np.array(draw(st.floats(min_value=-1e300, max_value=-1.0)), np.float64)
    if key == "init_high":  # above the file's LO of -1
        return np.array(draw(st.floats(min_value=-0.999, max_value=1e300)), np.float64)
    if key == "rng_keys":
        words = draw(st.lists(st.integers(0, 2**32 - 1), min_size=1, max_size=5))
        keys = base.arrays["rng_keys"].copy()
        keys[: len(words)] = words
        return keys
    assert key in ("format_version", "hidden", "cell")
    return (
        np.array(int(base.arrays[key]), np.int64)
        if key in ("format_version", "cell")
        else np.array(hidden, np.int64)
    )


@st.composite
def benign(draw, key: str, base: Base) -> bytes:
    """The same value written differently."""
    array = base.arrays[key]
    choices = ["big-endian"]
    if array.ndim == 2:
        choices.append("fortran")
    if array.ndim == 0:
        choices.append("one-element")
    if key in INTS:
        choices.append("narrow-int")
    how = draw(st.sampled_from(choices))
    if how == "big-endian":
        return npy(array.astype(array.dtype.newbyteorder(">")))
    if how == "fortran":
        return npy(np.asfortranarray(array))
    if how == "one-element":
        return npy(array.reshape(1))
    value = int(array)
    fits = [
        t
        for t in (np.int8, np.int16, np.int32, np.uint8, np.uint16, np.uint32, np.uint64)
        if np.iinfo(t).min <= value <= np.iinfo(t).max
    ]
    return npy(np.array(value, draw(st.sampled_from(fits))))


class Case:
    """A file to build, the strongest verdict of its mutations, and what they were."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive
        self.verdict = SAME
        self.ops: list[str] = []
        self.payloads = 0

    def __repr__(self) -> str:
        return f"Case({self.verdict}, {self.ops})"

    def mark(self, op: str, verdict: str) -> None:
        self.ops.append(op)
        if STRENGTH[verdict] > STRENGTH[self.verdict]:
            self.verdict = verdict


KEY_OPS = (
    "drop",
    "rename",
    "benign",
    "wrong-dtype",
    "wrong-shape",
    "non-finite",
    "object-payload",
    "raw-pickle",
    "raw-junk",
    "header-lie",
    "out-of-range",
    "in-range",
    "duplicate",
    "truncate",
    "extend",
    "npy-v2",
)


@st.composite
def mutate_key(draw, case: Case, key: str, base: Base, marker: Path) -> None:
    members = case.archive.members
    name = f"{key}.npy"
    array = base.arrays[key]
    hidden = int(base.arrays["hidden"])
    ops = [op for op in KEY_OPS if op != "non-finite" or key in (*WEIGHTS, *FLOATS)]
    if not out_of_range(key):
        ops.remove("out-of-range")
    op = draw(st.sampled_from(ops))
    if op == "drop":
        del members[name]
        case.mark(f"drop {key}", BAD)
    elif op == "rename":
        data = members.pop(name)
        other = draw(
            st.sampled_from(
                [
                    key,
                    f"{key}.NPY",
                    f"{key}.npy.npy",
                    key.upper() + ".npy",
                    f" {key}.npy",
                    f"{key}.npz",
                    f"dir/{key}.npy",
                ]
            )
        )
        case.archive.extras.append((other, data))
        case.mark(f"rename {key}", BAD)
    elif op == "benign":
        members[name] = draw(benign(key, base))
        case.mark(f"benign {key}", SAME)
    elif op == "wrong-dtype":
        dtype = np.dtype(draw(st.sampled_from(WRONG_DTYPES[family(key)])))
        members[name] = npy(np.zeros(array.shape, dtype))
        case.mark(f"dtype {key} {dtype.str}", BAD)
    elif op == "wrong-shape":
        right = expected_shape(key, hidden)
        allowed = {right, (1,)} if right == () else {right}
        shape = draw(
            st.lists(st.integers(0, 5), max_size=3).map(tuple).filter(lambda s: s not in allowed)
        )
        members[name] = npy(np.zeros(shape, array.dtype))
        case.mark(f"shape {key} {shape}", BAD)
    elif op == "non-finite":
        bad = array.astype(np.float64).copy()
        bad.flat[draw(st.integers(0, bad.size - 1))] = draw(
            st.sampled_from([np.nan, np.inf, -np.inf])
        )
        members[name] = npy(bad)
        case.mark(f"non-finite {key}", BAD)
    elif op == "object-payload":
        shape = draw(st.sampled_from([array.shape, (1,), ()]))
        payload = np.empty(shape, dtype=object)
        payload.flat[0] = CreatesFile(str(marker))
        structured = draw(st.booleans()) and shape != ()
        if structured:  # an object field inside a structured dtype
            holder = np.empty(shape, dtype=[("x", "O"), ("y", "<f8")])
            holder["x"] = payload
            payload = holder
        members[name] = npy(payload, allow_pickle=True)
        case.payloads += 1
        case.mark(f"object {key}", BAD)
    elif op == "raw-pickle":
        # A pickle stream where the .npy should be, or after a header that says "object".
        stream = pickle.dumps(CreatesFile(str(marker)), protocol=draw(st.integers(0, 5)))
        if draw(st.booleans()):
            header = {"descr": "|O", "fortran_order": False, "shape": array.shape}
            stream = npy_with_header(header, stream)
        members[name] = stream
        case.payloads += 1
        case.mark(f"raw-pickle {key}", BAD)
    elif op == "raw-junk":
        members[name] = draw(st.binary(max_size=300))
        case.mark(f"junk {key}", EITHER)
    elif op == "header-lie":
        header = {"descr": array.dtype.str, "fortran_order": False, "shape": array.shape}
        what = draw(st.sampled_from(["shape", "descr", "fortran_order", "huge"]))
        if what == "shape":
            header["shape"] = draw(st.lists(st.integers(0, 2**31), max_size=3).map(tuple))
        elif what == "descr":
            header["descr"] = draw(st.sampled_from(["<f8", ">f8", "<f4", "<i8", "|O", "|V8"]))
        elif what == "fortran_order":
            header["fortran_order"] = True
        else:
            header["shape"] = (10**9,) * max(array.ndim, 1)
        members[name] = npy_with_header(header, array_data(array))
        case.mark(f"header-lie {key} {what}", EITHER)
    elif op == "out-of-range":
        value = draw(st.sampled_from(out_of_range(key)))
        members[name] = npy(value)
        case.mark(f"out-of-range {key}={value!r}", BAD)
    elif op == "in-range":
        value = draw(in_range_value(key, base))
        members[name] = npy(value)
        same = np.array_equal(value, array, equal_nan=False) and value.dtype == array.dtype
        case.mark(f"in-range {key}", SAME if same else VALID)
    elif op == "duplicate":
        # even a second copy of the very same array makes the file ambiguous
        other = npy(draw(st.sampled_from([np.zeros(3), np.array(7), array])))
        case.archive.duplicates.append((name, other))
        case.mark(f"duplicate {key}", BAD)
    elif op == "truncate":
        data = members[name]
        members[name] = data[: draw(st.integers(0, len(data) - 1))]
        case.mark(f"truncate {key}", BAD)
    elif op == "extend":
        members[name] += draw(st.binary(min_size=1, max_size=64))
        case.mark(f"extend {key}", BAD)
    else:  # npy-v2: the same array behind a version 2.0 header is fine
        header = {"descr": array.dtype.str, "fortran_order": False, "shape": array.shape}
        members[name] = npy_with_header(header, array_data(array), version=(2, 0))
        case.mark(f"npy-v2 {key}", SAME)


EXTRA_NAMES = st.one_of(
    st.sampled_from(["notes.npy", "synapse_h", "readme.txt", "dir/", "synapse_h.npy/x", "a" * 300]),
    st.text(
        st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"),
        min_size=1,
        max_size=20,
    ),
).filter(lambda n: n not in {f"{k}.npy" for k in KEYS})


@st.composite
def mutate_archive(draw, case: Case, marker: Path) -> None:
    op = draw(
        st.sampled_from(
            [
                "compress",
                "extra",
                "extra-payload",
                "comment",
                "prefix",
                "pk-prefix",
                "suffix",
                "size-lie",
                "crc-lie",
                "offset-lie",
                "encrypted",
            ]
        )
    )
    archive = case.archive
    names = sorted(archive.members)
    if op == "compress":
        method = draw(st.sampled_from([zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA]))
        chosen = draw(st.lists(st.sampled_from(names), min_size=1, unique=True)) if names else []
        for name in chosen:
            archive.compress[name] = method
        case.mark(f"compress {method}", SAME)
    elif op in ("extra", "extra-payload"):
        name = draw(EXTRA_NAMES)
        if op == "extra":
            data = draw(st.one_of(st.binary(max_size=200), st.just(npy(np.arange(5)))))
        else:  # never read, so never unpickled
            payload = np.empty(1, dtype=object)
            payload[0] = CreatesFile(str(marker))
            data = npy(payload, allow_pickle=True)
            case.payloads += 1
        archive.extras.append((name, data))
        case.mark(f"{op} member", SAME)
    elif op == "comment":
        archive.comment = draw(st.binary(max_size=200))
        # zipfile finds the end record by searching for its signature from the end, so a
        # comment that contains one confuses it (a zipfile limitation, not rnn-tui's)
        case.mark("comment", EITHER if b"PK\x05\x06" in archive.comment else SAME)
    elif op in ("prefix", "pk-prefix") and archive.prefix:
        return  # one prefix per file: a second would silently replace the first
    elif op == "prefix":
        archive.prefix = draw(
            st.binary(min_size=1, max_size=64).filter(
                lambda b: not b.startswith((b"PK\x03\x04", b"PK\x05\x06"))
            )
        )
        case.mark("prefix", BAD)
    elif op == "pk-prefix":
        archive.prefix = b"PK\x03\x04" + draw(st.binary(max_size=64))
        case.mark("pk-prefix", EITHER)
    elif op == "suffix":
        archive.suffix = draw(st.binary(min_size=1, max_size=64))
        case.mark("suffix", EITHER)
    elif names:
        name = draw(st.sampled_from(names))
        attribute, value = {
            "size-lie": ("file_size", draw(st.integers(0, 2**32 - 1))),
            "crc-lie": ("CRC", draw(st.integers(0, 2**32 - 1))),
            "offset-lie": ("header_offset", draw(st.integers(0, 4096))),
            "encrypted": ("flag_bits", 0x1),
        }[op]
        archive.lies.append((name, attribute, value))
        case.mark(f"{op} {name}", EITHER)


@st.composite
def cases(draw, bases: list[Base], marker: Path) -> tuple[Case, Base]:
    base = draw(st.sampled_from(bases))
    members = {f"{key}.npy": npy(value) for key, value in base.arrays.items()}
    case = Case(Archive(members))
    keys = draw(st.lists(st.sampled_from(KEYS), max_size=3, unique=True))
    for key in keys:
        draw(mutate_key(case, key, base, marker))
    for _ in range(draw(st.integers(0, 2))):
        draw(mutate_archive(case, marker))
    names = [*case.archive.members, *(n for n, _ in case.archive.extras)]
    names += [n for n, _ in case.archive.duplicates]
    if len(names) != len(set(names)):  # e.g. two extra members that drew one name
        case.mark("two members of one name", BAD)
    return case, base


# -------------------------------------------------------------------------- oracle


def load_or_refuse(path: Path) -> RNN | None:
    """The model, or None after a proper refusal; fails the test on anything else."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            net = load_checkpoint(path)
        except CheckpointError as err:
            message = str(err)
            assert "\n" not in message and message, message
            assert repr(str(path)) in message, message
            net = None
        except Exception as exc:  # anything else would reach the user as a traceback
            pytest.fail(f"load_checkpoint raised {type(exc).__name__}: {exc}")
    assert not caught, [str(w.message) for w in caught]
    return net


def assert_usable(net: RNN, scratch: Path) -> None:
    assert net.is_finite()
    assert net.params.dtype == np.float64 and net.params.size == parameter_count(net.hidden)
    assert config_problem(net.config.seed, net.hidden, net.alpha, net.bits) is None
    state = net.rng.get_state()
    assert 0 <= state[2] <= 624 and state[3] in (0, 1) and np.isfinite(state[4])
    assert net.iteration >= 0
    # A model that loads also saves, and reloads to the same state ...
    again = scratch / "again.npz"
    save_checkpoint(again, net)
    assert load_checkpoint(again).same_state(net)
    # ... and trains without a warning.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        twin = net.copy()
        if twin.iteration < 2**63 - 2:
            train(twin, 1)
    assert not caught, [str(w.message) for w in caught]


def run_case(case: Case, base: Base, scratch: Path, marker: Path, figs: Figures) -> None:
    path = scratch / "mutated.npz"
    path.write_bytes(case.archive.to_bytes())
    net = load_or_refuse(path)
    assert not marker.exists(), f"pickle payload ran: {case.ops}"
    what = f"{case.verdict}: {case.ops}"
    if case.verdict == BAD:
        assert net is None, f"loaded a checkpoint that must be refused ({what})"
    elif case.verdict in (SAME, VALID):
        assert net is not None, f"refused a valid checkpoint ({what})"
    if net is not None:
        assert_usable(net, scratch)
        if case.verdict == SAME:
            assert net.same_state(base.net) and net.alpha == base.net.alpha, what
            assert net.config == base.net.config, what
    figs.count("mutated files")
    figs.count(f"verdict {case.verdict}: {'loaded' if net is not None else 'refused'}")
    figs.count("pickle payloads planted", case.payloads)
    for op in case.ops:
        figs.count(f"op {op.split()[0]}")


def _settings(examples: int):
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )


@_settings(FAST_EXAMPLES)
@given(data=st.data())
def test_mutated_checkpoints_load_or_are_refused(
    data, bases: list[Base], marker: Path, tmp_path: Path, figures: Figures
) -> None:
    case, base = data.draw(cases(bases, marker))
    run_case(case, base, tmp_path, marker, figures)


@pytest.mark.slow
@_settings(SLOW_EXAMPLES)
@given(data=st.data())
def test_mutated_checkpoints_load_or_are_refused_many(
    data, bases: list[Base], marker: Path, tmp_path: Path, figures: Figures
) -> None:
    case, base = data.draw(cases(bases, marker))
    run_case(case, base, tmp_path, marker, figures)


# ----------------------------------------------------------- payloads and bombs


def test_the_planted_payloads_are_live(tmp_path: Path, figures: Figures) -> None:
    """Proof that the payloads would have run had anything unpickled them."""
    proof = tmp_path / "proof"
    payload = np.empty(1, dtype=object)
    payload[0] = CreatesFile(str(proof))
    np.load(io.BytesIO(npy(payload, allow_pickle=True)), allow_pickle=True)
    assert proof.exists()
    proof.unlink()
    pickle.loads(pickle.dumps(CreatesFile(str(proof))))
    assert proof.exists()
    figures.note("planted pickle payloads are live (checked by unpickling them on purpose)")


def test_payload_in_every_member_never_runs(
    bases: list[Base], marker: Path, tmp_path: Path, figures: Figures
) -> None:
    base = bases[0]
    for key in KEYS:
        for form in ("object", "raw", "object-header"):
            members = {f"{k}.npy": npy(v) for k, v in base.arrays.items()}
            payload = np.empty(base.arrays[key].shape, dtype=object)
            payload.flat[0] = CreatesFile(str(marker))
            if form == "object":
                members[f"{key}.npy"] = npy(payload, allow_pickle=True)
            elif form == "raw":
                members[f"{key}.npy"] = pickle.dumps(CreatesFile(str(marker)))
            else:
                header = {"descr": "|O", "fortran_order": False, "shape": payload.shape}
                members[f"{key}.npy"] = npy_with_header(header, pickle.dumps(payload, protocol=3))
            path = tmp_path / "payload.npz"
            path.write_bytes(Archive(members).to_bytes())
            assert load_or_refuse(path) is None, (key, form)
            assert not marker.exists(), (key, form)
            figures.count("pickle payloads planted")


def _measured_load(path: Path) -> tuple[RNN | None, Cost]:
    return measured(lambda: load_or_refuse(path))


def _zeros_member(archive: zipfile.ZipFile, name: str, size: int) -> None:
    with archive.open(name, "w", force_zip64=True) as handle:  # the archive's compression
        chunk = bytes(1 << 20)
        for _ in range(size >> 20):
            handle.write(chunk)


def test_a_big_unread_member_is_never_inflated(
    bases: list[Base], tmp_path: Path, figures: Figures
) -> None:
    base = bases[0]
    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for key, value in base.arrays.items():
            archive.writestr(f"{key}.npy", npy(value))
        _zeros_member(archive, "padding.npy", 256 << 20)  # 256 MiB of zeros, ~250 KiB
    assert path.stat().st_size < 1 << 20
    net, cost = _measured_load(path)
    assert net is not None and net.same_state(base.net)
    assert cost.peak < 8 << 20 and cost.inflated < 1 << 20, cost
    figures.note(
        f"256 MiB unread member: loaded in {cost.seconds:.2f} s, peak {cost.peak >> 10} KiB,"
        f" {cost.inflated >> 10} KiB inflated"
    )


def test_a_member_lying_about_its_size_is_not_inflated(
    bases: list[Base], tmp_path: Path, figures: Figures
) -> None:
    """synapse_h declares 200 bytes in the directory but inflates to 64 MiB."""
    base = bases[0]
    path = tmp_path / "liar.npz"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for key, value in base.arrays.items():
            if key != "synapse_h":
                archive.writestr(f"{key}.npy", npy(value))
        header = npy(base.arrays["synapse_h"])
        with archive.open("synapse_h.npy", "w", force_zip64=True) as handle:
            handle.write(header)
            for _ in range(64):
                handle.write(bytes(1 << 20))
        archive.getinfo("synapse_h.npy").file_size = len(header)
    net, cost = _measured_load(path)
    assert net is None
    assert cost.peak < 8 << 20 and cost.inflated < 1 << 20, cost
    figures.note(
        f"lying 64 MiB member: refused in {cost.seconds:.2f} s, peak {cost.peak >> 10} KiB,"
        f" {cost.inflated >> 10} KiB inflated"
    )


@pytest.mark.parametrize("key", KEYS)
def test_every_member_declaring_too_many_bytes_is_refused_unread(
    bases: list[Base], tmp_path: Path, key: str, figures: Figures
) -> None:
    base = bases[0]
    limit = MAX_WEIGHT_MEMBER_BYTES if key in WEIGHTS else MAX_SMALL_MEMBER_BYTES
    path = tmp_path / "big.npz"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for other, value in base.arrays.items():
            if other != key:
                archive.writestr(f"{other}.npy", npy(value))
        with archive.open(f"{key}.npy", "w", force_zip64=True) as handle:
            handle.write(npy(base.arrays[key]))
            handle.write(bytes(limit))
    net, cost = _measured_load(path)
    assert net is None and cost.peak < 4 << 20 and cost.inflated < 1 << 20, cost
    figures.count("oversized members refused")


@pytest.mark.parametrize("key", KEYS)
def test_every_member_claiming_a_huge_shape_is_refused_before_allocating(
    bases: list[Base], tmp_path: Path, key: str, figures: Figures
) -> None:
    base = bases[0]
    members = {f"{k}.npy": npy(v) for k, v in base.arrays.items()}
    ndim = max(base.arrays[key].ndim, 1)
    dtype = base.arrays[key].dtype.str
    members[f"{key}.npy"] = npy_with_header(
        {"descr": dtype, "fortran_order": False, "shape": (2**31 - 1,) * ndim}, b""
    )
    path = tmp_path / "huge-shape.npz"
    path.write_bytes(Archive(members).to_bytes())
    net, cost = _measured_load(path)
    assert net is None and cost.peak < 4 << 20, cost
    figures.count("huge-shape headers refused")


def test_an_npy_header_length_bomb_is_refused(bases: list[Base], tmp_path: Path) -> None:
    base = bases[0]
    members = {f"{k}.npy": npy(v) for k, v in base.arrays.items()}
    # version 2.0 header whose length field claims 4 GiB
    members["synapse_h.npy"] = b"\x93NUMPY\x02\x00" + struct.pack("<I", 2**32 - 1) + b"{" * 100
    path = tmp_path / "header.npz"
    path.write_bytes(Archive(members).to_bytes())
    net, cost = _measured_load(path)
    assert net is None and cost.peak < 4 << 20, cost


def test_deeply_nested_header_is_refused(bases: list[Base], tmp_path: Path) -> None:
    base = bases[0]
    members = {f"{k}.npy": npy(v) for k, v in base.arrays.items()}
    for depth in (50, 500, 4000):
        header = (
            "{'descr': '<f8', 'fortran_order': False, 'shape': " + "(" * depth + ")" * depth + ", }"
        ).encode()
        header += b" " * (-(len(header) + 11) % 64) + b"\n"
        data = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header
        members["synapse_h.npy"] = data
        path = tmp_path / "nested.npz"
        path.write_bytes(Archive(members).to_bytes())
        assert load_or_refuse(path) is None, depth


def test_a_checkpoint_nested_in_a_checkpoint_is_not_followed(
    bases: list[Base], tmp_path: Path
) -> None:
    base = bases[0]
    inner = base.path.read_bytes()
    members = {f"{k}.npy": npy(v) for k, v in base.arrays.items()}
    members["synapse_h.npy"] = inner
    path = tmp_path / "nested.npz"
    path.write_bytes(Archive(members).to_bytes())
    assert load_or_refuse(path) is None


def _with_many_directory_entries(valid: bytes, count: int) -> bytes:
    """`valid` plus `count` extra central-directory entries (empty members named by
    number, all pointing at the first local header), closed by a zip64 end record."""
    end = valid.rindex(b"PK\x05\x06")
    (_, _, _, _, entries, cd_size, cd_offset, _) = struct.unpack("<4s4H2LH", valid[end : end + 22])
    central = bytearray(valid[cd_offset : cd_offset + cd_size])
    for i in range(count):
        name = b"%d" % i
        central += (
            struct.pack(
                "<4s4B4HL2L5H2L",
                b"PK\x01\x02",
                20,
                3,
                20,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                len(name),
                0,
                0,
                0,
                0,
                0,
                0,
            )
            + name
        )
    total = entries + count
    body = valid[:cd_offset] + bytes(central)
    eocd64_at = len(body)
    eocd64 = struct.pack(
        "<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, total, total, len(central), cd_offset
    )
    locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, eocd64_at, 1)
    eocd = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    return body + eocd64 + locator + eocd


def test_a_directory_of_many_entries_is_handled_quickly(
    bases: list[Base], tmp_path: Path, figures: Figures
) -> None:
    """A 13 MB file (far below the 64 MiB cap) whose zip directory lists 250,000 empty
    members. A checkpoint has 16; parsing a quarter of a million entries first makes
    zipfile build 250,000 objects: seconds and hundreds of MB before any check runs."""
    base = bases[0]
    path = tmp_path / "many.npz"
    small = tmp_path / "some.npz"  # the construction makes well-formed zips
    small.write_bytes(_with_many_directory_entries(base.path.read_bytes(), 40))
    with zipfile.ZipFile(small) as archive:
        assert len(archive.infolist()) == len(KEYS) + 40
    assert load_checkpoint(small).same_state(base.net)  # a few extra members are fine
    small.write_bytes(_with_many_directory_entries(base.path.read_bytes(), 1000))
    assert load_or_refuse(small) is None  # more than 64 entries: not a checkpoint
    path.write_bytes(_with_many_directory_entries(base.path.read_bytes(), 250_000))
    built = 0  # entry objects zipfile made: the cost is one per entry, before any check
    real_zipinfo = zipfile.ZipInfo

    class CountedZipInfo(real_zipinfo):  # type: ignore[misc, valid-type]
        def __init__(self, *args: object, **kwargs: object) -> None:
            nonlocal built
            built += 1
            super().__init__(*args, **kwargs)

    began = time.perf_counter()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(zipfile, "ZipInfo", CountedZipInfo)
        net = load_or_refuse(path)
    seconds = time.perf_counter() - began
    figures.note(
        f"250,000-entry zip directory ({path.stat().st_size >> 20} MB): "
        f"{'loaded' if net else 'refused'} in {seconds:.2f} s, {built} zip entries parsed"
    )
    assert net is None
    assert built == 0, f"zipfile parsed {built:,} directory entries before the refusal"


# ----------------------------------------- values the loader used to accept (issue 9, 6)


def _with_members(base: Base, path: Path, **changes: np.ndarray) -> Path:
    members = {f"{key}.npy": npy(value) for key, value in base.arrays.items()}
    members.update({f"{key}.npy": npy(value) for key, value in changes.items()})
    path.write_bytes(Archive(members).to_bytes())
    return path


@_settings(FAST_EXAMPLES)
@given(
    data=st.data(),
    iteration=st.one_of(
        st.integers(-(2**63), 2**64 - 1),
        st.integers(MAX_ITERATION - 3, MAX_ITERATION + 3),
        st.integers(-3, 3),
        st.sampled_from([2**63 - 1, 2**63, 2**64 - 1, -(2**63)]),
    ),
)
def test_any_iteration_loads_only_in_range_and_never_breaks_a_later_save(
    data, iteration: int, bases: list[Base], tmp_path: Path, figures: Figures
) -> None:
    base = data.draw(st.sampled_from(bases))
    dtype = np.int64 if iteration < 2**63 else np.uint64
    path = _with_members(base, tmp_path / "iteration.npz", iteration=np.array(iteration, dtype))
    net = load_or_refuse(path)
    assert (net is not None) == (0 <= iteration <= MAX_ITERATION), iteration
    figures.count(f"iteration values: {'loaded' if net is not None else 'refused'}")
    if net is None:
        return
    assert net.iteration == iteration
    train(net, data.draw(st.integers(0, 3)))
    # A save is either done or refused with a CheckpointError; never an OverflowError.
    try:
        save_checkpoint(tmp_path / "again.npz", net)
    except CheckpointError as err:
        assert net.iteration > MAX_ITERATION and "iteration must be at most" in str(err)
        figures.count("iteration values: later save refused")
    else:
        assert load_checkpoint(tmp_path / "again.npz").same_state(net)


@_settings(FAST_EXAMPLES)
@given(
    data=st.data(),
    first=st.integers(0, 2**32 - 1),
    live=st.lists(st.tuples(st.integers(1, 623), st.integers(1, 2**32 - 1)), max_size=3),
    pos=st.integers(0, 624),
)
def test_a_random_state_loads_unless_mt19937_would_only_draw_zeros(
    data,
    first: int,
    live: list[tuple[int, int]],
    pos: int,
    bases: list[Base],
    tmp_path: Path,
    figures: Figures,
) -> None:
    base = data.draw(st.sampled_from(bases))
    keys = np.zeros(624, np.uint32)
    keys[0] = first
    for where, word in live:
        keys[where] = word
    degenerate = not live and first < 0x80000000
    path = _with_members(base, tmp_path / "keys.npz", rng_keys=keys, rng_pos=np.array(pos))
    net = load_or_refuse(path)
    assert (net is None) == degenerate, (first, live)
    figures.count(f"sparse random states: {'refused' if degenerate else 'loaded'}")
    if net is not None:
        assert net.rng.randint(2**31, size=4000).any()  # the stream does not stay at zero
