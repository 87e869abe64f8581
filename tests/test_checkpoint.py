"""Checkpoints: bit-exact resume, atomic saves, and refusal of every kind of bad file."""

from __future__ import annotations

import builtins
import errno
import io
import os
import pickle
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from load_meter import Cost, measured
from numpy.lib import format as npy_format

from model.checkpoint import (
    MAX_FILE_BYTES,
    CheckpointError,
    load_checkpoint,
    save_checkpoint,
)
from model.config import RNNConfig, config_problem
from model.network import RNN, parameter_count
from model.trainer import train

EXPECTED_MEMBERS = {
    "format_version",
    "synapse_0",
    "synapse_1",
    "synapse_h",
    "seed",
    "hidden",
    "alpha",
    "bits",
    "iteration",
    "rng_keys",
    "rng_pos",
    "rng_has_gauss",
    "rng_cached_gaussian",
    "cell",
    "init_low",
    "init_high",
}


def trained(iterations: int, **config: object) -> RNN:
    net = RNN(RNNConfig(**config))  # type: ignore[arg-type]
    train(net, iterations)
    return net


def arrays_of(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as npz:
        return {key: npz[key] for key in npz.files}


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write arrays verbatim (np.savez pickles object arrays, as an attacker's tool would)."""
    with open(path, "wb") as handle:
        np.savez(handle, **arrays)


def refused(path: Path, *fragments: str) -> str:
    """Load `path`, expect a CheckpointError naming the file and every fragment; return it."""
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    message = str(info.value)
    assert "\n" not in message
    assert repr(str(path)) in message
    for fragment in fragments:
        assert fragment in message, message
    return message


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    """A valid checkpoint of a default-size net trained a little."""
    path = tmp_path / "run.npz"
    save_checkpoint(path, trained(300))
    return path


def with_member(saved: Path, **changes: np.ndarray | None) -> Path:
    """A copy of `saved` with some members replaced (or removed when the value is None)."""
    arrays = arrays_of(saved)
    for key, value in changes.items():
        if value is None:
            del arrays[key]
        else:
            arrays[key] = value
    path = saved.with_name("edited.npz")
    write_npz(path, arrays)
    return path


# ------------------------------------------------------------------------ round trip


def test_round_trip_is_bit_exact(tmp_path: Path) -> None:
    net = trained(1234)
    net.alpha = 0.05  # the live learning rate is what is saved, not the starting one
    path = tmp_path / "run.npz"
    save_checkpoint(path, net)
    loaded = load_checkpoint(path)
    assert loaded.same_state(net)
    assert loaded.iteration == 1234
    assert loaded.alpha == 0.05
    assert loaded.config == RNNConfig(seed=0, hidden=16, alpha=0.05, bits=8)
    for mine, theirs in zip(
        (net.synapse_0, net.synapse_1, net.synapse_h),
        (loaded.synapse_0, loaded.synapse_1, loaded.synapse_h),
        strict=True,
    ):
        assert theirs.dtype == np.float64
        assert np.array_equal(mine, theirs)
    # The views still share memory with the flat vector the kernel updates.
    assert np.shares_memory(loaded.synapse_h, loaded.params)


def test_file_holds_plain_arrays_under_the_tutorials_names(tmp_path: Path) -> None:
    path = tmp_path / "run.ckpt"  # no .npz suffix: the path is used verbatim
    save_checkpoint(path, trained(10, hidden=5, bits=4))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.ckpt"]
    arrays = arrays_of(path)  # allow_pickle=False: nothing in it needs pickle
    assert set(arrays) == EXPECTED_MEMBERS
    assert arrays["synapse_0"].shape == (2, 5)
    assert arrays["synapse_1"].shape == (5, 1)
    assert arrays["synapse_h"].shape == (5, 5)
    assert all(arrays[k].dtype == np.float64 for k in ("synapse_0", "synapse_1", "synapse_h"))
    assert arrays["rng_keys"].dtype == np.uint32 and arrays["rng_keys"].shape == (624,)
    assert int(arrays["iteration"]) == 10 and int(arrays["hidden"]) == 5
    assert not any(a.dtype.hasobject for a in arrays.values())


def test_resume_equals_uninterrupted_training_with_the_tutorials_settings(
    tmp_path: Path,
) -> None:
    path = tmp_path / "half.npz"
    save_checkpoint(path, trained(5000))
    resumed = load_checkpoint(path)
    train(resumed, 5000)
    assert resumed.same_state(trained(10000))


@pytest.mark.parametrize(
    ("config", "first", "second"),
    [
        ({"seed": 7, "hidden": 5, "alpha": 0.5, "bits": 4}, 700, 800),
        ({"seed": 2**32 - 1, "hidden": 3, "alpha": 1.0, "bits": 12}, 129, 1),
    ],
)
def test_resume_equals_uninterrupted_training_with_other_settings(
    tmp_path: Path, config: dict[str, object], first: int, second: int
) -> None:
    path = tmp_path / "half.npz"
    save_checkpoint(path, trained(first, **config))
    resumed = load_checkpoint(path)
    train(resumed, second)
    assert resumed.same_state(trained(first + second, **config))
    assert resumed.config == RNNConfig(**config)  # type: ignore[arg-type]


def test_cached_gaussian_of_the_random_stream_survives(tmp_path: Path) -> None:
    net = trained(50, hidden=4, bits=4)
    net.rng.standard_normal()  # leaves has_gauss=1 and a cached value in the state
    assert net.rng.get_state()[3] == 1
    save_checkpoint(tmp_path / "g.npz", net)
    loaded = load_checkpoint(tmp_path / "g.npz")
    assert loaded.same_state(net)
    assert loaded.rng.standard_normal() == net.rng.standard_normal()


def test_rng_state_argument_is_saved_instead_of_the_live_stream(tmp_path: Path) -> None:
    net = trained(200, hidden=6)
    before_draw = net.rng.get_state()
    example = net.draw_example()  # an iteration under way has already drawn its sum
    save_checkpoint(tmp_path / "mid.npz", net, rng_state=before_draw)
    loaded = load_checkpoint(tmp_path / "mid.npz")
    assert not loaded.same_state(net)  # the live stream has moved on ...
    assert loaded.draw_example() == example  # ... the checkpoint redraws the same sum
    assert loaded.same_state(net)
    assert np.array_equal(loaded.params, net.params) and loaded.iteration == 200


def test_saving_again_replaces_the_file(tmp_path: Path) -> None:
    path = tmp_path / "run.npz"
    net = trained(100, hidden=4)
    save_checkpoint(path, net)
    train(net, 100)
    save_checkpoint(path, net)
    assert load_checkpoint(path).iteration == 200
    assert [p.name for p in tmp_path.iterdir()] == ["run.npz"]


def test_extra_arrays_big_endian_and_fortran_order_are_accepted(saved: Path) -> None:
    arrays = arrays_of(saved)
    net = load_checkpoint(saved)
    path = with_member(
        saved,
        notes=np.arange(3),
        synapse_h=arrays["synapse_h"].astype(">f8"),
        synapse_0=np.asfortranarray(arrays["synapse_0"]),
        hidden=np.array([16], dtype=np.uint8),  # any integer width, 0-d or one element
    )
    assert load_checkpoint(path).same_state(net)


# --------------------------------------------------------------------- refused files


def test_missing_file_and_directory_are_refused(tmp_path: Path) -> None:
    refused(tmp_path / "nope.npz", "no such file")
    refused(tmp_path, "directory")


def test_random_garbage_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "garbage.npz"
    path.write_bytes(np.random.default_rng(1).bytes(4096))
    refused(path, "not an .npz")
    path.write_bytes(b"")
    refused(path, "not an .npz")
    path.write_bytes(b"PK\x03\x04" + np.random.default_rng(2).bytes(4096))
    refused(path, "damaged")


def test_truncated_file_is_refused(saved: Path) -> None:
    data = saved.read_bytes()
    cut = saved.with_name("cut.npz")
    for size in (len(data) // 2, len(data) - 1, 10):
        cut.write_bytes(data[:size])
        refused(cut, "damaged")


def test_corrupted_weight_bytes_fail_the_crc(saved: Path) -> None:
    data = bytearray(saved.read_bytes())
    start = data.index(b"synapse_h.npy") + 200  # inside synapse_h's data, past its header
    data[start] ^= 0xFF
    bad = saved.with_name("bad.npz")
    bad.write_bytes(bytes(data))
    refused(bad, "damaged", "CRC")


def test_a_bare_npy_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "weights.npy"
    np.save(path, np.zeros((16, 16)))
    refused(path, "not an .npz")


def test_oversized_file_is_refused_by_its_size(tmp_path: Path) -> None:
    path = tmp_path / "huge.npz"
    with open(path, "wb") as handle:
        handle.write(b"PK\x03\x04")
        handle.truncate(MAX_FILE_BYTES + 1)  # sparse: costs no disk space
    refused(path, "too large")


class _CreatesFile:
    """A pickle payload that creates `marker` when unpickled (stands in for any code)."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (builtins.open, (self.marker, "w"))


def test_pickled_payloads_are_never_executed(saved: Path, tmp_path: Path) -> None:
    def payload(marker: Path) -> np.ndarray:
        array = np.empty(1, dtype=object)
        array[0] = _CreatesFile(marker)
        return array

    # The payload is live: numpy would run it if pickles were allowed.
    proof = tmp_path / "proof"
    live = with_member(saved, synapse_0=payload(proof))
    with np.load(live, allow_pickle=True) as npz:
        npz["synapse_0"]
    assert proof.exists()

    marker = tmp_path / "pwned"
    for key in ("synapse_0", "seed", "rng_keys", "format_version"):
        refused(with_member(saved, **{key: payload(marker)}), key, "object")
    raw = tmp_path / "raw.pickle"
    raw.write_bytes(pickle.dumps(payload(marker)))
    refused(raw, "not an .npz")
    npy = tmp_path / "raw.npy"
    np.save(npy, payload(marker), allow_pickle=True)
    refused(npy, "not an .npz")
    assert not marker.exists()


def test_wrong_shapes_are_refused(saved: Path) -> None:
    refused(
        with_member(saved, synapse_h=np.zeros((3, 3))),
        "synapse_h has shape (3, 3), expected (16, 16)",
    )
    refused(with_member(saved, synapse_0=np.zeros((16, 2))), "synapse_0 has shape (16, 2)")
    refused(with_member(saved, synapse_1=np.zeros(16)), "synapse_1")
    refused(with_member(saved, seed=np.array([0, 0])), "seed has shape (2,)")
    refused(with_member(saved, rng_keys=np.zeros(623, dtype=np.uint32)), "rng_keys")


@pytest.mark.parametrize(
    ("key", "value", "fragment"),
    [
        ("synapse_0", np.zeros((2, 16), dtype=np.float32), "float32"),
        ("synapse_h", np.zeros((16, 16), dtype=np.int64), "int64"),
        ("synapse_1", np.zeros((16, 1), dtype=np.complex128), "complex128"),
        ("hidden", np.array(16.0), "hidden has dtype float64, expected an integer"),
        ("iteration", np.array(True), "iteration has dtype bool"),
        ("alpha", np.array(1), "alpha has dtype int64, expected float64"),
        ("rng_keys", np.zeros(624, dtype=np.int64), "rng_keys has dtype int64"),
        ("bits", np.array("8"), "bits has dtype <U1"),
        ("synapse_h", np.zeros((16, 16), dtype=[("x", "<f8")]), "synapse_h has dtype"),
    ],
)
def test_wrong_dtypes_are_refused(saved: Path, key: str, value: np.ndarray, fragment: str) -> None:
    refused(with_member(saved, **{key: value}), fragment)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("key", ["synapse_0", "synapse_1", "synapse_h"])
def test_non_finite_weights_are_refused(saved: Path, key: str, bad: float) -> None:
    weights = arrays_of(saved)[key].copy()
    weights.flat[-1] = bad
    refused(with_member(saved, **{key: weights}), key, "NaN or infinite")


@pytest.mark.parametrize("key", sorted(EXPECTED_MEMBERS))
def test_each_missing_array_is_refused(saved: Path, key: str) -> None:
    refused(with_member(saved, **{key: None}), f"the array {key!r} is missing")


@pytest.mark.parametrize(
    ("key", "value", "fragment"),
    [
        ("hidden", np.array(0), "hidden must be between 1 and 1024, got 0"),
        ("hidden", np.array(-16), "hidden must be"),
        ("hidden", np.array(2**40), "hidden must be"),
        ("bits", np.array(99), "bits must be between 2 and 32, got 99"),
        ("bits", np.array(1), "bits must be"),
        ("alpha", np.array(-1.0), "alpha must be a positive finite number"),
        ("alpha", np.array(0.0), "alpha must be"),
        ("alpha", np.array(np.nan), "alpha must be"),
        ("alpha", np.array(np.inf), "alpha must be"),
        ("seed", np.array(-1), "seed must be"),
        ("seed", np.array(2**32), "seed must be"),
        ("seed", np.array(2**64 - 1, dtype=np.uint64), "seed must be"),
        ("iteration", np.array(-1), "iteration must not be negative"),
        ("format_version", np.array(3), "newer rnn-tui"),
        ("format_version", np.array(0), "format_version is 0"),
    ],
)
def test_out_of_range_values_are_refused(
    saved: Path, key: str, value: np.ndarray, fragment: str
) -> None:
    refused(with_member(saved, **{key: value}), fragment)


@pytest.mark.parametrize(
    ("key", "value", "fragment"),
    [
        ("rng_keys", np.zeros((624, 1), dtype=np.uint32), "rng_keys has shape (624, 1)"),
        ("rng_keys", np.zeros(625, dtype=np.uint32), "rng_keys has shape (625,)"),
        ("rng_keys", np.zeros(624, dtype=np.uint64), "rng_keys has dtype uint64"),
        ("rng_pos", np.array(625), "rng_pos must be between 0 and 624, got 625"),
        ("rng_pos", np.array(-1), "rng_pos must be"),
        ("rng_has_gauss", np.array(2), "rng_has_gauss must be 0 or 1"),
        ("rng_cached_gaussian", np.array(np.nan), "rng_cached_gaussian must be a finite"),
    ],
)
def test_bad_random_state_is_refused(
    saved: Path, key: str, value: np.ndarray, fragment: str
) -> None:
    refused(with_member(saved, **{key: value}), fragment)


def _cost_of_refusing(path: Path) -> Cost:
    def load() -> None:
        with pytest.raises(CheckpointError):
            load_checkpoint(path)

    return measured(load)[1]


def test_zip_bomb_is_refused_without_inflating_it(saved: Path) -> None:
    arrays = arrays_of(saved)
    arrays["synapse_h"] = np.zeros((4096, 2048))  # 64 MiB of zeros, ~60 KiB compressed
    bomb = saved.with_name("bomb.npz")
    with open(bomb, "wb") as handle:
        np.savez_compressed(handle, **arrays)
    assert bomb.stat().st_size < 1 << 20
    cost = _cost_of_refusing(bomb)
    assert "declares" in refused(bomb, "synapse_h")
    assert cost.peak < 4 << 20 and cost.inflated < 1 << 20, cost

    # A small member gets a much smaller allowance than the weights.
    arrays = arrays_of(saved)
    arrays["seed"] = np.zeros(100_000, dtype=np.int64)
    with open(bomb, "wb") as handle:
        np.savez_compressed(handle, **arrays)
    refused(bomb, "'seed' declares")


def test_npy_header_claiming_a_huge_shape_is_refused_before_allocating(saved: Path) -> None:
    arrays = arrays_of(saved)
    liar = io.BytesIO()  # a header for a 8 TB array, followed by no data at all
    npy_format.write_array_header_1_0(
        liar, {"descr": "<f8", "fortran_order": False, "shape": (10**6, 10**6)}
    )
    path = saved.with_name("liar.npz")
    with zipfile.ZipFile(path, "w") as archive:
        for key, value in arrays.items():
            buffer = io.BytesIO()
            np.save(buffer, value)
            archive.writestr(f"{key}.npy", buffer.getvalue())
        # Even a name numpy's NpzFile would prefer over "synapse_h.npy" is not consulted.
        archive.writestr("synapse_h", liar.getvalue())
    assert load_checkpoint(path).same_state(load_checkpoint(saved))

    with zipfile.ZipFile(path, "w") as archive:
        for key, value in arrays.items():
            buffer = io.BytesIO()
            np.save(buffer, value)
            data = liar.getvalue() if key == "synapse_h" else buffer.getvalue()
            archive.writestr(f"{key}.npy", data)
    cost = _cost_of_refusing(path)
    refused(path, "synapse_h has shape (1000000, 1000000)")
    assert cost.peak < 4 << 20, cost


def test_array_data_shorter_than_its_header_is_refused(saved: Path) -> None:
    arrays = arrays_of(saved)
    path = saved.with_name("short.npz")
    with zipfile.ZipFile(path, "w") as archive:
        for key, value in arrays.items():
            buffer = io.BytesIO()
            np.save(buffer, value)
            data = buffer.getvalue()
            archive.writestr(f"{key}.npy", data[:-8] if key == "synapse_h" else data)
    refused(path, "damaged")


# -------------------------------------------------------------------- atomic saving


def _failing(error_number: int) -> OSError:
    return OSError(error_number, os.strerror(error_number))


@pytest.mark.parametrize("stage", ["mkstemp", "write", "fsync", "replace"])
def test_failed_save_keeps_the_previous_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stage: str
) -> None:
    path = tmp_path / "run.npz"
    old = trained(100, hidden=4)
    save_checkpoint(path, old)
    before = path.read_bytes()

    def fail(*args: object, **kwargs: object) -> None:
        raise _failing(errno.ENOSPC)

    def write_half_then_fail(handle: io.BufferedWriter, **arrays: np.ndarray) -> None:
        handle.write(b"PK\x03\x04 partial archive")
        raise _failing(errno.ENOSPC)

    if stage == "mkstemp":
        monkeypatch.setattr(tempfile, "mkstemp", fail)
    elif stage == "write":
        monkeypatch.setattr(np, "savez", write_half_then_fail)
    else:
        monkeypatch.setattr(os, stage, fail)

    with pytest.raises(CheckpointError) as info:
        save_checkpoint(path, trained(200, hidden=4))
    assert str(info.value) == f"cannot save checkpoint {str(path)!r}: No space left on device"
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert load_checkpoint(path).same_state(old)
    assert [p.name for p in tmp_path.iterdir()] == ["run.npz"]  # no temporary file left


def _can_create_files_in(directory: Path) -> bool:
    probe = directory / "probe"
    try:
        probe.touch()
    except PermissionError:
        return False
    probe.unlink()
    return True


def test_read_only_directory_keeps_the_previous_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "run.npz"
    old = trained(100, hidden=4)
    save_checkpoint(path, old)
    before = path.read_bytes()
    tmp_path.chmod(0o555)
    if _can_create_files_in(tmp_path):
        # Running as root (or with CAP_DAC_OVERRIDE), permission bits are not enforced;
        # make creating the temporary file fail the way they would have.
        def denied(*args: object, **kwargs: object) -> None:
            raise _failing(errno.EACCES)

        monkeypatch.setattr(tempfile, "mkstemp", denied)
    try:
        with pytest.raises(CheckpointError) as info:
            save_checkpoint(path, trained(200, hidden=4))
    finally:
        tmp_path.chmod(0o755)
        monkeypatch.undo()
    assert "Permission denied" in str(info.value)
    assert path.read_bytes() == before
    assert load_checkpoint(path).same_state(old)
    assert [p.name for p in tmp_path.iterdir()] == ["run.npz"]


def test_save_to_a_missing_folder_or_a_directory_is_refused(tmp_path: Path) -> None:
    net = trained(1, hidden=2, bits=2)
    with pytest.raises(CheckpointError, match="does not exist"):
        save_checkpoint(tmp_path / "missing" / "run.npz", net)
    (tmp_path / "taken").mkdir()
    with pytest.raises(CheckpointError, match="is a directory"):
        save_checkpoint(tmp_path / "taken", net)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]


def test_save_refuses_what_load_would_refuse(tmp_path: Path) -> None:
    path = tmp_path / "run.npz"
    net = trained(10, hidden=3)
    save_checkpoint(path, net)
    before = path.read_bytes()
    diverged = net.copy()
    diverged.synapse_h[0, 0] = np.nan
    with pytest.raises(CheckpointError, match="synapse_h contains NaN"):
        save_checkpoint(path, diverged)
    with pytest.raises(CheckpointError, match="rng_state"):
        save_checkpoint(path, net, rng_state=net.rng.get_state(legacy=False))  # type: ignore[arg-type]
    state = list(net.rng.get_state())
    state[2] = 10_000
    with pytest.raises(CheckpointError, match="rng_pos"):
        save_checkpoint(path, net, rng_state=tuple(state))
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["run.npz"]


# ----------------------------------------------------------------------------- fuzzing


@pytest.fixture(scope="module")
def small_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("fuzz") / "small.npz"
    save_checkpoint(path, trained(40, seed=3, hidden=3, bits=4))
    return path.read_bytes()


def loads_cleanly_or_is_refused(path: Path) -> None:
    """The fuzzing oracle: a usable, valid RNN or a one-line CheckpointError, nothing else."""
    try:
        net = load_checkpoint(path)
    except CheckpointError as err:
        assert "\n" not in str(err)
        return
    assert net.is_finite()
    assert net.params.size == parameter_count(net.hidden)
    assert config_problem(net.config.seed, net.hidden, net.alpha, net.bits) is None
    assert 0 <= net.rng.get_state()[2] <= 624 and net.iteration >= 0
    train(net, 1)  # and it is usable


FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
flips = st.lists(
    st.tuples(st.integers(min_value=0), st.integers(min_value=1, max_value=255)),
    min_size=0,
    max_size=4,
)
cut = st.none() | st.integers(min_value=0)


def damaged(data: bytes, flips: list[tuple[int, int]], keep: int | None) -> bytes:
    mutable = bytearray(data)
    for offset, mask in flips:
        mutable[offset % len(mutable)] ^= mask
    if keep is not None:
        del mutable[keep % (len(mutable) + 1) :]
    return bytes(mutable)


@FUZZ
@given(flips=flips, keep=cut)
def test_damaged_files_load_cleanly_or_raise_checkpoint_error(
    small_checkpoint: bytes, tmp_path: Path, flips: list[tuple[int, int]], keep: int | None
) -> None:
    path = tmp_path / "fuzzed.npz"
    path.write_bytes(damaged(small_checkpoint, flips, keep))
    loads_cleanly_or_is_refused(path)


@FUZZ
@given(
    member=st.integers(min_value=0, max_value=len(EXPECTED_MEMBERS) - 1),
    flips=st.lists(
        st.tuples(st.integers(min_value=0, max_value=127), st.integers(1, 255)),
        min_size=1,
        max_size=3,
    ),
    keep=cut,
)
def test_damaged_arrays_in_an_intact_archive_load_cleanly_or_raise_checkpoint_error(
    small_checkpoint: bytes,
    tmp_path: Path,
    member: int,
    flips: list[tuple[int, int]],
    keep: int | None,
) -> None:
    # Damage inside a member whose CRC is then made to match gets past zipfile's checks
    # and reaches the .npy header parser and the value checks.
    with zipfile.ZipFile(io.BytesIO(small_checkpoint)) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    name = sorted(members)[member]
    members[name] = damaged(members[name], flips, keep)
    path = tmp_path / "fuzzed.npz"
    with zipfile.ZipFile(path, "w") as archive:
        for key, data in members.items():
            archive.writestr(key, data)
    loads_cleanly_or_is_refused(path)


# ------------------------------------------------- values the loader used to accept (issue 9)


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (np.array(2**63, dtype=np.uint64), "iteration must be at most 2**62"),
        (np.array(2**64 - 1, dtype=np.uint64), "iteration must be at most 2**62"),
        (np.array(2**62 + 1, dtype=np.int64), "iteration must be at most 2**62"),
        (np.array(2**63 - 1, dtype=np.int64), "iteration must be at most 2**62"),
        (np.array(-1, dtype=np.int64), "iteration must not be negative"),
        (np.array(-(2**63), dtype=np.int64), "iteration must not be negative"),
    ],
)
def test_an_iteration_out_of_range_is_refused(
    saved: Path, value: np.ndarray, fragment: str
) -> None:
    refused(with_member(saved, iteration=value), fragment)


def test_the_largest_iteration_loads_trains_and_saves_again(saved: Path, tmp_path: Path) -> None:
    net = load_checkpoint(with_member(saved, iteration=np.array(2**62, dtype=np.uint64)))
    assert net.iteration == 2**62
    save_checkpoint(tmp_path / "again.npz", net)
    assert load_checkpoint(tmp_path / "again.npz").same_state(net)
    train(net, 3)
    # One past the bound: a clear refusal, never an OverflowError, and nothing written.
    with pytest.raises(CheckpointError, match=r"iteration must be at most 2\*\*62"):
        save_checkpoint(tmp_path / "past.npz", net)
    assert not (tmp_path / "past.npz").exists()


def test_saving_an_iteration_beyond_int64_is_a_checkpoint_error(tmp_path: Path) -> None:
    net = trained(1, hidden=2, bits=2)
    for iteration in (2**63, 2**64, -1):
        net.iteration = iteration
        with pytest.raises(CheckpointError, match="iteration must"):
            save_checkpoint(tmp_path / "run.npz", net)
    assert list(tmp_path.iterdir()) == []


def _with_duplicate(saved: Path, member: str, data: bytes) -> Path:
    path = saved.with_name("duplicate.npz")
    with zipfile.ZipFile(saved) as source, zipfile.ZipFile(path, "w") as target:
        for info in source.infolist():
            target.writestr(info, source.read(info))
        with pytest.warns(UserWarning, match="Duplicate name"):
            target.writestr(member, data)
    return path


def _npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


@pytest.mark.parametrize("member", sorted(EXPECTED_MEMBERS))
def test_a_duplicated_member_is_refused(saved: Path, member: str) -> None:
    # The second copy holds the very same array: even then the file is ambiguous.
    original = zipfile.ZipFile(saved).read(f"{member}.npy")
    refused(_with_duplicate(saved, f"{member}.npy", original), "two members named")


def test_a_duplicated_member_with_another_value_is_refused(saved: Path) -> None:
    path = _with_duplicate(saved, "iteration.npy", _npy_bytes(np.array(7, dtype=np.int64)))
    refused(path, f"two members named {'iteration.npy'!r}")


def test_a_duplicated_unread_member_is_refused_too(saved: Path) -> None:
    path = saved.with_name("notes.npz")
    with zipfile.ZipFile(saved) as source, zipfile.ZipFile(path, "w") as target:
        for info in source.infolist():
            target.writestr(info, source.read(info))
        target.writestr("notes.txt", b"one")
        with pytest.warns(UserWarning):
            target.writestr("notes.txt", b"two")
    refused(path, "two members named 'notes.txt'")


@pytest.mark.parametrize(
    "first_word",
    [0, 1, 0x7FFFFFFF],  # the low 31 bits of word 0 are not part of MT19937's state
)
def test_a_degenerate_random_state_is_refused(saved: Path, first_word: int) -> None:
    keys = np.zeros(624, dtype=np.uint32)
    keys[0] = first_word
    refused(with_member(saved, rng_keys=keys), "degenerate MT19937 state")


@pytest.mark.parametrize("where", [0, 1, 623])
def test_a_random_state_with_one_live_bit_loads(saved: Path, where: int) -> None:
    keys = np.zeros(624, dtype=np.uint32)
    keys[where] = 0x80000000 if where == 0 else 1
    net = load_checkpoint(with_member(saved, rng_keys=keys, rng_pos=np.array(624)))
    assert np.array_equal(net.rng.get_state()[1], keys)
    draws = net.rng.randint(2**31, size=2000)
    assert draws.any()  # the generator recovers from a sparse state, as MT19937 does


def test_saving_a_degenerate_random_state_is_refused(tmp_path: Path) -> None:
    net = trained(1, hidden=2, bits=2)
    state = ("MT19937", np.zeros(624, dtype=np.uint32), 624, 0, 0.0)
    with pytest.raises(CheckpointError, match="degenerate MT19937 state"):
        save_checkpoint(tmp_path / "run.npz", net, rng_state=state)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("value", [1e307, -3.0, 8.5])
def test_an_error_history_no_iteration_can_make_is_refused(tmp_path, value: float) -> None:
    # 500 errors of 1e307 once loaded, and the app crashed drawing their mean (inf - inf)
    from model.checkpoint import CheckpointError, read_checkpoint, save_checkpoint
    from model.history import ErrorHistory

    net = RNN(RNNConfig())
    train(net, 500)
    path = tmp_path / "session.npz"
    errors = ErrorHistory()
    errors.extend([0.5] * 500)
    save_checkpoint(path, net, errors=errors)
    with np.load(path) as saved:
        members = dict(saved)
    members["error_recent"] = np.full(500, value)
    np.savez(path, **members)
    with pytest.raises(CheckpointError, match="errors outside 0 to 8"):
        read_checkpoint(path)
