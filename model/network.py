"""The tutorial's recurrent network: its weights, its random stream, its clock.

    layer_1[t] = sigmoid(X[t] @ synapse_0 + layer_1[t-1] @ synapse_h)   # (1, H)
    layer_2[t] = sigmoid(layer_1[t] @ synapse_1)                        # (1, 1)

The three weight matrices live as views into one flat parameter vector, laid out in
the order the tutorial draws them (synapse_0, synapse_1, synapse_h). One draw of
`2*random(2H + H + H*H) - 1` is therefore the tutorial's three draws, and the weight
update is a single vector operation.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from model.config import RNNConfig


def parameter_count(hidden: int) -> int:
    return 2 * hidden + hidden + hidden * hidden


def weight_views(flat: np.ndarray, hidden: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(synapse_0 (2,H), synapse_1 (H,1), synapse_h (H,H)) as C-contiguous views of `flat`."""
    h = hidden
    return (
        flat[: 2 * h].reshape(2, h),
        flat[2 * h : 3 * h].reshape(h, 1),
        flat[3 * h :].reshape(h, h),
    )


class RNN:
    """Weights, hyperparameters, random stream and iteration count of one run.

    The random stream is private (`RandomState(seed)`, never numpy's global one) and
    is consumed exactly as the tutorial consumes it: the three weight matrices first,
    then two `randint` calls per training example.
    """

    def __init__(self, config: RNNConfig) -> None:
        self.config = config
        self.alpha = float(config.alpha)
        self.rng = np.random.RandomState(config.seed)
        self.params = 2 * self.rng.random_sample(parameter_count(config.hidden)) - 1
        self.iteration = 0
        self._bind_views()

    def _bind_views(self) -> None:
        self.synapse_0, self.synapse_1, self.synapse_h = weight_views(self.params, self.hidden)

    @property
    def hidden(self) -> int:
        return self.config.hidden

    @property
    def bits(self) -> int:
        return self.config.bits

    def draw_example(self) -> tuple[int, int]:
        """The next training sum from the random stream, as the tutorial draws it."""
        a, b = self.rng.randint(self.config.operand_limit, size=2)
        return int(a), int(b)

    def draw_examples(self, count: int) -> tuple[np.ndarray, np.ndarray]:
        """`count` sums at once; the stream ends where `count` single draws would leave it."""
        pairs = self.rng.randint(self.config.operand_limit, size=2 * count).reshape(count, 2)
        return pairs[:, 0], pairs[:, 1]

    def is_finite(self) -> bool:
        return bool(np.isfinite(self.params).all())

    def copy(self) -> RNN:
        twin = RNN.__new__(RNN)
        twin.config = self.config
        twin.alpha = self.alpha
        twin.rng = np.random.RandomState()
        twin.rng.set_state(self.rng.get_state())
        twin.params = self.params.copy()
        twin.iteration = self.iteration
        twin._bind_views()
        return twin

    def load_state(self, params: np.ndarray, rng_state: tuple[Any, ...], iteration: int) -> None:
        """Replace weights, random stream and clock (used by checkpoints)."""
        self.params[:] = params
        self.rng.set_state(rng_state)
        self.iteration = iteration

    def same_state(self, other: RNN) -> bool:
        """Bit-identical weights, random stream and iteration count."""
        mine, theirs = self.rng.get_state(), other.rng.get_state()
        return (
            self.iteration == other.iteration
            and np.array_equal(self.params, other.params)
            and mine[2:] == theirs[2:]
            and np.array_equal(mine[1], theirs[1])
        )
