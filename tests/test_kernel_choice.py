"""Choosing the kernel (model/kernel_choice.py): the self-check, its cached verdict, and the
fallback to numpy with one clear line. These run without numba: a missing numba is
simulated, and a compiled kernel that differs by one bit is a stand-in module."""

from __future__ import annotations

import asyncio
import json
import sys
import types
from pathlib import Path

import numpy as np
import pytest
from conftest import PUBLISHED_TRACE, blocks_of

from model import kernel_choice
from model.cells.rnn import IterationKernel
from model.config import RNNConfig
from model.encoding import problem_bits
from model.network import Network
from model.trainer import train
from tui.cli import main


def hide_numba(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "numba", None)  # `import numba` raises ImportError


def stand_in_compiled_kernel(
    monkeypatch: pytest.MonkeyPatch, *, off_by_one_bit: bool, gated_off_by_one_bit: bool = False
) -> None:
    """numba "installed", and compiled kernels (RNN; LSTM and GRU) that are the numpy
    kernels (or they, with the last weight of every chunk one ulp off)."""

    def stand_in(off: bool) -> type:
        class StandIn:
            def __init__(self, kernel: IterationKernel) -> None:
                self.kernel = kernel

            def run_chunk(self, net: Network, X: np.ndarray, Y: np.ndarray):  # type: ignore[no-untyped-def]
                errors = np.array([self.kernel.run(net, X[i], Y[i]) for i in range(len(X))])
                if off:
                    net.params[-1] = np.nextafter(net.params[-1], np.inf)
                return errors, np.zeros((len(X), net.bits), dtype=np.uint8)

        return StandIn

    for name in ("numba", "llvmlite"):
        module = types.ModuleType(name)
        module.__version__ = "0.0-stand-in"  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, name, module)
    runner = types.ModuleType("model.compiled.runner")
    runner.CompiledRNN = stand_in(off_by_one_bit)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "model.compiled.runner", runner)
    gated = types.ModuleType("model.compiled.gated_runner")
    gated.CompiledGated = stand_in(gated_off_by_one_bit)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "model.compiled.gated_runner", gated)


@pytest.fixture(autouse=True)
def _verdicts_in_a_temporary_folder(monkeypatch, tmp_path) -> None:
    """The stand-ins' verdicts never land beside the real compiled loop's cache."""
    monkeypatch.setattr(kernel_choice, "_verdict_dir", lambda: str(tmp_path / "verdicts"))


def verdict_file() -> Path:
    return Path(kernel_choice._verdict_dir()) / kernel_choice.VERDICT_FILE


def test_numpy_asked_for_is_numpy_without_a_check(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kernel_choice, "self_check", lambda: pytest.fail("no check needed"))
    status = kernel_choice.choose("numpy")
    assert (status.name, status.note, status.line) == ("numpy", "", "kernel numpy")


def test_without_numba_numpy_is_used_and_the_line_says_why(monkeypatch) -> None:
    hide_numba(monkeypatch)
    status = kernel_choice.choose("compiled")
    assert status.name == "numpy"
    assert status.line == (
        "kernel numpy (compiled kernel not used: numba is not installed "
        "(pip install 'rnn-tui[fast]'))"
    )
    assert kernel_choice.chunk_runner(IterationKernel(16, 8)) is None


def test_a_kernel_one_bit_off_fails_the_self_check_and_numpy_trains(monkeypatch) -> None:
    stand_in_compiled_kernel(monkeypatch, off_by_one_bit=True)
    status = kernel_choice.choose("auto")
    assert status.name == "numpy"
    assert (
        status.note
        == "it differs from the numpy kernel on this machine (hidden 1, 8 bits, alpha 0.1)"
    )
    net, twin = Network(RNNConfig()), Network(RNNConfig())
    train(net, 300)  # by numpy: the stand-in, one bit off, never runs
    kernel = IterationKernel(16, 8)
    for _ in range(300):
        X, Y = problem_bits(*twin.draw_examples(1), 8)
        kernel.run(twin, X[0], Y[0])
    assert net.same_state(twin)


