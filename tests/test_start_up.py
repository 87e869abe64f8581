"""The console command holds the garbage collector off while it loads, and lets it run
again before the long part of every command (tui/start_up.py)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import ROOT

from tui import cli, start_up


class FakeCollector:
    """Stands in for the gc module, so the test process's own collector is never frozen."""

    def __init__(self) -> None:
        self.enabled = True
        self.calls: list[str] = []

    def isenabled(self) -> bool:
        return self.enabled

    def disable(self) -> None:
        self.enabled = False
        self.calls.append("disable")

    def enable(self) -> None:
        self.enabled = True
        self.calls.append("enable")

    def freeze(self) -> None:
        self.calls.append("freeze")


@pytest.fixture
def collector(monkeypatch: pytest.MonkeyPatch) -> FakeCollector:
    fake = FakeCollector()
    monkeypatch.setattr(start_up, "gc", fake)
    monkeypatch.setattr(start_up, "_held", False)
    return fake


def test_loaded_does_nothing_unless_held(collector: FakeCollector) -> None:
    start_up.loaded()
    assert collector.calls == [] and collector.enabled


def test_hold_then_loaded_freezes_and_enables(collector: FakeCollector) -> None:
    start_up.hold()
    assert not collector.enabled
    start_up.loaded()
    assert collector.calls == ["disable", "freeze", "enable"]
    start_up.loaded()  # once only
    assert collector.calls == ["disable", "freeze", "enable"]


def test_a_collector_disabled_by_the_caller_is_left_alone(collector: FakeCollector) -> None:
    collector.enabled = False
    start_up.hold()
    start_up.loaded()
    assert collector.calls == [] and not collector.enabled


@pytest.mark.parametrize(
    "argv",
    [
        ["train", "--iterations", "3", "--quiet", "--kernel", "numpy"],
        ["gradcheck", "--hidden", "2"],
        [
            "sweep",
            "--hidden",
            "1",
            "--seeds",
            "0",
            "--iterations",
            "10",
            "--check-every",
            "5",
            "--workers",
            "1",
        ],
    ],
)
def test_every_command_lets_the_collector_run_again(
    collector: FakeCollector, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    start_up.hold()
    assert cli.main(argv) == 0, capsys.readouterr()
    assert collector.enabled and collector.calls == ["disable", "freeze", "enable"]


def test_eval_lets_the_collector_run_again(
    collector: FakeCollector, tmp_path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(tmp_path / "net.npz")
    assert cli.main(["train", "--iterations", "2", "--quiet", "--save", path]) == 0
    collector.calls.clear()
    start_up.hold()
    assert cli.main(["eval", "--load", path]) == 0, capsys.readouterr()
    assert collector.enabled and collector.calls == ["disable", "freeze", "enable"]


def test_the_real_command_trains_with_the_collector_back_on(tmp_path) -> None:
    """In a process of its own: the console command's entry point, then a look at gc."""
    code = (
        "import gc, sys\n"
        "from tui import cli\n"
        "cli._exit_now = lambda status: sys.exit(status)\n"
        "sys.argv = ['rnn-tui', 'train', '--iterations', '5', '--quiet', '--kernel', 'numpy']\n"
        "try:\n"
        "    cli.entry_point()\n"
        "except SystemExit as done:\n"
        "    assert done.code == 0, done.code\n"
        "print(gc.isenabled(), gc.get_freeze_count() > 1000)\n"
    )
    env = {"HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path / "state"), "PATH": "/usr/bin"}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "True"]


def test_train_runs_with_the_collector_back_on(
    collector: FakeCollector, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Not merely by the end: the training itself runs with the collector on."""
    import model.trainer

    seen: list[bool] = []
    real = model.trainer.train

    def watched(*args: object, **kwargs: object) -> int:
        seen.append(collector.enabled)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(model.trainer, "train", watched)
    start_up.hold()
    assert cli.main(["train", "--iterations", "3", "--quiet", "--kernel", "numpy"]) == 0
    assert seen and seen[-1] is True  # the last call is the run; warm_up's may come first


def test_the_app_runs_with_the_collector_back_on(
    collector: FakeCollector, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tui.app import RNNApp

    seen: list[bool] = []
    monkeypatch.setattr(RNNApp, "run", lambda self, **_: seen.append(collector.enabled))
    monkeypatch.setattr(cli, "_app_outcome", lambda app: 0)
    start_up.hold()
    assert cli.main(["--seed", "0"]) == 0
    assert seen == [True]
