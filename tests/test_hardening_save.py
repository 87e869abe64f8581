"""Hardening (issue 5, item 3): saving under faults never loses the previous checkpoint.

* A forked child saves checkpoints to one path again and again and is SIGKILLed at a
  random moment; after every kill the path must load, and hold either the last save the
  child finished or the one it was writing (never an older one, never a broken file).
  Leftover temporary files are allowed (a killed process cannot clean up) but counted.
* The same kill at each stage of a save in turn (before the temporary file exists,
  halfway through writing it, before and after the rename).
* Real OS faults instead of monkeypatching where possible: a file-size limit
  (RLIMIT_FSIZE, the way a full disk fails a write) for `save_checkpoint` and for
  `rnn-tui train --save`; and, patched, a read-only file system, a quota, a failing
  close and a Ctrl+C halfway through a save. tests/test_checkpoint.py covers ENOSPC at
  mkstemp, write, fsync and rename, and a read-only directory; those are not repeated.

Scale: HARDENING_SAVE_TRIALS (default 50) and HARDENING_SAVE_SLOW_TRIALS (default 300).
The seed of the kill moments is HARDENING_SAVE_SEED (default 5).
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import random
import resource
import select
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT
from hardening import Figures, figures_fixture, scaled

import tui.cli as cli
from model.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from model.config import RNNConfig
from model.network import RNN

figures = figures_fixture("save")

TRIALS = scaled("HARDENING_SAVE_TRIALS", 50)
SLOW_TRIALS = scaled("HARDENING_SAVE_SLOW_TRIALS", 300)
SEED = int(os.environ.get("HARDENING_SAVE_SEED", "5"))

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork and SIGKILL")


def net_at(iteration: int, hidden: int) -> RNN:
    net = RNN(RNNConfig(hidden=hidden, seed=hidden))
    net.iteration = iteration
    net.params[0] = iteration / 1000  # every version has different weights as well
    return net


def temporary_files(folder: Path, target: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p != target]


def _child_saves_forever(path: Path, hidden: int, write_end: int) -> None:
    """In the forked child: save versions 1, 2, ... reporting each finished save."""
    try:
        net = net_at(0, hidden)
        version = 0
        while True:
            version += 1
            net.iteration = version
            net.params[0] = version / 1000
            save_checkpoint(path, net)
            os.write(write_end, b".")  # version `version` is complete
    finally:
        os._exit(3)  # never return into pytest in the child


def kill_during_saves(path: Path, hidden: int, delay: float) -> tuple[int, int]:
    """Fork a saver, SIGKILL it after `delay` s; return (finished saves, loaded version)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        _child_saves_forever(path, hidden, write_end)
    os.close(write_end)
    time.sleep(delay)
    os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, status
    finished = 0
    while chunk := os.read(read_end, 65536):
        finished += len(chunk)
    os.close(read_end)
    try:
        loaded = load_checkpoint(path)
    except CheckpointError as err:
        pytest.fail(f"after a SIGKILL at {delay * 1000:.1f} ms the checkpoint is lost: {err}")
    assert loaded.is_finite()
    expected = net_at(loaded.iteration, hidden)
    assert np.array_equal(loaded.params, expected.params), "a mixture of two versions"
    return finished, loaded.iteration


def _kill_trials(tmp_path: Path, trials: int, figs: Figures, label: str) -> None:
    rng = random.Random(SEED)
    newer = leftovers = 0
    for trial in range(trials):
        hidden = rng.choice((3, 64, 256))
        folder = tmp_path / f"trial{trial}"
        folder.mkdir()
        path = folder / "run.npz"
        save_checkpoint(path, net_at(0, hidden))  # the previous checkpoint
        delay = rng.uniform(0.0, 0.03)
        finished, version = kill_during_saves(path, hidden, delay)
        # The last finished save is on disk, or the one under way replaced it in time.
        assert version in (finished, finished + 1), (trial, delay, finished, version)
        newer += version == finished + 1
        left = temporary_files(folder, path)
        leftovers += len(left)
        assert all(p.name.startswith(".run.npz.") and p.suffix == ".tmp" for p in left), left
    figs.count(f"SIGKILL trials ({label})", trials)
    figs.count(f"kills where the save under way had already landed ({label})", newer)
    figs.count(f"temporary files left behind by killed saves ({label})", leftovers)
    figs.note(f"kill moments: random.Random({SEED}), uniform 0-30 ms, hidden 3/64/256")


def test_sigkill_during_repeated_saves_never_loses_the_checkpoint(
    tmp_path: Path, figures: Figures
) -> None:
    _kill_trials(tmp_path, TRIALS, figures, "default run")


