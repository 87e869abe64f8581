"""The fast kernel, the stepper and the trainer against the tutorial's algorithm."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest
from tutorial_reference import run_tutorial

from model.cells.rnn import IterationKernel
from model.config import RNNConfig
from model.encoding import problem_bits
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
        "model.cells.rnn, model.encoding, model.config, model.network\n"
        "from model import *  # every exported name resolves (they load on first use)\n"
        "assert not [m for m in sys.modules if m.split('.')[0] in ('textual', 'rich', 'tui')]"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# ------------------------------------------------ chunks sized by time (issue 9, item 11)


class IterationClock:
    """A fake clock on which every iteration of `net` takes `per_iteration` s (which may
    change on the way: it applies to the iterations after the change)."""

    def __init__(self, net: RNN, per_iteration: float) -> None:
        self.net, self.per_iteration = net, per_iteration
        self.seen, self.now = net.iteration, 0.0

    def __call__(self) -> float:
        self.now += (self.net.iteration - self.seen) * self.per_iteration
        self.seen = self.net.iteration
        return self.now


def chunk_sizes(net: RNN, iterations: int, per_iteration: float) -> list[int]:
    sizes: list[int] = []
    train(
        net,
        iterations,
        on_chunk=lambda report: sizes.append(len(report.errors)),
        clock=IterationClock(net, per_iteration),
    )
    return sizes


def test_chunks_grow_from_one_iteration_and_settle_near_the_aimed_time() -> None:
    # 10 ms an iteration (a big network): chunks of 3 take the aimed 30 ms
    assert chunk_sizes(RNN(RNNConfig(hidden=2)), 20, 0.01) == [1, 2, 3, 3, 3, 3, 3, 2]
    # 1 ms: doubling up to 30 iterations a chunk
    assert chunk_sizes(RNN(RNNConfig(hidden=2)), 150, 0.001) == [1, 2, 4, 8, 16, 30, 30, 30, 29]
    # 0.4 ms: 75 a chunk; the rounding of 30 / 0.4 is exact, not 74
    assert chunk_sizes(RNN(RNNConfig(hidden=2)), 300, 4e-4)[7:9] == [75, 75]
    # 0.1 s an iteration is longer than the aim: one iteration per chunk, never zero
    assert chunk_sizes(RNN(RNNConfig(hidden=2)), 4, 0.1) == [1, 1, 1, 1]
    # a fast network: doubling up to the cap
    sizes = chunk_sizes(RNN(RNNConfig(hidden=2)), 20_000, 1e-7)
    assert sizes == [2**k for k in range(13)] + [4096, 4096, 20_000 - 3 * 4096 - 4095]


def sizes_slowing_down(
    per_iteration: float,
    slower: float,
    after: int,
    iterations: int,
    *,
    chunks: int | None = None,
    boundary: int = 0,
) -> list[int]:
    """Chunk sizes of a run whose iterations take `slower` s once `after` are done
    (stopped after `chunks` chunks, if given)."""
    net = RNN(RNNConfig(hidden=2))
    clock = IterationClock(net, per_iteration)
    sizes: list[int] = []

    def on_chunk(report) -> None:
        sizes.append(len(report.errors))
        if report.done >= after:
            clock.per_iteration = slower

    train(
        net,
        iterations,
        on_chunk=on_chunk,
        clock=clock,
        boundary=boundary,
        should_stop=None if chunks is None else lambda: len(sizes) == chunks,
    )
    return sizes


def test_chunks_follow_a_change_of_speed() -> None:
    # after 9000 iterations the machine gets 10 times slower
    sizes = sizes_slowing_down(1e-5, 1e-4, 9000, 50_000, chunks=20)
    doubling = [2**k for k in range(12)]
    # one chunk of 3000 takes 0.3 s at the new speed; the next is sized for it
    assert sizes == [*doubling, 3000, 3000, 3000, 300, 300, 300, 300, 300]


def test_a_chunk_cut_short_at_a_boundary_does_not_shrink_the_next() -> None:
    # the app ends a chunk at every 1000th iteration (its replay anchors): after the
    # first, fast chunks are whole segments of 1000, not regrown from each remainder
    net = RNN(RNNConfig(hidden=2))
    starts: list[tuple[int, int]] = []
    train(
        net,
        12_000,
        boundary=1000,
        on_chunk=lambda r: starts.append((r.iteration - len(r.errors), len(r.errors))),
        clock=IterationClock(net, 1e-7),
    )
    assert [start for start, _ in starts if start >= 2000] == list(range(2000, 12_000, 1000))
    assert all(count == 1000 for start, count in starts if start >= 2000)


def test_a_chunk_cut_short_still_slows_the_next_when_it_ran_slowly() -> None:
    # from 4000 iterations on, 30 iterations make a chunk's 30 ms
    sizes = sizes_slowing_down(1e-7, 1e-3, 4000, 6000, boundary=1000)
    assert sizes[-5:-1] == [30, 30, 30, 30]  # (the last: what was left of the 6000)


@pytest.mark.parametrize("per_iteration", [1e-7, 1e-5, 3e-4, 0.004, 0.02, 0.08])
def test_should_stop_is_polled_at_least_every_tenth_of_a_second(per_iteration: float) -> None:
    net = RNN(RNNConfig(hidden=2))
    clock = IterationClock(net, per_iteration)
    polls: list[float] = []

    def should_stop() -> bool:
        polls.append(clock())
        return False

    train(net, 3000, should_stop=should_stop, clock=clock)
    gaps = np.diff(polls)
    assert len(polls) > 1 and gaps.max() <= 0.1 + 1e-12, gaps.max()


@pytest.mark.parametrize("config", CONFIGS[:3], ids=str)
@pytest.mark.parametrize("per_iteration", [1e-7, 0.001, 0.05])
def test_results_do_not_depend_on_the_chunking(config: RNNConfig, per_iteration: float) -> None:
    timed, whole = RNN(config), RNN(config)
    timed_errors: list[float] = []
    whole_errors: list[float] = []
    logged_timed: list[object] = []
    logged_whole: list[object] = []
    train(
        timed,
        1500,
        on_chunk=lambda r: timed_errors.extend(r.errors),
        log_every=100,
        on_log=logged_timed.append,
        clock=IterationClock(timed, per_iteration),
    )
    train(
        whole,
        1500,
        on_chunk=lambda r: whole_errors.extend(r.errors),
        log_every=100,
        on_log=logged_whole.append,
        chunk=1500,
    )
    assert timed.same_state(whole)
    assert timed_errors == whole_errors and logged_timed == logged_whole


def test_a_stop_at_1024_hidden_units_waits_one_iteration_not_a_chunk_of_128() -> None:
    # Before: the first chunk was 128 iterations (about 10 s at this size). Now the
    # first chunk is one iteration, so a stop asked at the first poll after it ends
    # the run there, however fast or slow the machine is.
    net = RNN(RNNConfig(hidden=1024))
    polls = []

    def should_stop() -> bool:
        polls.append(net.iteration)
        return len(polls) > 1

    assert train(net, 128, should_stop=should_stop) == 1
    assert polls == [0, 1] and net.iteration == 1


def test_a_negative_log_every_is_refused_not_looped_on() -> None:
    # the compiled kernel's chunks end at each logged iteration: a negative period would
    # make every chunk empty
    net = RNN(RNNConfig(hidden=3))
    with pytest.raises(ValueError, match="log_every"):
        train(net, 5, log_every=-3, on_log=lambda report: None)
    assert net.iteration == 0