def test_a_kernel_that_agrees_is_used_and_the_verdict_is_kept(monkeypatch) -> None:
    stand_in_compiled_kernel(monkeypatch, off_by_one_bit=False)
    checks = []
    real_check = kernel_choice.self_check
    monkeypatch.setattr(kernel_choice, "self_check", lambda: checks.append(1) or real_check())
    assert kernel_choice.choose("auto").line == "kernel compiled"
    assert json.loads(verdict_file().read_text())["problem"] == ""
    assert json.loads(verdict_file().read_text())["gated"] == ""
    assert kernel_choice.compiled_for("lstm") and kernel_choice.compiled_for("gru")
    assert kernel_choice.choose("compiled").name == "compiled"
    assert len(checks) == 1  # the second start trusts the kept verdict
    sys.modules["numba"].__version__ = "0.1-another"  # type: ignore[attr-defined]
    assert kernel_choice.choose("compiled").name == "compiled"
    assert len(checks) == 2  # another numba: checked again


def test_a_failed_verdict_is_kept_too_and_a_damaged_file_means_a_new_check(monkeypatch) -> None:
    stand_in_compiled_kernel(monkeypatch, off_by_one_bit=True)
    checks = []
    real_check = kernel_choice.self_check
    monkeypatch.setattr(kernel_choice, "self_check", lambda: checks.append(1) or real_check())
    first = kernel_choice.choose("compiled")
    assert kernel_choice.choose("compiled") == first and len(checks) == 1
    verdict_file().write_text("{not json")
    assert kernel_choice.choose("compiled") == first and len(checks) == 2


def test_a_gated_loop_one_bit_off_leaves_the_lstm_and_gru_to_numpy_not_the_rnn(
    monkeypatch,
) -> None:
    from model.cells import gru, lstm

    stand_in_compiled_kernel(monkeypatch, off_by_one_bit=False, gated_off_by_one_bit=True)
    status = kernel_choice.choose("auto")
    why = "it differs from the numpy kernel on this machine (the LSTM, hidden 1, 8 bits, alpha 0.1)"
    assert (status.name, status.note, status.gated_note) == ("compiled", "", why)
    assert kernel_choice.compiled_for("rnn")
    assert not kernel_choice.compiled_for("lstm") and not kernel_choice.compiled_for("gru")
    assert kernel_choice.chunk_runner(IterationKernel(3, 8)) is not None
    assert kernel_choice.chunk_runner(lstm.IterationKernel(3, 8)) is None
    assert kernel_choice.chunk_runner(gru.IterationKernel(3, 8)) is None
    assert status.line_for(["rnn"]) == "kernel compiled"
    assert status.line_for(["gru"]) == (
        f"kernel numpy (compiled kernel not used for the GRU: {why})"
    )
    assert status.line_for(["rnn", "lstm", "gru"]) == (
        f"kernel compiled for the RNN, numpy for the LSTM and GRU (compiled kernel not used: {why})"
    )
    assert kernel_choice.choose("auto") == status  # the kept verdict says the same
    assert json.loads(verdict_file().read_text())["gated"] == why


def test_asked_for_compiled_a_cell_it_cannot_train_is_said_on_stderr(monkeypatch, capsys) -> None:
    stand_in_compiled_kernel(monkeypatch, off_by_one_bit=False, gated_off_by_one_bit=True)
    assert main(["train", "--cell", "gru", "--iterations", "10", "--kernel", "compiled"]) == 0
    captured = capsys.readouterr()
    assert captured.err == (
        "rnn-tui: kernel numpy (compiled kernel not used for the GRU: it differs from the"
        " numpy kernel on this machine (the LSTM, hidden 1, 8 bits, alpha 0.1))\n"
    )
    assert "# kernel numpy (compiled kernel not used for the GRU" in captured.out
    assert main(["train", "--iterations", "10", "--kernel", "compiled", "--quiet"]) == 0
    assert capsys.readouterr().err == ""  # the RNN's loop agreed: nothing to say


def test_without_numba_every_cell_trains_with_numpy_and_says_why(monkeypatch) -> None:
    hide_numba(monkeypatch)
    status = kernel_choice.choose("auto")
    for cells in (["rnn"], ["lstm"], ["rnn", "gru"]):
        assert status.line_for(cells) == status.line
        assert status.line.startswith("kernel numpy (compiled kernel not used: numba is not")
    assert not any(kernel_choice.compiled_for(cell) for cell in ("rnn", "lstm", "gru"))


