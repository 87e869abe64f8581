"""The LSTM and GRU cells: published traces, fidelity to a plain reference, stepping,
init ranges, evaluation and gradient checks (the RNN's own tests are test_training.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from cell_reference import gradients, init_weights, run_cell
from conftest import blocks_of, run_cli
from tutorial_reference import run_tutorial

from model.config import RNNConfig
from model.encoding import problem_bits
from model.gradcheck import TOLERANCE, gradient_check
from model.network import RNN
from model.params import gated_spec, rnn_spec
from model.prefix import _Cell, forward_pairs
from model.probes import NONE, Ablation, evaluate, evaluate_net
from model.stepper import BACKWARD, FORWARD, UPDATE, ProbeStepper, Stepper
from model.trainer import train

GATED = ("lstm", "gru")
CELLS = ("rnn", "lstm", "gru")

PUBLISHED = {  # DESIGN.md "The other cells": (first block, tenth block), error and sum lines
    "lstm": (("Error:[3.92740023]", "10 + 74 = 0"), ("Error:[0.08183279]", "67 + 98 = 165")),
    "gru": (("Error:[3.4250565]", "26 + 115 = 12"), ("Error:[0.10707624]", "91 + 63 = 154")),
}


def _lines(block: str) -> tuple[str, str]:
    lines = block.splitlines()
    return lines[0], lines[3]


@pytest.mark.parametrize("cell", GATED)
def test_train_prints_the_published_seed_0_trace(cell: str) -> None:
    result = run_cli("train", "--cell", cell, timeout=300)
    assert result.returncode == 0, result.stderr
    blocks = blocks_of(result.stdout)
    assert len(blocks) == 10
    first, tenth = PUBLISHED[cell]
    assert _lines(blocks[0]) == first
    assert _lines(blocks[9]) == tenth


def test_the_plain_reference_prints_the_published_traces_too() -> None:
    """The yardstick itself is right: its first block is the published one."""
    for cell in GATED:
        block = run_cell(cell, 1).blocks[0].replace("[ ", "[")
        assert _lines(block) == PUBLISHED[cell][0]


FIDELITY = [  # cell, seed, hidden, alpha, bits, init
    (cell, *setting)
    for cell in GATED
    for setting in (
        (0, 16, 0.1, 8, (-1.0, 1.0)),
        (1, 1, 0.1, 8, (-1.0, 1.0)),
        (2, 5, 0.5, 8, (0.0, 1.0)),
        (3, 8, 0.05, 4, (-0.5, 0.25)),
        (4, 3, 1.0, 12, (0.0, 2.0)),
        (5, 24, 0.1, 8, (-1.0, 1.0)),
    )
]


@pytest.mark.parametrize(("cell", "seed", "hidden", "alpha", "bits", "init"), FIDELITY)
def test_fast_kernel_is_bit_identical_to_the_plain_reference(
    cell: str, seed: int, hidden: int, alpha: float, bits: int, init: tuple[float, float]
) -> None:
    iterations = 1000 if hidden <= 8 else 300
    config = RNNConfig(seed=seed, hidden=hidden, alpha=alpha, bits=bits, cell=cell, init=init)
    net = RNN(config)
    errors: list[float] = []
    train(net, iterations, on_chunk=lambda report: errors.extend(report.errors))
    reference = run_cell(cell, iterations, seed, hidden, alpha, bits, init)
    for name, expected in (
        ("synapse_0", reference.synapse_0),
        ("synapse_1", reference.synapse_1),
        ("synapse_h", reference.synapse_h),
        ("bias", reference.bias),
    ):
        assert np.array_equal(net.weights[name], expected), name
    assert errors == reference.errors
    assert net.rng.randint(1 << 30) == reference.rng.randint(1 << 30)  # same stream position


@pytest.mark.parametrize("cell", CELLS)
def test_default_init_is_the_tutorials_two_r_minus_one(cell: str) -> None:
    rng = np.random.RandomState(7)
    spec = RNN(RNNConfig(cell=cell, seed=7)).spec
    draws = 2 * rng.random_sample(spec.drawn_size) - 1
    net = RNN(RNNConfig(cell=cell, seed=7))
    assert np.array_equal(net.params[: spec.drawn_size], draws)
    assert not net.params[spec.drawn_size :].any()  # the bias: zeros, not drawn
    # and the general formula (HI - LO) * r + LO gives those very bits for -1, 1
    r = np.random.RandomState(1).random_sample(100_000)
    assert np.array_equal((1.0 - -1.0) * r + -1.0, 2 * r - 1)


def test_rnn_default_init_equals_the_tutorials_draws() -> None:
    reference = run_tutorial(0)
    net = RNN(RNNConfig(init=(-1, 1)))
    assert np.array_equal(net.synapse_0, reference.synapse_0)
    assert np.array_equal(net.synapse_h, reference.synapse_h)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("init", [(0.0, 1.0), (0.0, 2.0), (-0.25, 0.5)])
def test_init_range_draws_from_the_same_stream(cell: str, init: tuple[float, float]) -> None:
    low, high = init
    net = RNN(RNNConfig(cell=cell, init=init, hidden=6))
    r = np.random.RandomState(0).random_sample(net.spec.drawn_size)
    assert np.array_equal(net.params[: net.spec.drawn_size], (high - low) * r + low)
    assert net.params[: net.spec.drawn_size].min() >= low
    assert net.params[: net.spec.drawn_size].max() < high


@pytest.mark.parametrize("init", [(1.0, 1.0), (2.0, 1.0), (0.0, float("inf")), (float("nan"), 1)])
def test_a_bad_init_range_is_refused(init: tuple[float, float]) -> None:
    with pytest.raises(ValueError, match="init"):
        RNNConfig(init=init)


def test_parameter_layouts() -> None:
    assert rnn_spec(16).names == ("synapse_0", "synapse_1", "synapse_h")
    lstm = gated_spec(4, ("i", "f", "o", "g"))
    assert lstm.shapes == {
        "synapse_0": (2, 16),
        "synapse_1": (4, 1),
        "synapse_h": (4, 16),
        "bias": (16,),
    }
    assert lstm.size == 32 + 4 + 64 + 16 and lstm.drawn_size == 32 + 4 + 64
    assert [label for label, _ in lstm.blocks("synapse_h")] == [
        "synapse_h[i]",
        "synapse_h[f]",
        "synapse_h[o]",
        "synapse_h[g]",
    ]
    flat = np.arange(lstm.size, dtype=np.float64)
    views = lstm.views(flat)
    views["bias"][:] = -1
    assert (flat[-16:] == -1).all()


# -- stepping --------------------------------------------------------------------------


@pytest.mark.parametrize("cell", CELLS)
def test_stepping_equals_training_in_one_call(cell: str) -> None:
    config = RNNConfig(cell=cell, seed=3, hidden=5)
    stepped, trained = RNN(config), RNN(config)
    stepper = Stepper(stepped)
    phases = [stepper.step().phase for _ in range(3 * (2 * config.bits + 2) - 1)]
    assert phases.count(UPDATE) == 3 and phases[-1] == UPDATE
    train(trained, 3)
    assert stepped.same_state(trained)
    stepper.train(50)
    train(trained, 50)
    assert np.array_equal(stepped.params, trained.params)


@pytest.mark.parametrize("cell", GATED)
def test_snapshots_expose_every_state_and_gate(cell: str) -> None:
    net = RNN(RNNConfig(cell=cell, hidden=3))
    stepper = Stepper(net)
    snap = stepper.step()  # forward t=0
    assert snap.phase == FORWARD and snap.cell == cell
    assert tuple(snap.states) == net.info.states
    assert snap.states["h"] == snap.layer_1
    assert snap.states["h"][0] is not None and snap.states["h"][1] is None
    for _ in range(net.bits):
        snap = stepper.step()
    assert snap.phase == BACKWARD and snap.timestep == net.bits - 1
    assert tuple(snap.deltas) == net.info.carried
    assert snap.deltas["h"][net.bits - 1] is not None and snap.deltas["h"][0] is None
    assert snap.layer_1_delta == snap.deltas["h"]
    while snap.phase != UPDATE:
        snap = stepper.step()
    assert snap.update_sizes is not None and set(snap.update_sizes) == set(net.spec.names)
    assert snap.update_size == tuple(
        snap.update_sizes[n] for n in ("synapse_0", "synapse_1", "synapse_h")
    )


@pytest.mark.parametrize("cell", GATED)
def test_the_step_walk_shows_the_references_numbers(cell: str) -> None:
    net = RNN(RNNConfig(cell=cell, hidden=4, seed=2))
    weights = [w.copy() for w in (net.synapse_0, net.synapse_1, net.synapse_h, net.bias)]
    stepper = Stepper(net)
    a, b = stepper.a, stepper.b
    snap = stepper.snapshot()
    while not (snap.phase == FORWARD and snap.timestep == net.bits - 1):
        snap = stepper.step()
    digits = [np.array([(v >> (7 - i)) & 1 for i in range(8)]) for v in (a, b, a + b)]
    error, _, _ = gradients(cell, *weights, *digits)
    assert snap.overall_error == error


# -- evaluation --------------------------------------------------------------------------


def _naive_accuracy(net: RNN, ablation: Ablation = NONE) -> tuple[float, float]:
    """Every pair through a plain batched forward pass, no prefix sharing."""
    limit = net.config.operand_limit
    grid = np.arange(limit)
    a, b = np.repeat(grid, limit), np.tile(grid, limit)
    correct = np.empty((a.size, net.bits), dtype=bool)
    runner = _Cell(net.cell, net.weights, ablation)
    for rows, t, states in forward_pairs(runner, a, b, net.bits):
        out = 1 / (1 + np.exp(-(states[0] @ net.synapse_1).reshape(-1)))
        correct[rows, t] = (out > 0.5) == ((((a + b)[rows]) >> t) & 1).astype(bool)
    return float(correct.all(axis=1).mean()), float(correct.mean())


@pytest.mark.parametrize("cell", GATED)
@pytest.mark.parametrize(
    "ablation",
    [NONE, Ablation(clamped_unit=2), Ablation(cut_recurrence=True)],
)
def test_prefix_evaluation_equals_the_plain_pass(cell: str, ablation: Ablation) -> None:
    net = RNN(RNNConfig(cell=cell, hidden=6, bits=6, seed=1))
    train(net, 1500)
    acc = evaluate_net(net, ablation)
    assert (acc.exact, acc.per_bit) == _naive_accuracy(net, ablation)
    assert acc.count == 32 * 32 and not acc.sampled


@pytest.mark.parametrize("cell", GATED)
def test_prefix_evaluation_agrees_with_the_kernels_predictions(cell: str) -> None:
    net = RNN(RNNConfig(cell=cell, hidden=8, bits=5, seed=4))
    train(net, 800)
    kernel_right = 0
    for a in range(16):
        for b in range(16):
            probe = ProbeStepper(net, a, b)
            snap = probe.run_forward()
            kernel_right += snap.predicted_value == a + b
    assert evaluate_net(net).exact == kernel_right / 256


@pytest.mark.parametrize("cell", GATED)
def test_diverged_weights_evaluate_without_warnings_as_the_plain_pass(cell: str) -> None:
    import warnings

    net = RNN(RNNConfig(cell=cell, hidden=4, bits=5))
    net.params *= 1e3  # inputs so large that exp overflows: the factored exps must not NaN
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        acc = evaluate_net(net)
    with np.errstate(all="ignore"):
        assert (acc.exact, acc.per_bit) == _naive_accuracy(net)


def test_rnn_evaluation_is_the_fast_route() -> None:
    net = RNN(RNNConfig(hidden=5))
    train(net, 500)
    assert evaluate_net(net) == evaluate(net.synapse_0, net.synapse_1, net.synapse_h, 8)


@pytest.mark.parametrize("cell", GATED)
def test_a_clamped_probe_matches_the_ablated_evaluation(cell: str) -> None:
    net = RNN(RNNConfig(cell=cell, hidden=4, bits=4, seed=5))
    train(net, 600)
    right = sum(
        ProbeStepper(net, a, b, clamped_unit=1).run_forward().predicted_value == a + b
        for a in range(8)
        for b in range(8)
    )
    assert evaluate_net(net, Ablation(clamped_unit=1)).exact == right / 64


# -- gradients --------------------------------------------------------------------------


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("hidden", [1, 2, 3, 5, 8, 13])
@pytest.mark.parametrize("seed", [0, 1])
def test_gradcheck_agrees(cell: str, hidden: int, seed: int) -> None:
    check = gradient_check(RNN(RNNConfig(cell=cell, hidden=hidden, seed=seed)))
    assert check.ok, [(line.name, line.max_relative_error) for line in check.lines]
    assert max(line.max_relative_error for line in check.lines) < TOLERANCE


@pytest.mark.slow
@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("seed", [0, 1])
def test_gradcheck_agrees_for_every_hidden_size_up_to_32(cell: str, seed: int) -> None:
    for hidden in range(1, 33):
        check = gradient_check(RNN(RNNConfig(cell=cell, hidden=hidden, seed=seed)))
        assert check.ok, (hidden, [(line.name, line.max_relative_error) for line in check.lines])


def test_gradcheck_catches_a_wrong_gradient(monkeypatch: pytest.MonkeyPatch) -> None:
    import model.gradcheck as gradcheck

    right = gradcheck.bptt_gradient

    def off_by_a_little(net: RNN, a: int, b: int) -> np.ndarray:
        grad = right(net, a, b)
        grad[net.spec.slice("synapse_h").start] *= 1 + 1e-5
        return grad

    monkeypatch.setattr(gradcheck, "bptt_gradient", off_by_a_little)
    check = gradcheck.gradient_check(RNN(RNNConfig(cell="gru", hidden=3)))
    failed = [line.name for line in check.lines if not line.ok]
    assert failed == ["synapse_h", "synapse_h[z]"]
    from tui.cli import main

    assert main(["gradcheck", "--cell", "gru", "--hidden", "3"]) == 1


@pytest.mark.parametrize("cell", CELLS)
def test_gradcheck_command_prints_one_line_per_matrix_and_block(cell: str) -> None:
    result = run_cli("gradcheck", "--cell", cell, "--hidden", "4", "--seed", "2")
    assert result.returncode == 0, result.stderr
    rows = [line.split()[0] for line in result.stdout.splitlines() if not line.startswith("#")]
    expected = {
        "rnn": ["weights", "synapse_0", "synapse_1", "synapse_h"],
        "lstm": ["weights"]
        + [f"synapse_0{s}" for s in ("", "[i]", "[f]", "[o]", "[g]")]
        + ["synapse_1"]
        + [f"synapse_h{s}" for s in ("", "[i]", "[f]", "[o]", "[g]")]
        + [f"bias{s}" for s in ("", "[i]", "[f]", "[o]", "[g]")],
        "gru": ["weights"]
        + [f"synapse_0{s}" for s in ("", "[z]", "[r]", "[n]")]
        + ["synapse_1"]
        + [f"synapse_h{s}" for s in ("", "[z]", "[r]", "[n]")]
        + [f"bias{s}" for s in ("", "[z]", "[r]", "[n]")],
    }[cell]
    assert rows == expected
    assert "all below 1e-06" in result.stdout


# -- the command line --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "--cell", "lsm"], "cell must be one of rnn, lstm, gru, got 'lsm'"),
        (["train", "--init", "1,1"], "init range needs LO < HI, got '1,1'"),
        (["train", "--init", "0,x"], "init must be two numbers LO,HI"),
        (["train", "--init", "0,1,2"], "init must be two numbers LO,HI"),
        (["train", "--init", "-inf,1"], "init bounds must be finite numbers"),
        (["gradcheck", "--cell", "x"], "cell must be one of"),
        (["gradcheck", "--hidden", "0"], "hidden must be between 1 and 1024"),
        (["--init", "2,1"], "init range needs LO < HI"),
    ],
)
def test_bad_cell_and_init_options_exit_2_with_one_line(args: list[str], message: str) -> None:
    result = run_cli(*args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1 and message in result.stderr


def test_init_takes_a_negative_low_bound_and_reaches_the_weights() -> None:
    result = run_cli("train", "--init", "-0.5,0.5", "--iterations", "1", "--log-every", "1")
    plain = run_cli("train", "--init=-0.5,0.5", "--iterations", "1", "--log-every", "1")
    default = run_cli("train", "--iterations", "1", "--log-every", "1")
    assert result.returncode == plain.returncode == 0, result.stderr
    assert blocks_of(result.stdout) == blocks_of(plain.stdout) != blocks_of(default.stdout)
    x = problem_bits(np.array([9]), np.array([60]), 8)  # the seed's first sum, unchanged
    assert x[0].shape == (1, 8, 2)
    assert "9 + 60 = " in result.stdout


def test_init_weights_in_the_reference_match_the_network() -> None:
    rng = np.random.RandomState(3)
    w_in, w_out, w_rec, bias = init_weights("lstm", rng, 5, 0.0, 2.0)
    net = RNN(RNNConfig(cell="lstm", hidden=5, seed=3, init=(0.0, 2.0)))
    assert np.array_equal(net.synapse_0, w_in) and np.array_equal(net.synapse_h, w_rec)
    assert np.array_equal(net.synapse_1, w_out) and np.array_equal(net.bias, bias)


@pytest.mark.parametrize("cell", CELLS)
def test_weights_text_shows_each_gate_block(cell: str) -> None:
    from tui.widgets.weights import network_weights_text

    net = RNN(RNNConfig(cell=cell, hidden=3))
    text = network_weights_text(net, None, []).plain
    titles = [line.split()[0] for line in text.splitlines() if "max |w|" in line]
    blocks = {
        "rnn": ["synapse_0", "synapse_h", "synapse_1"],
        "lstm": [f"{m}[{g}]" for m in ("synapse_0", "synapse_h") for g in "ifog"]
        + ["synapse_1"]
        + [f"bias[{g}]" for g in "ifog"],
        "gru": [f"{m}[{g}]" for m in ("synapse_0", "synapse_h") for g in "zrn"]
        + ["synapse_1"]
        + [f"bias[{g}]" for g in "zrn"],
    }[cell]
    assert titles == blocks


# -- checkpoints --------------------------------------------------------------------------


@pytest.mark.parametrize("cell", CELLS)
def test_save_load_train_equals_training_in_one_go(cell: str, tmp_path: Path) -> None:
    from model.checkpoint import load_checkpoint, save_checkpoint

    config = RNNConfig(cell=cell, hidden=6, seed=4, init=(0.0, 1.0))
    whole, half = RNN(config), RNN(config)
    train(whole, 600)
    train(half, 300)
    save_checkpoint(tmp_path / "half.npz", half)
    resumed = load_checkpoint(tmp_path / "half.npz")
    assert resumed.config == config
    train(resumed, 300)
    assert resumed.same_state(whole)
    with np.load(tmp_path / "half.npz") as npz:
        assert int(npz["format_version"]) == 2 and ("bias" in npz.files) == (cell != "rnn")
        assert (float(npz["init_low"]), float(npz["init_high"])) == (0.0, 1.0)


def _rewritten(path: Path, target: Path, drop: tuple[str, ...] = (), **changes: object) -> Path:
    with np.load(path) as npz:
        arrays = {key: npz[key] for key in npz.files if key not in drop}
    arrays.update({key: np.asarray(value) for key, value in changes.items()})
    with open(target, "wb") as handle:
        np.savez(handle, **arrays)  # type: ignore[arg-type]
    return target


def test_a_first_format_file_loads_as_the_tutorials_rnn(tmp_path: Path) -> None:
    from model.checkpoint import load_checkpoint, save_checkpoint

    net = RNN(RNNConfig(hidden=5))
    train(net, 200)
    save_checkpoint(tmp_path / "new.npz", net)
    old = _rewritten(
        tmp_path / "new.npz",
        tmp_path / "old.npz",
        drop=("cell", "init_low", "init_high"),
        format_version=np.int64(1),
    )
    loaded = load_checkpoint(old)
    assert loaded.cell == "rnn" and loaded.config.init == (-1.0, 1.0)
    assert loaded.same_state(net)


@pytest.mark.parametrize(
    ("drop", "changes", "fragment"),
    [
        (("bias",), {}, "the array 'bias' is missing"),
        (("cell",), {}, "the array 'cell' is missing"),
        ((), {"cell": np.int64(5)}, "cell must be between 0 and 2"),
        ((), {"cell": np.int64(2)}, "synapse_0 has shape (2, 16), expected (2, 12)"),
        ((), {"bias": np.zeros(3)}, "bias has shape (3,), expected (16,)"),
        ((), {"init_low": np.float64(2.0)}, "init range needs LO < HI"),
        ((), {"init_high": np.float64(np.inf)}, "init bounds must be finite"),
    ],
)
def test_bad_cell_members_are_refused(
    tmp_path: Path, drop: tuple[str, ...], changes: dict[str, object], fragment: str
) -> None:
    from model.checkpoint import CheckpointError, load_checkpoint, save_checkpoint

    save_checkpoint(tmp_path / "lstm.npz", RNN(RNNConfig(cell="lstm", hidden=4)))
    bad = _rewritten(tmp_path / "lstm.npz", tmp_path / "bad.npz", drop, **changes)
    with pytest.raises(CheckpointError, match="not a valid rnn-tui checkpoint") as err:
        load_checkpoint(bad)
    assert fragment in str(err.value)


def test_the_cli_saves_evaluates_and_guards_a_cells_checkpoint(tmp_path: Path) -> None:
    saved = tmp_path / "gru.npz"
    result = run_cli(
        "train", "--cell", "gru", "--init", "0,1", "--iterations", "2000", "--save", str(saved)
    )
    assert result.returncode == 0, result.stderr
    evaluated = run_cli("eval", "--load", str(saved))
    assert evaluated.returncode == 0, evaluated.stderr
    assert evaluated.stdout.splitlines()[0].endswith(
        "gru.npz: GRU, 16 hidden units, alpha 0.1, seed 0, 2,000 iterations"
    )
    for option, fragment in (
        (["--cell", "lstm"], "--cell lstm conflicts with the checkpoint's cell gru"),
        (["--init", "-1,1"], "--init -1,1 conflicts with the checkpoint's init 0,1"),
    ):
        conflict = run_cli("train", "--load", str(saved), *option, "--iterations", "1")
        assert conflict.returncode == 2 and fragment in conflict.stderr
    resumed = run_cli("train", "--load", str(saved), "--iterations", "0", "--quiet")
    assert resumed.returncode == 0, resumed.stderr


@pytest.mark.parametrize(
    ("cell", "state", "cut"),
    [
        ("rnn", "h", False),
        ("rnn", "h", True),
        ("lstm", "h", False),
        ("lstm", "c", False),
        ("lstm", "c", True),
        ("gru", "h", False),
    ],
)
def test_an_ablated_probe_scores_the_outputs_it_shows(cell: str, state: str, cut: bool) -> None:
    """overallError under a clamp is the sum over the clamped outputs on screen: it was
    scored before the last timestep's output was made again with the unit clamped."""
    net = RNN(RNNConfig(cell=cell, hidden=4, seed=0))
    train(net, 300)
    for a, b in ((9, 60), (127, 1), (81, 113)):
        snap = ProbeStepper(
            net, a, b, clamped_unit=2, clamped_state=state, cut_recurrence=cut
        ).run_forward()
        total = 0.0  # in timestep order, as the tutorial sums
        for y, out in zip(snap.true_bits, snap.layer_2, strict=True):
            assert out is not None
            total += abs(y - out)
        assert snap.overall_error == total
