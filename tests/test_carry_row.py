"""The carry row under the heatmap is what the marked unit holds: the carry out of bit t."""

from __future__ import annotations

import numpy as np

from model.config import RNNConfig
from model.encoding import carry_out
from model.network import RNN
from model.probes import carry_probe
from model.trainer import train


def states_of_every_sum(net: RNN) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """layer_1 after each timestep for all 128 x 128 sums, by the plain forward pass."""
    a = np.repeat(np.arange(128), 128)
    b = np.tile(np.arange(128), 128)
    state = np.zeros((a.size, net.hidden))
    states = []
    for t in range(8):
        x = np.stack([(a >> t) & 1, (b >> t) & 1], axis=1).astype(np.float64)
        state = 1 / (1 + np.exp(-(x @ net.synapse_0 + state @ net.synapse_h)))
        states.append(state)
    return a, b, np.stack(states, axis=1)  # (n, 8, H)


def test_the_marked_unit_holds_the_carry_out_of_its_own_timestep() -> None:
    net = RNN(RNNConfig())
    train(net, 10_000)
    probe = carry_probe(net.synapse_0, net.synapse_1, net.synapse_h, 8)
    a, b, states = states_of_every_sum(net)
    unit = states[:, :, probe.unit]  # (n, 8)
    lit = unit > 0.5 if probe.correlation > 0 else unit < 0.5  # an anti-carry unit is dark
    carries = (a + b) ^ a ^ b

    def agreement(shift: int) -> float:
        row = np.stack([(carries >> (t + shift)) & 1 for t in range(8)], axis=1)
        return float(np.mean(lit == row.astype(bool)))

    row = np.array([carry_out(int(x), int(y), 8) for x, y in zip(a[:500], b[:500], strict=True)])
    assert np.array_equal(row, np.stack([(carries[:500] >> (t + 1)) & 1 for t in range(8)], 1))
    assert agreement(1) >= 0.90  # the carry out of t, in column t: measured 92%
    assert agreement(1) > agreement(0)  # the carry into t (one column to the left)
    assert agreement(1) > agreement(2)  # the carry out of t + 1 (one column to the right)
