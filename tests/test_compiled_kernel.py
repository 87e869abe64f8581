"""The compiled kernel (the `fast` extra) against the numpy kernel and the tutorial, bit for
bit; and everything that trains with it (train, replays, the app's session, sweeps).

Marked `compiled`: without numba these are deselected (tests/conftest.py); .ci/run runs
them with the extra installed."""

from __future__ import annotations

import resource
import subprocess
import sys

import numpy as np
import pytest
from conftest import PUBLISHED_TRACE, ROOT, blocks_of, run_cli
from tutorial_reference import run_tutorial

from model import kernel_choice
from model.cells.rnn import IterationKernel
from model.config import RNNConfig
from model.encoding import problem_bits
from model.network import Network
from model.trainer import train

pytestmark = pytest.mark.compiled


def compiled(net: Network) -> object:
    from model.compiled.runner import CompiledRNN

    return CompiledRNN(IterationKernel(net.hidden, net.bits))


def by_numpy(config: RNNConfig, count: int) -> tuple[Network, np.ndarray, IterationKernel]:
    net, kernel = Network(config), IterationKernel(config.hidden, config.bits)
    X, Y = problem_bits(*net.draw_examples(count), config.bits)
    with np.errstate(all="ignore"):
        errors = np.array([kernel.run(net, X[i], Y[i]) for i in range(count)])
    return net, errors, kernel


def by_compiled(config: RNNConfig, count: int, chunk: int) -> tuple[Network, np.ndarray, object]:
    net = Network(config)
    runner = compiled(net)
    errors = []
    for start in range(0, count, chunk):
        X, Y = problem_bits(*net.draw_examples(min(chunk, count - start)), config.bits)
        errors.append(runner.run_chunk(net, X, Y)[0])  # type: ignore[attr-defined]
    return net, np.concatenate(errors), runner


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


GRID = [
    RNNConfig(seed=seed, hidden=hidden, bits=bits, alpha=alpha, init=init)
    for seed, hidden, bits, alpha, init in [
        (0, 16, 8, 0.1, (-1.0, 1.0)),
        (1, 1, 2, 0.1, (-1.0, 1.0)),
        (2, 1, 32, 0.5, (0.0, 1.0)),
        (3, 2, 8, 1.0, (-1.0, 1.0)),
        (4, 3, 16, 0.1, (0.0, 2.0)),
        (5, 7, 5, 0.05, (-0.5, 0.5)),
        (6, 8, 32, 0.1, (-1.0, 1.0)),
        (7, 17, 8, 2.0, (0.0, 1.0)),
        (8, 32, 12, 0.1, (-1.0, 1.0)),
        (9, 33, 3, 0.3, (-2.0, 2.0)),
        (10, 64, 8, 0.1, (-1.0, 1.0)),
        (11, 64, 32, 0.01, (0.0, 2.0)),
    ]
]


@pytest.mark.parametrize("config", GRID, ids=str)
def test_compiled_equals_the_numpy_kernel_bit_for_bit(config: RNNConfig) -> None:
    count = 400 if config.hidden < 32 else 150
    net_n, errors_n, kernel_n = by_numpy(config, count)
    net_c, errors_c, runner = by_compiled(config, count, chunk=61)
    assert same_bits(net_n.params, net_c.params)
    assert same_bits(errors_n, errors_c)
    assert net_n.same_state(net_c)  # iteration and the random stream too
    assert net_n.rng.randint(2**31) == net_c.rng.randint(2**31)
    kernel_c = runner.kernel  # type: ignore[attr-defined]
    for name in ("layer_1", "layer_2", "layer_1_delta", "layer_2_error", "last_update"):
        assert same_bits(getattr(kernel_n, name), getattr(kernel_c, name)), name
    assert same_bits(kernel_n.summed_gradient, kernel_c.summed_gradient)
    assert kernel_n.overall_error == kernel_c.overall_error
    assert kernel_n.predicted_bits() == kernel_c.predicted_bits()