def test_a_crash_in_the_compiled_kernel_is_a_failed_check_not_a_crash(monkeypatch) -> None:
    stand_in_compiled_kernel(monkeypatch, off_by_one_bit=False)

    def broken(self, net, X, Y):  # type: ignore[no-untyped-def]
        raise RuntimeError("symbol scipy_cblas_ddot64_ not found\nsecond line")

    monkeypatch.setattr(sys.modules["model.compiled.runner"].CompiledRNN, "run_chunk", broken)
    status = kernel_choice.choose("compiled")
    assert status.name == "numpy"
    assert status.note == (
        "its self-check failed: RuntimeError: symbol scipy_cblas_ddot64_ not found second line"
    )


def test_an_unwritable_state_folder_only_means_checking_again(monkeypatch, tmp_path) -> None:
    stand_in_compiled_kernel(monkeypatch, off_by_one_bit=False)
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    assert kernel_choice.choose("compiled", state_dir=str(blocker / "sub")).name == "compiled"


def test_train_asked_for_compiled_without_numba_says_so_once_and_prints_the_trace(
    monkeypatch, capsys
) -> None:
    hide_numba(monkeypatch)
    assert main(["train", "--kernel", "compiled", "--iterations", "2000"]) == 0
    out, err = capsys.readouterr()
    line = (
        "kernel numpy (compiled kernel not used: numba is not installed "
        "(pip install 'rnn-tui[fast]'))"
    )
    assert err == f"rnn-tui: {line}\n"
    assert f"# {line}\n" in out
    assert blocks_of(out) == blocks_of(PUBLISHED_TRACE)[:2]