@pytest.mark.slow
def test_sigkill_during_repeated_saves_never_loses_the_checkpoint_many(
    tmp_path: Path, figures: Figures
) -> None:
    _kill_trials(tmp_path, SLOW_TRIALS, figures, "slow run")


# ------------------------------------------------------------- a kill at each stage

STAGES = ("mkstemp", "half-written", "before-fsync", "before-replace", "after-replace")


def _child_pauses_at(stage: str, path: Path, write_end: int) -> None:
    """In the forked child: save version 1, announcing `stage` and then sleeping there."""

    def pause() -> None:
        os.write(write_end, b"!")
        time.sleep(60)

    real_mkstemp, real_fsync, real_replace = tempfile.mkstemp, os.fsync, os.replace

    def mkstemp(*args, **kwargs):
        result = real_mkstemp(*args, **kwargs)
        if stage == "mkstemp":
            pause()
        return result

    def fsync(fd: int) -> None:
        if stage == "half-written":
            # truncate the temporary file to half of what was written, then stop
            size = os.fstat(fd).st_size
            os.ftruncate(fd, size // 2)
            pause()
        if stage == "before-fsync":
            pause()
        real_fsync(fd)

    def replace(src, dst) -> None:
        if stage == "before-replace":
            pause()
        real_replace(src, dst)
        if stage == "after-replace":
            pause()

    try:
        tempfile.mkstemp, os.fsync, os.replace = mkstemp, fsync, replace
        save_checkpoint(path, net_at(1, 16))
    finally:
        os._exit(3)


@pytest.mark.parametrize("stage", STAGES)
def test_sigkill_at_each_stage_of_a_save(tmp_path: Path, stage: str, figures: Figures) -> None:
    path = tmp_path / "run.npz"
    save_checkpoint(path, net_at(0, 16))
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        _child_pauses_at(stage, path, write_end)
    os.close(write_end)
    ready, _, _ = select.select([read_end], [], [], 20)
    assert ready and os.read(read_end, 1) == b"!", f"the child never reached {stage}"
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    os.close(read_end)
    loaded = load_checkpoint(path)
    assert loaded.iteration == (1 if stage == "after-replace" else 0)
    left = temporary_files(tmp_path, path)
    assert len(left) == (0 if stage == "after-replace" else 1), left
    figures.count("SIGKILL at a chosen stage")
    figures.note(f"kill at {stage}: loaded version {loaded.iteration}, {len(left)} temp file(s)")


# --------------------------------------------------------------------- real faults


def _in_child_with_file_size_limit(limit: int, action) -> tuple[int, str]:
    """Run `action()` in a forked child whose files cannot grow past `limit` bytes
    (writes then fail with EFBIG, as they fail with ENOSPC on a full disk)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        status = 4
        try:
            os.close(read_end)
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # fail the write, don't kill
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
            message = action()
            os.write(write_end, message.encode())
            status = 0
        except BaseException as exc:  # report anything unexpected to the parent
            with contextlib.suppress(Exception):
                os.write(write_end, f"{type(exc).__name__}: {exc}".encode())
        finally:
            os._exit(status)
    os.close(write_end)
    _, status = os.waitpid(pid, 0)
    chunks = []
    while chunk := os.read(read_end, 65536):
        chunks.append(chunk)
    os.close(read_end)
    return os.waitstatus_to_exitcode(status), b"".join(chunks).decode()


def test_a_real_write_failure_raises_checkpoint_error_and_keeps_the_old_file(
    tmp_path: Path, figures: Figures
) -> None:
    path = tmp_path / "run.npz"
    save_checkpoint(path, net_at(0, 16))
    before = path.read_bytes()

    def action() -> str:
        try:
            save_checkpoint(path, net_at(1, 64))  # ~40 KB, more than the limit
        except CheckpointError as err:
            return f"CheckpointError: {err}"
        return "saved"

    status, message = _in_child_with_file_size_limit(len(before) // 2, action)
    assert status == 0, message
    assert message.startswith("CheckpointError: cannot save checkpoint"), message
    assert "\n" not in message
    assert path.read_bytes() == before
    assert temporary_files(tmp_path, path) == []
    figures.note(f"RLIMIT_FSIZE save: {message}")


def test_cli_save_hitting_a_size_limit_exits_1_with_one_line(
    tmp_path: Path, figures: Figures
) -> None:
    path = tmp_path / "run.npz"
    save_checkpoint(path, net_at(0, 16))
    before = path.read_bytes()

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (2000, 2000))

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tui",
            "train",
            "--iterations",
            "20",
            "--quiet",
            "--save",
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        preexec_fn=limit,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("rnn-tui: error: cannot save checkpoint")
    assert path.read_bytes() == before
    assert temporary_files(tmp_path, path) == []
    figures.note(f"rnn-tui train --save over RLIMIT_FSIZE: exit 1, {lines[0]!r}")


@pytest.mark.parametrize(
    ("stage", "error"),
    [
        ("mkstemp", errno.EROFS),
        ("mkstemp", errno.EDQUOT),
        ("write", errno.EDQUOT),
        ("write", errno.EIO),
        ("close", errno.ENOSPC),  # NFS and some FUSE file systems report it at close
        ("replace", errno.EXDEV),
        ("replace", errno.EBUSY),
    ],
)
def test_save_failures_keep_the_old_file_and_leave_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stage: str, error: int, figures: Figures
) -> None:
    path = tmp_path / "run.npz"
    old = net_at(0, 8)
    save_checkpoint(path, old)
    before = path.read_bytes()
    failure = OSError(error, os.strerror(error))

    def fail(*args, **kwargs):
        raise failure

    if stage == "mkstemp":
        monkeypatch.setattr(tempfile, "mkstemp", fail)
    elif stage == "replace":
        monkeypatch.setattr(os, "replace", fail)
    elif stage == "write":
        real_savez = np.savez

        def half_then_fail(handle, **arrays):
            buffer = io.BytesIO()
            real_savez(buffer, **arrays)
            handle.write(buffer.getvalue()[: len(buffer.getvalue()) // 2])
            raise failure

        monkeypatch.setattr(np, "savez", half_then_fail)
    else:
        real_fdopen = os.fdopen

        class FailsOnClose(io.BufferedWriter):
            def close(self) -> None:
                if not self.closed:
                    super().close()
                    raise failure

        def fdopen(fd, mode="r", *args, **kwargs):
            if "w" in mode:
                return FailsOnClose(io.FileIO(fd, "w"))
            return real_fdopen(fd, mode, *args, **kwargs)

        monkeypatch.setattr(os, "fdopen", fdopen)

    with pytest.raises(CheckpointError) as info:
        save_checkpoint(path, net_at(1, 8))
    monkeypatch.undo()
    message = str(info.value)
    assert "\n" not in message and os.strerror(error) in message, message
    assert path.read_bytes() == before
    assert load_checkpoint(path).same_state(old)
    assert temporary_files(tmp_path, path) == []
    figures.count("simulated save failures")


def test_ctrl_c_halfway_through_a_save_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "run.npz"
    save_checkpoint(path, net_at(0, 8))
    before = path.read_bytes()
    real_savez = np.savez

    def interrupted(handle, **arrays):
        buffer = io.BytesIO()
        real_savez(buffer, **arrays)
        handle.write(buffer.getvalue()[:100])
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(path, net_at(1, 8))
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert temporary_files(tmp_path, path) == []


@pytest.mark.parametrize("error", [errno.EACCES, errno.EROFS, errno.ENOSPC])
@pytest.mark.parametrize("when", ["before training", "after training"])
def test_cli_train_save_failure_is_one_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys,
    error: int,
    when: str,
    figures: Figures,
) -> None:
    """`rnn-tui train --save` into a read-only directory, a read-only file system or a
    full disk (simulated at mkstemp): one line, the old checkpoint untouched. Found by
    the check before training: exit 2 and no work done; arising during the run (the
    disk filled up while it trained): exit 1 after training."""
    path = tmp_path / "run.npz"
    save_checkpoint(path, net_at(0, 16))
    before = path.read_bytes()
    real_mkstemp = tempfile.mkstemp
    calls = []

    def fail(*args, **kwargs):
        calls.append(args)
        if when == "after training" and len(calls) == 1:  # the check's probe succeeds
            return real_mkstemp(*args, **kwargs)
        raise OSError(error, os.strerror(error))

    monkeypatch.setattr(tempfile, "mkstemp", fail)
    status = cli.main(["train", "--iterations", "5", "--log-every", "1", "--save", str(path)])
    monkeypatch.undo()
    out, err = capsys.readouterr()
    if when == "before training":
        assert status == 2 and out == "" and len(calls) == 1
    else:
        assert status == 1 and out.count("Error:[") == 5 and len(calls) == 2
        assert "# saved to" not in out
    assert err.count("\n") == 1 and err.startswith("rnn-tui: error: cannot save checkpoint")
    assert os.strerror(error) in err
    assert path.read_bytes() == before
    assert temporary_files(tmp_path, path) == []
    figures.count("simulated CLI save failures")
