"""Saving never replaces what is not a regular file, and `train --save` checks first.

Issue 9, items 1 and 7: as root, `rnn-tui train --save ./n` on a device node (and on
/dev/null itself) replaced it with a regular file, as did a FIFO, a socket, a symlink
(the link, not its target). A read-only folder was found only after training. Every
special file here is made inside pytest's tmp_path, never at a system path.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import ROOT, run_cli

from model.checkpoint import CheckpointError, load_checkpoint, save_checkpoint, save_target
from model.config import RNNConfig
from model.network import RNN
from model.trainer import train

AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
needs_root = pytest.mark.skipif(not AS_ROOT, reason="mknod needs root")


def small_net(iterations: int = 5) -> RNN:
    net = RNN(RNNConfig(hidden=3, bits=4, seed=7))
    train(net, iterations)
    return net


def char_device(path: Path) -> Path:
    os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # what /dev/null is
    return path


def block_device(path: Path) -> Path:
    os.mknod(path, 0o660 | stat.S_IFBLK, os.makedev(7, 0))  # what /dev/loop0 is
    return path


def fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def directory(path: Path) -> Path:
    path.mkdir()
    return path


@pytest.fixture
def unix_socket(tmp_path: Path) -> Iterator[Callable[[Path], Path]]:
    opened: list[socket.socket] = []

    def make(path: Path) -> Path:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind(str(path))
        opened.append(sock)
        return path

    yield make
    for sock in opened:
        sock.close()


def identity(path: Path) -> tuple[int, int, int]:
    info = os.lstat(path)
    return info.st_mode, info.st_rdev, info.st_ino


SPECIAL = [
    pytest.param(char_device, "a character device", marks=needs_root, id="char-device"),
    pytest.param(block_device, "a block device", marks=needs_root, id="block-device"),
    pytest.param(fifo, "a FIFO (named pipe)", id="fifo"),
    pytest.param(directory, "a directory", id="directory"),
    pytest.param(None, "a socket", id="socket"),
]


def make_special(
    kind: Callable[[Path], Path] | None, path: Path, unix_socket: Callable[[Path], Path]
) -> Path:
    return unix_socket(path) if kind is None else kind(path)


@pytest.mark.parametrize(("kind", "words"), SPECIAL)
def test_save_refuses_a_special_file_and_leaves_it_alone(
    tmp_path: Path, kind, words: str, unix_socket
) -> None:
    target = make_special(kind, tmp_path / "n", unix_socket)
    before = identity(target)
    with pytest.raises(CheckpointError) as info:
        save_checkpoint(target, small_net())
    message = str(info.value)
    assert message == (
        f"cannot save checkpoint {str(target)!r}: it is {words}, "
        "and a save only ever replaces a regular file"
    )
    assert identity(target) == before
    assert [p.name for p in tmp_path.iterdir()] == ["n"]  # no temporary file left


@pytest.mark.parametrize(("kind", "words"), SPECIAL)
def test_save_refuses_a_special_file_behind_a_symlink(
    tmp_path: Path, kind, words: str, unix_socket
) -> None:
    target = make_special(kind, tmp_path / "n", unix_socket)
    link = tmp_path / "link.npz"
    link.symlink_to("n")
    before = identity(target)
    with pytest.raises(CheckpointError, match=re.escape(f"it is {words}")):
        save_checkpoint(link, small_net())
    assert identity(target) == before and link.is_symlink()


def test_save_through_a_symlink_writes_its_target_and_keeps_the_link(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    first = small_net(5)
    save_checkpoint(tmp_path / "real" / "run.npz", first)
    link = tmp_path / "latest.npz"
    link.symlink_to(Path("real") / "run.npz")  # relative, as `ln -s` usually makes them
    second = small_net(9)
    save_checkpoint(link, second)
    assert link.is_symlink() and os.readlink(link) == os.path.join("real", "run.npz")
    assert load_checkpoint(tmp_path / "real" / "run.npz").same_state(second)
    # the temporary file was made beside the target, and is gone
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest.npz", "real"]
    assert [p.name for p in (tmp_path / "real").iterdir()] == ["run.npz"]


def test_save_through_a_chain_of_links_and_a_dangling_link(tmp_path: Path) -> None:
    (tmp_path / "b").symlink_to("c.npz")  # c.npz does not exist yet
    (tmp_path / "a").symlink_to("b")
    net = small_net()
    save_checkpoint(tmp_path / "a", net)
    assert (tmp_path / "a").is_symlink() and (tmp_path / "b").is_symlink()
    assert load_checkpoint(tmp_path / "c.npz").same_state(net)


def test_save_refuses_a_symlink_loop(tmp_path: Path) -> None:
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("a")
    with pytest.raises(CheckpointError, match="cannot save checkpoint"):
        save_checkpoint(tmp_path / "a", small_net())
    assert (tmp_path / "a").is_symlink() and (tmp_path / "b").is_symlink()


def test_save_keeps_the_mode_of_a_file_replaced_through_a_link(tmp_path: Path) -> None:
    save_checkpoint(tmp_path / "run.npz", small_net())
    (tmp_path / "run.npz").chmod(0o640)
    (tmp_path / "link").symlink_to("run.npz")
    save_checkpoint(tmp_path / "link", small_net(8))
    assert stat.S_IMODE(os.stat(tmp_path / "run.npz").st_mode) == 0o640


def test_save_target_probe_finds_a_missing_folder_and_a_file_as_folder(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(CheckpointError, match="does not exist"):
        save_target(tmp_path / "missing" / "x.npz", probe=True)
    with pytest.raises(CheckpointError, match="Not a directory"):
        save_target(tmp_path / "notes.txt" / "x.npz", probe=True)
    with pytest.raises(CheckpointError, match="no file name"):
        save_target("", probe=True)
    assert save_target(tmp_path / "x.npz", probe=True) == str(tmp_path / "x.npz")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]  # the probe is gone


# ------------------------------------------------------------------ rnn-tui train --save


def refused_before_training(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert result.stdout == "", "it trained (printed progress) before refusing"
    assert result.stderr.startswith("rnn-tui: error: ") and result.stderr.count("\n") == 1
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


TRAIN = ("train", "--iterations", "200", "--log-every", "1")


@pytest.mark.parametrize(("kind", "words"), SPECIAL)
def test_train_save_refuses_a_special_file_before_training(
    tmp_path: Path, kind, words: str, unix_socket
) -> None:
    target = make_special(kind, tmp_path / "n", unix_socket)
    before = identity(target)
    refused_before_training(run_cli(*TRAIN, "--save", str(target)), f"it is {words}")
    assert identity(target) == before


def test_train_save_through_a_symlink_writes_its_target(tmp_path: Path) -> None:
    link = tmp_path / "latest.npz"
    link.symlink_to("run.npz")
    result = run_cli("train", "--iterations", "30", "--quiet", "--save", str(link))
    assert result.returncode == 0, result.stderr
    assert link.is_symlink()
    assert load_checkpoint(tmp_path / "run.npz").iteration == 30


@pytest.mark.parametrize(
    ("where", "fragment"),
    [
        ("missing/x.npz", "does not exist"),
        ("notes.txt/x.npz", "Not a directory"),
        ("", "no file name"),
    ],
)
def test_train_save_refuses_an_impossible_folder_before_training(
    tmp_path: Path, where: str, fragment: str
) -> None:
    (tmp_path / "notes.txt").write_text("x")
    path = str(tmp_path / where) if where else ""
    refused_before_training(run_cli(*TRAIN, "--save", path), fragment)


def _read_only_bind_works(folder: Path) -> bool:
    if shutil.which("unshare") is None:
        return False
    script = 'mount --bind -o ro "$1" "$1" && ! touch "$1/p"'
    probe = subprocess.run(
        ["unshare", "-rm", "sh", "-c", script, "sh", str(folder)],
        capture_output=True,
        timeout=30,
    )
    return probe.returncode == 0 and not (folder / "p").exists()


def test_train_save_refuses_a_read_only_folder_before_training(tmp_path: Path) -> None:
    # chmod does not stop root, so the folder is made read-only for real: a read-only
    # bind mount of it, in a private mount namespace (nothing leaks to the machine's).
    folder = tmp_path / "ro"
    folder.mkdir()
    if not _read_only_bind_works(folder):
        pytest.skip("cannot make a read-only bind mount here (needs unshare and mount)")
    script = 'mount --bind -o ro "$1" "$1" && shift && exec "$@"'
    command = [sys.executable, "-m", "tui", *TRAIN, "--save", str(folder / "x.npz")]
    result = subprocess.run(
        ["unshare", "-rm", "sh", "-c", script, "sh", str(folder), *command],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    refused_before_training(result, "is not writable (Read-only file system)")
    assert list(folder.iterdir()) == []


def test_train_refuses_csv_and_save_naming_one_file(tmp_path: Path) -> None:
    (tmp_path / "alias").symlink_to("run.npz")
    result = run_cli(*TRAIN, "--save", str(tmp_path / "run.npz"), "--csv", str(tmp_path / "alias"))
    refused_before_training(result, "--csv and --save name the same file")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["alias"]


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        pytest.param(block_device, "a block device", marks=needs_root, id="block-device"),
        pytest.param(directory, "a directory", id="directory"),
        pytest.param(None, "a socket", id="socket"),
    ],
)
def test_train_csv_refuses_a_disk_a_directory_or_a_socket(
    tmp_path: Path, kind, words: str, unix_socket
) -> None:
    target = make_special(kind, tmp_path / "n", unix_socket)
    before = identity(target)
    refused_before_training(run_cli(*TRAIN, "--csv", str(target)), f"it is {words}")
    assert identity(target) == before


@needs_root
def test_train_csv_may_be_a_character_device(tmp_path: Path) -> None:
    # a CSV is written in place, never renamed over its target: /dev/null-like is fine
    target = char_device(tmp_path / "null")
    before = identity(target)
    result = run_cli("train", "--iterations", "20", "--quiet", "--csv", str(target))
    assert result.returncode == 0 and result.stderr == ""
    assert identity(target) == before