@pytest.mark.parametrize(
    ("seed", "hidden", "bits", "alpha"),
    [(0, 16, 8, 0.1), (1, 1, 16, 0.1), (2, 5, 2, 0.7), (3, 40, 8, 0.1), (4, 8, 32, 0.2)],
)
def test_training_with_the_compiled_kernel_is_the_tutorial(seed, hidden, bits, alpha) -> None:
    assert kernel_choice.choose("compiled").name == "compiled"
    net = Network(RNNConfig(seed=seed, hidden=hidden, bits=bits, alpha=alpha))
    errors: list[float] = []
    train(net, 500, on_chunk=lambda chunk: errors.extend(chunk.errors))
    reference = run_tutorial(500, seed, hidden, alpha, bits)
    assert same_bits(net.synapse_0, reference.synapse_0)
    assert same_bits(net.synapse_1, reference.synapse_1)
    assert same_bits(net.synapse_h, reference.synapse_h)
    assert errors == reference.errors


def test_the_log_reports_and_chunking_are_the_numpy_kernels() -> None:
    runs = {}
    for kernel in ("numpy", "compiled"):
        kernel_choice.choose(kernel)
        net, reports, errors = Network(RNNConfig(hidden=5)), [], []
        train(
            net,
            3000,
            log_every=7,
            on_log=reports.append,
            on_chunk=lambda c, e=errors: e.extend(c.errors),  # type: ignore[misc]
            chunk=250,
        )
        runs[kernel] = (net.params.tobytes(), reports, errors, net.rng.randint(2**31))
    assert runs["numpy"] == runs["compiled"]
    assert len(runs["compiled"][1]) == 429  # j = 0, 7, ..., 2996


def test_the_self_check_passes_here_and_a_one_bit_difference_fails_it(monkeypatch) -> None:
    assert kernel_choice.self_check() == ""
    from model.compiled.runner import CompiledRNN

    real = CompiledRNN.run_chunk

    def one_bit_off(self, net, X, Y):  # type: ignore[no-untyped-def]
        out = real(self, net, X, Y)
        net.params[-1] = np.nextafter(net.params[-1], -np.inf)
        return out

    monkeypatch.setattr(CompiledRNN, "run_chunk", one_bit_off)
    assert kernel_choice.self_check().startswith("it differs from the numpy kernel")


def test_the_loop_releases_the_gil_and_is_cached_on_disk() -> None:
    from model.compiled.rnn_loop import train_chunk

    assert train_chunk.targetoptions["nogil"] is True
    code = (
        "from model.compiled import rnn_loop\n"
        "from model import kernel_choice\n"
        "from model.network import Network\nfrom model.config import RNNConfig\n"
        "from model.trainer import train\n"
        "kernel_choice.adopt(kernel_choice.KernelStatus('compiled', 'compiled'))\n"
        "train(Network(RNNConfig()), 10)\n"
        "print(sum(rnn_loop.train_chunk.stats.cache_hits.values()),"
        " sum(rnn_loop.train_chunk.stats.cache_misses.values()))\n"
    )
    for _ in range(2):  # the first may compile (a fresh checkout); the second never does
        run = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
        )
    assert run.stdout.split() == ["1", "0"]


def test_train_on_the_command_line_prints_the_published_trace() -> None:
    result = run_cli("train", "--kernel", "compiled")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert blocks_of(result.stdout) == blocks_of(PUBLISHED_TRACE)
    assert "# kernel compiled\n" in result.stdout


def test_leaving_without_teardown_keeps_the_output_and_the_exit_status(tmp_path) -> None:
    """With numba loaded, the CLI leaves by os._exit (tui/cli.py _exit_now): what it wrote
    to a file must be all there, and a failure must still exit non-zero."""
    out = tmp_path / "out.txt"
    with out.open("w") as handle:
        ok = subprocess.run(
            [sys.executable, "-m", "tui", "train", "--kernel", "compiled"],
            stdout=handle, stderr=subprocess.PIPE, text=True, cwd=ROOT, timeout=120,
        )  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    assert blocks_of(out.read_text()) == blocks_of(PUBLISHED_TRACE)
    assert "# kernel compiled\n" in out.read_text()
    failed = subprocess.run(  # the save fails after training: files are capped at 1 KB
        [sys.executable, "-m", "tui", "train", "--kernel", "compiled", "--iterations", "10",
         "--quiet", "--save", str(tmp_path / "run.npz")],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024)),
    )  # fmt: skip
    assert failed.returncode == 1, failed
    assert failed.stderr.startswith("rnn-tui: error: "), failed.stderr
    assert "Traceback" not in failed.stderr