def test_train_on_auto_without_numba_is_quiet_on_stderr(monkeypatch, capsys) -> None:
    hide_numba(monkeypatch)
    assert main(["train", "--iterations", "10", "--log-every", "5"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert "# kernel numpy (compiled kernel not used: numba is not installed" in out


def test_a_bad_kernel_name_is_one_line_and_status_2(capsys) -> None:
    assert main(["train", "--kernel", "fast"]) == 2
    _, err = capsys.readouterr()
    assert err == (
        "rnn-tui: error: argument --kernel: kernel must be one of auto, numpy, compiled, "
        "got 'fast'\n"
    )


def test_a_sweep_names_its_kernel(monkeypatch, capsys) -> None:
    hide_numba(monkeypatch)
    argv = [
        "sweep",
        "--seeds",
        "0-1",
        "--iterations",
        "200",
        "--check-every",
        "100",
        "--workers",
        "1",
    ]
    assert main([*argv, "--kernel", "numpy"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "# kernel numpy"


async def check_status_names_the_kernel(monkeypatch, cell: str, expected: str) -> None:
    """While the app trains, the status panel's phase line names the kernel."""
    from screen import PacedTraining, screen_text, workers_done

    from tui.app import RNNApp

    paced = PacedTraining(monkeypatch)
    app = RNNApp(Network(RNNConfig(cell=cell)))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("plus", "plus", "t")  # N = 100,000
        await paced.take(pilot)
        await paced.take(pilot)  # held two frames in: still training
        assert f"phase training ({expected})" in screen_text(app)
        await pilot.press("escape")
        await workers_done(app)
        await pilot.pause()
        assert "phase training" not in screen_text(app)


async def test_the_status_panel_names_the_numpy_kernel_while_training(monkeypatch) -> None:
    kernel_choice.choose("numpy")
    await check_status_names_the_kernel(monkeypatch, "rnn", "numpy")


async def test_with_the_gated_loop_not_passed_the_gru_trains_with_numpy(monkeypatch) -> None:
    kernel_choice.adopt(kernel_choice.KernelStatus("compiled", "compiled", gated_note="differs"))
    await check_status_names_the_kernel(monkeypatch, "gru", "numpy")


async def test_the_app_chooses_auto_after_its_screen_is_up_and_trains_alike(monkeypatch) -> None:
    """`rnn-tui` (auto) opens its screen before numba is imported: the choice and the
    compiled loop's loading run in a worker. A run trained before the choice (numpy) and
    after it (here a stand-in compiled kernel) are the same run."""
    from screen import screen_text, workers_done

    from tui.app import RNNApp

    stand_in_compiled_kernel(monkeypatch, off_by_one_bit=False)
    kernel_choice.adopt(kernel_choice.KernelStatus("numpy", "numpy"))
    chosen = []
    real_choose = kernel_choice.choose

    def choose(requested: str, **kwargs: object) -> kernel_choice.KernelStatus:
        chosen.append((requested, app.main.is_mounted and "iteration 0" in screen_text(app)))
        return real_choose(requested, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(kernel_choice, "choose", choose)
    app = RNNApp(Network(RNNConfig()), kernel="auto")
    async with app.run_test(size=(80, 24)) as pilot:
        assert await asyncio.to_thread(app.kernel_chosen.wait, 60)
        assert chosen == [("auto", True)], "chosen before the screen was drawn"
        assert kernel_choice.active() == kernel_choice.KernelStatus("auto", "compiled")
        await pilot.press("t")
        await workers_done(app)
        assert "iteration 1,000" in screen_text(app)
    reference = Network(RNNConfig())
    kernel_choice.adopt(kernel_choice.KernelStatus("numpy", "numpy"))
    train(reference, 1000)
    assert np.array_equal(app.session.net.params, reference.params)


def test_the_command_line_app_leaves_auto_to_the_app(monkeypatch, tmp_path) -> None:
    """No numba import before the screen for `rnn-tui` (auto); `--kernel numpy` is chosen
    at once."""
    from tui.app import RNNApp

    opened: list[str] = []

    def run(self: RNNApp, **_: object) -> None:
        opened.append(self.kernel_wanted)

    monkeypatch.setattr(RNNApp, "run", run)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    hide_numba(monkeypatch)  # an import before the screen would find no numba and say so
    kernel_choice.adopt(kernel_choice.KernelStatus("numpy", "numpy"))
    main([])
    assert opened == ["auto"]
    assert kernel_choice.active().requested == "numpy"  # untouched: nobody chose yet
    main(["--kernel", "numpy"])
    assert opened == ["auto", ""]


async def test_quitting_never_waits_for_the_kernel_choice(monkeypatch) -> None:
    """A machine's first start compiles for seconds: q during it quits at once. The
    interpreter waits at exit for every thread but daemon ones (a thread worker made
    quitting at a first start take 7 s), so the choice runs in a daemon thread."""
    import threading

    from tui.app import RNNApp

    release, entered = threading.Event(), threading.Event()
    daemon: list[bool] = []

    def slow_choose(requested: str, **_: object) -> kernel_choice.KernelStatus:
        daemon.append(threading.current_thread().daemon)
        entered.set()
        release.wait(60)
        return kernel_choice.active()

    monkeypatch.setattr(kernel_choice, "choose", slow_choose)
    app = RNNApp(Network(RNNConfig()), kernel="auto")
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            assert await asyncio.to_thread(entered.wait, 60)
            await pilot.press("q")
        assert not app.kernel_chosen.is_set()  # still choosing, and the app has ended
        assert daemon == [True]
        assert app.return_code in (0, None)
    finally:
        release.set()
    assert await asyncio.to_thread(app.kernel_chosen.wait, 60)


def test_a_run_started_on_numpy_goes_on_compiled_once_chosen(monkeypatch) -> None:
    """The app's choice lands while a run may already be training: its later chunks
    train compiled (here the stand-in), and the run is the same run."""
    stand_in_compiled_kernel(monkeypatch, off_by_one_bit=False)
    kernel_choice.adopt(kernel_choice.KernelStatus("numpy", "numpy"))
    net, chunks = Network(RNNConfig()), []

    def on_chunk(report: object) -> None:
        chunks.append(kernel_choice.active().name)
        if len(chunks) == 3:
            kernel_choice.choose("auto")  # what the app's thread does, mid-run

    ran: list[int] = []
    import model.trainer as trainer

    real = trainer._compiled_chunk

    def counted(*args: object) -> object:
        ran.append(1)
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(trainer, "_compiled_chunk", counted)
    train(net, 400, on_chunk=on_chunk, chunk=50)
    assert chunks[:3] == ["numpy"] * 3 and chunks[3:] == ["compiled"] * 5
    assert len(ran) == 5  # every chunk after the choice went to the compiled loop
    reference = Network(RNNConfig())
    kernel_choice.adopt(kernel_choice.KernelStatus("numpy", "numpy"))
    train(reference, 400)
    assert np.array_equal(net.params, reference.params)
