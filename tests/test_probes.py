"""Probes: the fast exhaustive evaluator against the plain one, ablations, the carry unit."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from probe_reference import evaluate_naive, hidden_states_for

import model.probes as probes
from model.cells.rnn import IterationKernel
from model.config import RNNConfig
from model.encoding import problem_bits
from model.network import RNN
from model.probes import (
    NONE,
    Ablation,
    Accuracy,
    CarryProbe,
    carry_into,
    carry_probe,
    evaluate,
)
from model.trainer import train

TRAINED_ITERATIONS = 8000


@pytest.fixture(scope="module")
def trained() -> RNN:
    """The tutorial's network (seed 0, 16 hidden, alpha 0.1, 8 bits) after 8000 iterations."""
    net = RNN(RNNConfig())
    train(net, TRAINED_ITERATIONS)
    return net


def weights(net: RNN) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return net.synapse_0, net.synapse_1, net.synapse_h


def random_weights(
    seed: int, hidden: int, scale: float = 1.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return (
        scale * (2 * rng.random((2, hidden)) - 1),
        scale * (2 * rng.random((hidden, 1)) - 1),
        scale * (2 * rng.random((hidden, hidden)) - 1),
    )


def all_pairs(bits: int) -> tuple[np.ndarray, np.ndarray]:
    limit = 1 << (bits - 1)
    grid = np.arange(limit)
    return np.repeat(grid, limit), np.tile(grid, limit)


def batch_hidden(s0: np.ndarray, sh: np.ndarray, a: np.ndarray, b: np.ndarray, bits: int):
    """layer_1 of every pair, the obvious way: (n, bits, H)."""
    states = np.zeros((a.shape[0], bits, s0.shape[1]))
    h = np.zeros((a.shape[0], s0.shape[1]))
    for t in range(bits):
        x = np.stack([(a >> t) & 1, (b >> t) & 1], axis=1).astype(float)
        h = 1 / (1 + np.exp(-(x @ s0 + h @ sh)))
        states[:, t] = h
    return states


# -- the fast evaluator gives the reference's numbers -------------------------------------


@pytest.mark.parametrize("hidden", [1, 4, 16])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fast_equals_naive_on_random_weights(seed: int, hidden: int) -> None:
    for scale in (1.0, 4.0):
        s0, s1, sh = random_weights(seed, hidden, scale)
        for bits in range(2, 9):
            fast = evaluate(s0, s1, sh, bits)
            slow = evaluate_naive(s0, s1, sh, bits)
            assert fast == slow, (scale, bits)
            assert fast.count == 4 ** (bits - 1) and not fast.sampled


@pytest.mark.parametrize(
    "ablation",
    [NONE, Ablation(clamped_unit=0), Ablation(cut_recurrence=True), Ablation(2, True)],
)
def test_fast_equals_naive_with_ablations(ablation: Ablation) -> None:
    s0, s1, sh = random_weights(7, 5, 3.0)
    for bits in (2, 3, 6, 8):
        assert evaluate(s0, s1, sh, bits, ablation) == evaluate_naive(s0, s1, sh, bits, ablation)


def test_fast_equals_naive_on_trained_net(trained: RNN) -> None:
    ablations = [NONE, Ablation(cut_recurrence=True)]
    ablations += [Ablation(clamped_unit=u) for u in (0, 1, 9, 15)]
    for ablation in ablations:
        fast = evaluate(*weights(trained), 8, ablation)
        assert fast == evaluate_naive(*weights(trained), 8, ablation), ablation


def test_fast_equals_naive_when_levels_are_split(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tiny chunks force the row-splitting (and parent re-basing) paths."""
    s0, s1, sh = random_weights(3, 5, 3.0)
    expected = {bits: evaluate_naive(s0, s1, sh, bits) for bits in (4, 8, 9)}
    whole = carry_probe(s0, s1, sh, 8)
    for chunk in (1, 4, 64, 256):
        monkeypatch.setattr(probes, "_CHUNK_STATES", chunk)
        for bits, accuracy in expected.items():
            assert evaluate(s0, s1, sh, bits) == accuracy, (chunk, bits)
        split = carry_probe(s0, s1, sh, 8)
        assert split.unit == whole.unit
        np.testing.assert_allclose(split.correlations, whole.correlations, atol=1e-12)


def test_nine_and_ten_bits_are_still_exhaustive() -> None:
    s0, s1, sh = random_weights(4, 3, 3.0)
    nine = evaluate(s0, s1, sh, 9)
    assert nine == evaluate_naive(s0, s1, sh, 9)
    ten = evaluate(s0, s1, sh, 10)
    assert (ten.count, ten.sampled) == (4**9, False)


# -- known answers ---------------------------------------------------------------------


@pytest.mark.parametrize("bits", [3, 5, 8])
def test_a_net_that_always_says_zero(bits: int) -> None:
    """Negative synapse_1 and positive activations: every output is below 0.5."""
    hidden = 4
    s0 = np.full((2, hidden), 0.3)
    s1 = -np.ones((hidden, 1))
    sh = np.full((hidden, hidden), 0.1)
    accuracy = evaluate(s0, s1, sh, bits)

    limit = 1 << (bits - 1)
    zero_sums = zero_bits = 0
    for a in range(limit):
        for b in range(limit):
            digits = format(a + b, f"0{bits}b")
            zero_sums += digits == "0" * bits
            zero_bits += digits.count("0")
    assert zero_sums == 1  # only 0 + 0
    assert accuracy.exact == zero_sums / limit**2
    assert accuracy.per_bit == zero_bits / (limit**2 * bits)
    assert accuracy == evaluate_naive(s0, s1, sh, bits)
    if bits == 8:
        assert accuracy.exact == 1 / 16384


def test_trained_net_adds_perfectly(trained: RNN) -> None:
    accuracy = evaluate(*weights(trained), 8)
    assert accuracy == Accuracy(exact=1.0, per_bit=1.0, count=16384, sampled=False, bits=8)


def test_accuracy_holds_plain_python_numbers(trained: RNN) -> None:
    accuracy = evaluate(*weights(trained), 8)
    assert type(accuracy.exact) is float and type(accuracy.per_bit) is float
    assert type(accuracy.count) is int and type(accuracy.bits) is int
    assert type(accuracy.sampled) is bool
    probe = carry_probe(*weights(trained), 8)
    assert type(probe.unit) is int and type(probe.correlation) is float
    assert all(type(r) is float for r in probe.correlations)


# -- the carry unit and ablations ----------------------------------------------------------


def test_trained_net_has_a_carry_unit(trained: RNN) -> None:
    probe = carry_probe(*weights(trained), 8)
    assert isinstance(probe, CarryProbe)
    assert len(probe.correlations) == trained.hidden
    assert probe.correlation == probe.correlations[probe.unit]
    assert abs(probe.correlation) == max(abs(r) for r in probe.correlations)
    # seed 0 after 8000 iterations: unit 1, r = 0.911 over timesteps 1..6
    assert abs(probe.correlation) > 0.9


def test_carry_probe_equals_plain_pearson(trained: RNN) -> None:
    """The prefix-weighted moments give np.corrcoef over every (pair, timestep 1..6)."""
    for s0, s1, sh in (weights(trained), random_weights(5, 6, 3.0)):
        a, b = all_pairs(8)
        states = batch_hidden(s0, sh, a, b, 8)[:, 1:7]  # (n, 6, H)
        carry_out = carry_into(a, b, 9)[:, 2:8]  # (n, 6): carry into t+1
        x = states.reshape(-1, s0.shape[1])
        y = carry_out.reshape(-1)
        expected = [np.corrcoef(x[:, u], y)[0, 1] for u in range(s0.shape[1])]
        probe = carry_probe(s0, s1, sh, 8)
        np.testing.assert_allclose(probe.correlations, expected, atol=1e-9)


def test_clamping_the_carry_unit_breaks_addition(trained: RNN) -> None:
    unit = carry_probe(*weights(trained), 8).unit
    clamped = evaluate(*weights(trained), 8, Ablation(clamped_unit=unit))
    assert clamped.exact < 0.5
    assert clamped.per_bit < 1.0


def test_cutting_the_recurrence_breaks_addition(trained: RNN) -> None:
    cut = evaluate(*weights(trained), 8, Ablation(cut_recurrence=True))
    assert cut.exact < 0.5


def test_constant_unit_gets_zero_correlation() -> None:
    s0, s1, sh = random_weights(6, 4, 2.0)
    s0[:, 2] = 0.0
    sh[:, 2] = 0.0  # unit 2's input is always 0: its activation is always 0.5
    probe = carry_probe(s0, s1, sh, 8)
    assert probe.correlations[2] == 0.0
    assert all(np.isfinite(probe.correlations))


# -- carries, single sums, wide widths, broken weights --------------------------------------


def test_carry_into_matches_a_loop() -> None:
    rng = np.random.default_rng(0)
    for bits in (2, 8, 16, 32):
        limit = 1 << (bits - 1)
        a = rng.integers(0, limit, 200)
        b = rng.integers(0, limit, 200)
        got = carry_into(a, b, bits)
        assert got.shape == (200, bits)
        for i in range(200):
            carry, expected = 0, []
            for t in range(bits):
                expected.append(carry)
                carry = (((int(a[i]) >> t) & 1) + ((int(b[i]) >> t) & 1) + carry) // 2
            assert got[i].tolist() == expected


def test_hidden_states_for_is_the_training_forward_pass(trained: RNN) -> None:
    kernel = IterationKernel(trained.hidden, trained.bits)
    for a, b in ((9, 60), (127, 127), (0, 0), (85, 42)):
        X, Y = problem_bits(np.array([a]), np.array([b]), trained.bits)
        kernel.load_example(trained, X[0], Y[0])
        kernel.forward(0, trained.bits)
        expected = kernel.layer_1[1:].reshape(trained.bits, trained.hidden)
        got = hidden_states_for(trained.synapse_0, trained.synapse_h, a, b, trained.bits)
        assert got.shape == (trained.bits, trained.hidden)
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("bits", [16, 32])
def test_wide_widths_are_sampled(bits: int) -> None:
    s0, s1, sh = random_weights(1, 8)
    accuracy = evaluate(s0, s1, sh, bits)
    assert accuracy.sampled and accuracy.count == probes.SAMPLE_SIZE and accuracy.bits == bits
    assert accuracy == evaluate(s0, s1, sh, bits)  # the sample is fixed
    assert accuracy == evaluate_naive(s0, s1, sh, bits)
    assert 0.0 <= accuracy.exact <= accuracy.per_bit <= 1.0
    probe = carry_probe(s0, s1, sh, bits)
    assert len(probe.correlations) == 8 and all(np.isfinite(probe.correlations))


@pytest.mark.parametrize("bits", [8, 12])
def test_broken_weights_score_zero_without_warnings(bits: int) -> None:
    hidden = 4
    nan = (np.full((2, hidden), np.nan), np.full((hidden, 1), np.nan))
    nan += (np.full((hidden, hidden), np.nan),)
    huge = random_weights(2, hidden, 1e300)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        accuracy = evaluate(*nan, bits)
        assert (accuracy.exact, accuracy.per_bit) == (0.0, 0.0)
        assert evaluate_naive(*nan, bits) == accuracy
        assert evaluate(*nan, bits, Ablation(clamped_unit=1, cut_recurrence=True)).exact == 0.0
        probe = carry_probe(*nan, bits)
        assert probe.correlations == (0.0,) * hidden and probe.correlation == 0.0
        assert evaluate(*huge, bits) == evaluate_naive(*huge, bits)
        carry_probe(*huge, bits)
        hidden_states_for(nan[0], nan[2], 3, 4, bits)


def test_bad_arguments_are_refused() -> None:
    s0, s1, sh = random_weights(0, 4)
    with pytest.raises(ValueError, match="clamped_unit"):
        evaluate(s0, s1, sh, 8, Ablation(clamped_unit=4))
    with pytest.raises(ValueError, match="bits"):
        evaluate(s0, s1, sh, 1)
    with pytest.raises(ValueError, match="synapse_h"):
        evaluate(s0, s1, sh[:, :3], 8)
    with pytest.raises(ValueError, match="synapse_1"):
        carry_probe(s0, s1.T, sh, 8)
