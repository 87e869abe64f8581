"""The compiled LSTM and GRU loops (model/compiled/gated_loop.py) against their numpy
kernels, bit for bit: weights, every iteration's error and rounded outputs, the random
stream, and every buffer the kernel leaves; and everything that trains with them.

Marked `compiled`: without numba these are deselected (tests/conftest.py)."""

from __future__ import annotations

import itertools
import subprocess
import sys

import numpy as np
import pytest
from cell_reference import run_cell
from conftest import ROOT, run_cli

from model import kernel_choice
from model.cells import cell_module
from model.config import RNNConfig
from model.encoding import problem_bits
from model.network import Network
from model.trainer import train

pytestmark = pytest.mark.compiled

CELLS = ("lstm", "gru")


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def by_numpy(config: RNNConfig, count: int) -> tuple[Network, np.ndarray, np.ndarray, object]:
    net = Network(config)
    kernel = cell_module(config.cell).IterationKernel(config.hidden, config.bits)
    X, Y = problem_bits(*net.draw_examples(count), config.bits)
    errors, predicted = np.empty(count), np.empty((count, config.bits), dtype=np.uint8)
    with np.errstate(all="ignore"):
        for i in range(count):
            errors[i] = kernel.run(net, X[i], Y[i])
            predicted[i] = kernel.predicted_bits()
    return net, errors, predicted, kernel


def by_compiled(
    config: RNNConfig, count: int, chunk: int
) -> tuple[Network, np.ndarray, np.ndarray, object]:
    from model.compiled.gated_runner import CompiledGated

    net = Network(config)
    runner = CompiledGated(cell_module(config.cell).IterationKernel(config.hidden, config.bits))
    errors, predicted = [], []
    for start in range(0, count, chunk):
        X, Y = problem_bits(*net.draw_examples(min(chunk, count - start)), config.bits)
        e, p = runner.run_chunk(net, X, Y)
        errors.append(e)
        predicted.append(p)
    return net, np.concatenate(errors), np.concatenate(predicted), runner.kernel


# every hidden size x bits x alpha x init, for both cells; the seed varies along the grid
GRID = [
    RNNConfig(cell=cell, seed=k % 7, hidden=hidden, bits=bits, alpha=alpha, init=init)
    for k, (cell, hidden, bits, alpha, init) in enumerate(
        itertools.product(
            CELLS, (1, 2, 3, 8, 16, 33, 64), (2, 8, 32), (0.1, 5.0), ((-1.0, 1.0), (0.0, 2.0))
        )
    )
]


def assert_same_training(config: RNNConfig, count: int, chunk: int) -> None:
    net_n, errors_n, predicted_n, kernel_n = by_numpy(config, count)
    net_c, errors_c, predicted_c, kernel_c = by_compiled(config, count, chunk)
    assert same_bits(net_n.params, net_c.params)
    assert same_bits(errors_n, errors_c)
    assert np.array_equal(predicted_n, predicted_c)
    assert net_n.same_state(net_c)  # iteration and the random stream too
    assert net_n.rng.randint(2**31) == net_c.rng.randint(2**31)
    buffers = [
        name
        for name, v in vars(kernel_n).items()
        if isinstance(v, np.ndarray) and name not in kernel_n.temporaries  # type: ignore[attr-defined]
    ]
    assert len(buffers) > 30  # states, gates, deltas, gradient rows, scratch rows
    for name in buffers:
        assert same_bits(getattr(kernel_n, name), getattr(kernel_c, name)), name
    assert kernel_n.overall_error == kernel_c.overall_error  # type: ignore[attr-defined]
    for view in ("states", "deltas"):
        numpy_rows, compiled_rows = getattr(kernel_n, view)(), getattr(kernel_c, view)()
        for name, rows in numpy_rows.items():
            assert same_bits(rows, compiled_rows[name]), (view, name)


@pytest.mark.parametrize("config", GRID, ids=str)
def test_compiled_gated_equals_the_numpy_kernel_bit_for_bit(config: RNNConfig) -> None:
    count = 90 if config.hidden < 33 else 40
    assert_same_training(config, count, chunk=37)  # several chunks, an uneven last one


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_longer_runs_at_16_units_stay_identical(cell: str, seed: int) -> None:
    assert_same_training(RNNConfig(cell=cell, seed=seed, hidden=16), 1500, chunk=500)