def test_a_log_report_sees_the_network_its_iteration_left() -> None:
    # the command line's --csv measures accuracy in on_log: on the weights of that iteration
    seen = {}
    for kernel in ("numpy", "compiled"):
        kernel_choice.choose(kernel)
        net, states = Network(RNNConfig(hidden=5)), []

        def log(report, net=net, states=states) -> None:  # type: ignore[no-untyped-def]
            states.append((report.iteration, net.iteration, net.params.tobytes()))

        train(net, 2500, log_every=1000, on_log=log)
        seen[kernel] = states
    assert [(j, after) for j, after, _ in seen["compiled"]] == [(0, 1), (1000, 1001), (2000, 2001)]
    assert seen["numpy"] == seen["compiled"]


def test_train_csv_equals_numpy_csv(tmp_path) -> None:
    for kernel in ("numpy", "compiled"):
        result = run_cli(
            "train", "--kernel", kernel, "--iterations", "5000", "--quiet",
            "--csv", str(tmp_path / f"{kernel}.csv"),
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
    rows = {k: (tmp_path / f"{k}.csv").read_text().splitlines() for k in ("numpy", "compiled")}
    assert rows["numpy"] == rows["compiled"]
    measured = [row.split(",") for row in rows["compiled"][1:] if not row.endswith(",")]
    assert [int(row[0]) for row in measured] == [1, 1001, 2001, 3001, 4001]
    assert float(measured[-1][2]) < 0.5  # seed 0 is far from 100% at 4,001 (about 7,000)


def test_train_save_equals_numpy_save(tmp_path) -> None:
    for kernel in ("numpy", "compiled"):
        result = run_cli(
            "train", "--kernel", kernel, "--hidden", "9", "--iterations", "3000", "--quiet",
            "--save", str(tmp_path / f"{kernel}.npz"),
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
    numpy_file, compiled_file = (np.load(tmp_path / f"{k}.npz") for k in ("numpy", "compiled"))
    for name in numpy_file.files:
        assert np.array_equal(numpy_file[name], compiled_file[name]), name


def test_the_session_trains_and_goes_back_exactly_as_with_numpy() -> None:
    from tui.session import Session

    seen = {}
    for kernel in ("numpy", "compiled"):
        kernel_choice.choose(kernel)
        session = Session(Network(RNNConfig(hidden=6)))
        session.step()
        session.train(2500)  # the app's `t`, starting inside an iteration
        after_training = (session.net.params.tobytes(), session.view())
        session.go_to(1200)  # `g`: back by replay
        back = (session.net.params.tobytes(), session.view())
        session.go_to(4000)  # and on past where training stopped
        seen[kernel] = (after_training, back, session.net.params.tobytes(), session.view())
    assert seen["numpy"] == seen["compiled"]


def test_a_sweep_gives_the_numpy_sweeps_results() -> None:
    from model.sweep import SweepPlan, run_sweep

    plan = SweepPlan(
        cells=("rnn",), hiddens=(3, 16), inits=((-1.0, 1.0),), alpha=0.5, bits=8,
        seeds=(0, 1, 2), iterations=3000, check_every=500,
    )  # fmt: skip
    results = {}
    for kernel in ("numpy", "compiled"):
        kernel_choice.choose(kernel)
        results[kernel] = run_sweep(plan)
    assert results["numpy"] == results["compiled"]


async def test_the_status_panel_names_the_compiled_kernel_while_training(monkeypatch) -> None:
    from test_kernel_choice import check_status_names_the_kernel

    assert kernel_choice.choose("compiled").name == "compiled"
    await check_status_names_the_kernel(monkeypatch, "rnn", "compiled")
