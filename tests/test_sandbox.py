"""A served session's save and load prompts reach only its own folder (tui/sandbox.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui.parsing import parse_load_path, parse_save_path
from tui.sandbox import SANDBOX_VARIABLE, resolve_inside, sandbox_folder


@pytest.fixture
def box(tmp_path: Path) -> Path:
    """A session folder with a sub-folder, a file, and links in and out, beside a file
    outside it that an attacker would like to overwrite."""
    root = tmp_path / "session"
    (root / "runs").mkdir(parents=True)
    (root / "net.npz").write_bytes(b"inside")
    (tmp_path / "secret.npz").write_bytes(b"outside")
    (root / "out-file").symlink_to(tmp_path / "secret.npz")
    (root / "out-folder").symlink_to(tmp_path)
    (root / "dangling-out").symlink_to(tmp_path / "not-yet.npz")
    (root / "in-link").symlink_to(root / "net.npz")
    return root


def test_plain_names_resolve_inside_the_folder(box: Path) -> None:
    real = os.path.realpath(box)
    assert resolve_inside(str(box), "net.npz") == (os.path.join(real, "net.npz"), None)
    assert resolve_inside(str(box), "  runs/a.npz ") == (os.path.join(real, "runs", "a.npz"), None)
    assert resolve_inside(str(box), "./new.npz") == (os.path.join(real, "new.npz"), None)
    # a link that stays inside is followed to the file it names
    assert resolve_inside(str(box), "in-link") == (os.path.join(real, "net.npz"), None)
    # the app shows the last path it used in full: an absolute path inside is fine
    inside = os.path.join(real, "net.npz")
    assert resolve_inside(str(box), inside) == (inside, None)


@pytest.mark.parametrize(
    "typed, why",
    [
        ("/rnn-tui-test-not-here/passwd", "outside this session's folder"),
        ("~/x.npz", "its own folder"),
        ("~root/x.npz", "its own folder"),
        ("../secret.npz", "no '..'"),
        ("runs/../../secret.npz", "no '..'"),
        ("runs/../net.npz", "no '..'"),  # comes back inside, still refused: one simple rule
        ("out-file", "leads out"),
        ("out-folder/secret.npz", "leads out"),
        ("dangling-out", "leads out"),
        ("net\0.npz", "NUL"),
        ("", "type a file name"),
        ("   ", "type a file name"),
    ],
)
def test_everything_else_is_refused(box: Path, typed: str, why: str) -> None:
    path, refusal = resolve_inside(str(box), typed)
    assert path is None
    assert refusal is not None and why in refusal


def test_an_absolute_path_to_the_folder_from_outside_is_refused(box: Path, tmp_path: Path) -> None:
    assert resolve_inside(str(box), str(tmp_path / "secret.npz"))[0] is None
    # a sibling folder whose name starts with the session folder's name is outside too
    sibling = tmp_path / "session-other"
    sibling.mkdir()
    assert resolve_inside(str(box), str(sibling / "x.npz"))[0] is None


def test_the_folder_comes_from_the_environment() -> None:
    assert sandbox_folder({}) is None
    assert sandbox_folder({SANDBOX_VARIABLE: ""}) is None
    assert sandbox_folder({SANDBOX_VARIABLE: "/srv/x"}) == "/srv/x"


NAMES = st.lists(
    st.sampled_from(
        ["..", ".", "net.npz", "runs", "out-file", "out-folder", "in-link", "~", "", "x"]
    )
    | st.text(max_size=8),
    max_size=5,
).map("/".join)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)  # box is only read
@given(typed=NAMES, absolute=st.booleans())
def test_whatever_is_typed_the_result_is_inside(box: Path, typed: str, absolute: bool) -> None:
    text = ("/" + typed) if absolute else typed
    path, refusal = resolve_inside(str(box), text)
    assert (path is None) != (refusal is None)
    if path is not None:
        real = os.path.realpath(box)
        assert os.path.realpath(path) == path  # what is touched is what was checked
        assert path == real or path.startswith(real + os.sep)


# -- the app's prompts -----------------------------------------------------------------


def test_served_save_prompt_refuses_a_path_outside(box: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv(SANDBOX_VARIABLE, str(box))
    path, refusal = parse_save_path(str(tmp_path / "secret.npz"))
    assert path is None and refusal is not None and "outside" in refusal
    path, refusal = parse_save_path("../secret.npz")
    assert path is None and refusal is not None
    assert parse_save_path("out-file") == (None, resolve_inside(str(box), "out-file")[1])
    assert parse_save_path("mine.npz") == (os.path.join(os.path.realpath(box), "mine.npz"), None)
    assert parse_save_path("runs") == (None, "runs is a folder; type a file name")
    assert parse_save_path("nosuch/x.npz") == (None, "folder nosuch does not exist")


def test_served_load_prompt_refuses_a_path_outside(box: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv(SANDBOX_VARIABLE, str(box))
    assert parse_load_path(str(tmp_path / "secret.npz"))[0] is None
    assert parse_load_path("out-file")[0] is None
    assert parse_load_path("net.npz") == (os.path.join(os.path.realpath(box), "net.npz"), None)
    assert parse_load_path("gone.npz") == (None, "no file named gone.npz")


def test_outside_a_served_session_the_prompts_take_any_path(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv(SANDBOX_VARIABLE, raising=False)
    target = tmp_path / "elsewhere.npz"
    target.write_bytes(b"x")
    assert parse_load_path(str(target)) == (str(target), None)
    assert parse_save_path(str(target)) == (str(target), None)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert parse_load_path("~/elsewhere.npz") == (str(target), None)