@pytest.mark.parametrize("cell", CELLS)
def test_a_chunked_run_equals_one_call(cell: str) -> None:
    config = RNNConfig(cell=cell, seed=3, hidden=5, bits=8, alpha=0.5)
    runs = [by_compiled(config, 300, chunk) for chunk in (300, 1, 7, 64)]
    one_call = runs[0]
    for net, errors, predicted, kernel in runs[1:]:
        assert same_bits(net.params, one_call[0].params)
        assert same_bits(errors, one_call[1])
        assert np.array_equal(predicted, one_call[2])
        assert net.same_state(one_call[0])
        assert same_bits(kernel.last_update, one_call[3].last_update)  # type: ignore[attr-defined]


@pytest.mark.parametrize("cell", CELLS)
def test_training_with_the_compiled_kernel_is_the_plain_reference(cell: str) -> None:
    assert kernel_choice.choose("compiled").name == "compiled"
    assert kernel_choice.compiled_for(cell)
    net = Network(RNNConfig(cell=cell, seed=4, hidden=16))
    errors: list[float] = []
    train(net, 600, on_chunk=lambda chunk: errors.extend(chunk.errors))
    plain = run_cell(cell, 600, seed=4, hidden=16)
    for name in ("synapse_0", "synapse_1", "synapse_h", "bias"):
        assert same_bits(getattr(net, name), getattr(plain, name)), name
    assert errors == plain.errors


@pytest.mark.parametrize("cell", CELLS)
def test_the_log_reports_and_chunking_are_the_numpy_kernels(cell: str) -> None:
    runs = {}
    for kernel in ("numpy", "compiled"):
        kernel_choice.choose(kernel)
        net, reports, errors = Network(RNNConfig(cell=cell, hidden=5)), [], []
        train(
            net,
            1200,
            log_every=7,
            on_log=reports.append,
            on_chunk=lambda c, e=errors: e.extend(c.errors),  # type: ignore[misc]
            chunk=250,
        )
        runs[kernel] = (net.params.tobytes(), reports, errors, net.rng.randint(2**31))
    assert runs["numpy"] == runs["compiled"]
    assert len(runs["compiled"][1]) == 172  # j = 0, 7, ..., 1197


def test_the_gated_self_check_passes_here_and_a_one_bit_difference_fails_only_it(
    monkeypatch,
) -> None:
    assert kernel_choice.gated_self_check() == ""
    from model.compiled.gated_runner import CompiledGated

    real = CompiledGated.run_chunk

    def one_bit_off(self, net, X, Y):  # type: ignore[no-untyped-def]
        out = real(self, net, X, Y)
        if net.cell == "gru":
            net.params[0] = np.nextafter(net.params[0], np.inf)
        return out

    monkeypatch.setattr(CompiledGated, "run_chunk", one_bit_off)
    assert kernel_choice.gated_self_check() == (
        "it differs from the numpy kernel on this machine (the GRU, hidden 1, 8 bits, alpha 0.1)"
    )
    assert kernel_choice.self_check() == ""  # the RNN's loop is judged on its own


@pytest.mark.parametrize("cell", CELLS)
def test_with_the_gated_loop_not_passed_numpy_trains_the_same_bits(cell: str) -> None:
    kernel_choice.adopt(kernel_choice.KernelStatus("compiled", "compiled", gated_note="x"))
    kernel = cell_module(cell).IterationKernel(4, 8)
    assert kernel_choice.chunk_runner(kernel) is None  # the fallback: numpy's kernel
    net = Network(RNNConfig(cell=cell, hidden=4))
    train(net, 400, kernel=kernel)
    kernel_choice.choose("compiled")
    twin = Network(RNNConfig(cell=cell, hidden=4))
    assert kernel_choice.chunk_runner(cell_module(cell).IterationKernel(4, 8)) is not None
    train(twin, 400)
    assert same_bits(net.params, twin.params) and net.same_state(twin)


