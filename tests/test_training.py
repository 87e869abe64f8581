"""The fast kernel, the stepper and the trainer against the tutorial's algorithm."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest
from tutorial_reference import run_tutorial

from model.config import RNNConfig
from model.encoding import problem_bits
from model.kernel import IterationKernel
from model.network import RNN
from model.stepper import BACKWARD, FORWARD, READY, UPDATE, Stepper
from model.trainer import train

CONFIGS = [
    RNNConfig(),
    RNNConfig(seed=5, hidden=3, alpha=0.7),
    RNNConfig(seed=9, hidden=20, alpha=0.05, bits=12),
    RNNConfig(seed=2, hidden=1, bits=2),
    # one hidden unit and 16+ timesteps: numpy would sum per-matrix gradients pairwise
    RNNConfig(seed=3, hidden=1, bits=16),
]


@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_training_is_bit_identical_to_the_tutorial(config: RNNConfig) -> None:
    net = RNN(config)
    errors: list[float] = []
    train(net, 700, on_chunk=lambda chunk: errors.extend(chunk.errors), chunk=97)
    reference = run_tutorial(700, config.seed, config.hidden, config.alpha, config.bits)
    assert np.array_equal(net.synapse_0, reference.synapse_0)
    assert np.array_equal(net.synapse_1, reference.synapse_1)
    assert np.array_equal(net.synapse_h, reference.synapse_h)
    assert errors == reference.errors


def test_initial_weights_are_the_tutorials_draws() -> None:
    rng = np.random.RandomState(0)
    s0 = 2 * rng.random((2, 16)) - 1
    s1 = 2 * rng.random((16, 1)) - 1
    sh = 2 * rng.random((16, 16)) - 1
    net = RNN(RNNConfig())
    assert np.array_equal(net.synapse_0, s0)
    assert np.array_equal(net.synapse_1, s1)
    assert np.array_equal(net.synapse_h, sh)
    assert net.draw_example() == (rng.randint(128), rng.randint(128)) == (9, 60)


def test_chunked_drawing_leaves_the_stream_where_single_draws_do() -> None:
    one, many = RNN(RNNConfig(bits=32)), RNN(RNNConfig(bits=32))
    singles = [one.draw_example() for _ in range(50)]
    a, b = many.draw_examples(50)
    assert singles == list(zip(a.tolist(), b.tolist(), strict=False))
    assert one.same_state(many)


@pytest.mark.parametrize("config", CONFIGS[:3], ids=str)
def test_walking_step_by_step_equals_training_in_one_call(config: RNNConfig) -> None:
    walked = Stepper(RNN(config))
    steps_per_iteration = 2 + 2 * config.bits
    phases = []
    for _ in range(30 * steps_per_iteration):
        phases.append(walked.step().phase)
    # 30 whole iterations walked, and the walk visited every kind of step
    assert walked.net.iteration == 30
    assert set(phases) == {FORWARD, BACKWARD, UPDATE, READY}
    direct = RNN(config)
    train(direct, 30)
    direct.draw_example()  # the walker has drawn the next example already
    assert walked.net.same_state(direct)

    # bulk training from mid-iteration finishes the iteration under way first
    for _ in range(5):
        walked.step()
    walked.train(100)
    train(direct_too := RNN(config), 130)
    direct_too.draw_example()
    assert walked.net.same_state(direct_too)


def test_the_walk_shows_the_tutorials_first_example() -> None:
    stepper = Stepper(RNN(RNNConfig()))
    first = stepper.snapshot()
    assert (first.a, first.b, first.phase, first.predicted) == (9, 60, READY, (None,) * 8)
    for t in range(8):
        snap = stepper.step()
        assert (snap.phase, snap.timestep, snap.phase_label) == (FORWARD, t, f"forward t={t}")
        assert snap.predicted[t] is not None and snap.layer_1[t] is not None
    assert snap.predicted_value == 1 and snap.true_value == 69
    assert snap.overall_error == pytest.approx(3.45638663, abs=5e-9)
    for t in reversed(range(8)):
        snap = stepper.step()
        assert snap.phase_label == f"backward t={t}"
        assert snap.layer_1_delta[t] is not None
        assert all(d is None for d in snap.layer_1_delta[:t])
    before = stepper.net.params.copy()
    snap = stepper.step()
    assert snap.phase_label == "update" and snap.iteration == 1
    change = stepper.net.params - before
    assert snap.update_size == pytest.approx(
        (abs(change[:32]).max(), abs(change[32:48]).max(), abs(change[48:]).max()), rel=1e-9
    )
    assert stepper.step().phase == READY


def _summed_squared_error(params: np.ndarray, X: np.ndarray, Y: np.ndarray, hidden: int) -> float:
    s0 = params[: 2 * hidden].reshape(2, hidden)
    s1 = params[2 * hidden : 3 * hidden].reshape(hidden, 1)
    sh = params[3 * hidden :].reshape(hidden, hidden)
    h = np.zeros(hidden)
    total = 0.0
    for t in range(len(X)):
        h = 1 / (1 + np.exp(-(X[t] @ s0 + h @ sh)))
        o = 1 / (1 + np.exp(-(h @ s1)))
        total += 0.5 * float((Y[t, 0, 0] - o[0]) ** 2)
    return total


@pytest.mark.parametrize(
    ("seed", "hidden", "a", "b"), [(0, 16, 9, 60), (4, 5, 127, 127), (8, 2, 0, 1)]
)
def test_bptt_gradient_matches_numerical_gradient(seed: int, hidden: int, a: int, b: int) -> None:
    net = RNN(RNNConfig(seed=seed, hidden=hidden, alpha=1.0))
    X, Y = problem_bits(np.array([a]), np.array([b]), 8)
    before = net.params.copy()
    IterationKernel(hidden, 8).run(net, X[0], Y[0])
    analytic = net.params - before  # alpha = 1: the update is minus the gradient
    numeric = np.empty_like(before)
    eps = 1e-6
    for i in range(before.size):
        up, down = before.copy(), before.copy()
        up[i] += eps
        down[i] -= eps
        numeric[i] = -(
            _summed_squared_error(up, X[0], Y[0], hidden)
            - _summed_squared_error(down, X[0], Y[0], hidden)
        ) / (2 * eps)
    relative = np.linalg.norm(analytic - numeric) / np.linalg.norm(analytic + numeric)
    assert relative < 1e-6


def test_a_diverging_run_warns_nothing_and_stays_a_run() -> None:
    net = RNN(RNNConfig(alpha=1000.0, hidden=4))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        train(net, 300)
        stepper = Stepper(net)
        for _ in range(40):
            stepper.step()
    assert net.iteration == 302


def test_importing_the_model_never_imports_textual() -> None:
    code = (
        "import sys, model, model.stepper, model.trainer, model.probes, model.checkpoint, "
        "model.kernel, model.encoding, model.config, model.network\n"
        "from model import *  # every exported name resolves (they load on first use)\n"
        "assert not [m for m in sys.modules if m.split('.')[0] in ('textual', 'rich', 'tui')]"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