def test_the_loops_release_the_gil_and_are_cached_on_disk() -> None:
    from model.compiled import gated_loop

    for loop in (gated_loop.lstm_chunk, gated_loop.gru_chunk):
        assert loop.targetoptions["nogil"] is True
    code = (
        "from model.compiled import gated_loop\n"
        "from model import kernel_choice\n"
        "from model.network import Network\nfrom model.config import RNNConfig\n"
        "from model.trainer import train\n"
        "kernel_choice.adopt(kernel_choice.KernelStatus('compiled', 'compiled'))\n"
        "for cell in ('lstm', 'gru'):\n"
        "    train(Network(RNNConfig(cell=cell)), 10)\n"
        "loops = (gated_loop.lstm_chunk, gated_loop.gru_chunk)\n"
        "print(sum(sum(f.stats.cache_hits.values()) for f in loops),"
        " sum(sum(f.stats.cache_misses.values()) for f in loops))\n"
    )
    for _ in range(2):  # the first may compile (a fresh checkout); the second never does
        run = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
        )
    assert run.stdout.split() == ["2", "0"]


@pytest.mark.parametrize("cell", CELLS)
def test_train_on_the_command_line_names_the_compiled_kernel_and_saves_numpys_weights(
    cell: str, tmp_path
) -> None:
    outputs = {}
    for kernel in ("numpy", "compiled"):
        result = run_cli(
            "train", "--cell", cell, "--kernel", kernel, "--hidden", "7", "--iterations",
            "2000", "--save", str(tmp_path / f"{kernel}.npz"),
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert result.stderr == ""
        assert f"# kernel {kernel}\n" in result.stdout
        outputs[kernel] = [line for line in result.stdout.splitlines() if line[:1] != "#"]
    assert outputs["numpy"] == outputs["compiled"]
    numpy_file, compiled_file = (np.load(tmp_path / f"{k}.npz") for k in ("numpy", "compiled"))
    for name in numpy_file.files:
        assert np.array_equal(numpy_file[name], compiled_file[name]), name


def test_a_gated_sweep_gives_the_numpy_sweeps_results_and_names_the_kernel() -> None:
    from model.sweep import SweepPlan, run_sweep

    plan = SweepPlan(
        cells=("rnn", "lstm", "gru"), hiddens=(3, 16), inits=((-1.0, 1.0),), alpha=0.5,
        bits=8, seeds=(0, 1), iterations=1500, check_every=500,
    )  # fmt: skip
    results = {}
    for kernel in ("numpy", "compiled"):
        kernel_choice.choose(kernel)
        results[kernel] = run_sweep(plan)
    assert results["numpy"] == results["compiled"]
    result = run_cli(
        "sweep", "--cell", "lstm,gru", "--kernel", "compiled", "--seeds", "0-1",
        "--iterations", "300", "--check-every", "100", "--workers", "1",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "# kernel compiled"


@pytest.mark.parametrize("cell", CELLS)
def test_the_session_trains_and_goes_back_exactly_as_with_numpy(cell: str) -> None:
    from tui.session import Session

    seen = {}
    for kernel in ("numpy", "compiled"):
        kernel_choice.choose(kernel)
        session = Session(Network(RNNConfig(cell=cell, hidden=6)))
        session.step()
        session.train(1500)  # the app's `t`, starting inside an iteration
        after_training = (session.net.params.tobytes(), session.view())
        session.go_to(700)  # `g`: back by replay
        back = (session.net.params.tobytes(), session.view())
        session.go_to(2500)  # and on past where training stopped
        seen[kernel] = (after_training, back, session.net.params.tobytes(), session.view())
    assert seen["numpy"] == seen["compiled"]


@pytest.mark.parametrize("cell", CELLS)
async def test_the_status_panel_names_the_compiled_kernel_while_training(
    monkeypatch, cell: str
) -> None:
    from test_kernel_choice import check_status_names_the_kernel

    assert kernel_choice.choose("compiled").name == "compiled"
    await check_status_names_the_kernel(monkeypatch, cell, "compiled")
