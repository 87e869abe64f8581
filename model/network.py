"""A network of one cell (the tutorial's RNN, an LSTM or a GRU): weights, stream, clock.

    h[t]       = cell(x[t], h[t-1], ...)        # RNN: layer_1 = sigmoid(x @ s0 + h @ sh)
    layer_2[t] = sigmoid(h[t] @ synapse_1)      # (1, 1), the same output layer for all

The weights live as views into one flat parameter vector laid out by the cell's
`ParamSpec` (model/params.py), in the order the tutorial draws them; one draw of the
drawn part is therefore the tutorial's separate draws, and the update is one vector op.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np

from model.cells import CellInfo, cell_info
from model.config import RNNConfig
from model.params import ParamSpec, rnn_spec


def parameter_count(hidden: int) -> int:
    """Parameters of the tutorial's RNN at this hidden size."""
    return rnn_spec(hidden).size


def weight_views(flat: np.ndarray, hidden: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The RNN's (synapse_0 (2,H), synapse_1 (H,1), synapse_h (H,H)) as views of `flat`."""
    views = rnn_spec(hidden).views(flat)
    return views["synapse_0"], views["synapse_1"], views["synapse_h"]


class Network:
    """Weights, hyperparameters, random stream and iteration count of one run.

    The random stream is private (`RandomState(seed)`, never numpy's global one) and
    is consumed exactly as the tutorial consumes it: the weight matrices first (in the
    layout's order), then two `randint` calls per training example.
    """

    synapse_0: np.ndarray
    synapse_1: np.ndarray
    synapse_h: np.ndarray
    bias: np.ndarray | None
    info: CellInfo
    spec: ParamSpec

    def __init__(self, config: RNNConfig) -> None:
        self.config = config
        self.alpha = float(config.alpha)
        self.info = cell_info(config.cell)
        self.spec = self.info.spec(config.hidden)
        self.rng = np.random.RandomState(config.seed)
        self.params = self.spec.draw(self.rng, *config.init)
        self.iteration = 0
        self._bind_views()

    def _bind_views(self) -> None:
        self.weights = self.spec.views(self.params)
        self.synapse_0 = self.weights["synapse_0"]
        self.synapse_1 = self.weights["synapse_1"]
        self.synapse_h = self.weights["synapse_h"]
        self.bias = self.weights.get("bias")

    @property
    def cell(self) -> str:
        return self.config.cell

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

    def copy(self) -> Network:
        twin = Network.__new__(type(self))
        twin.config = self.config
        twin.info, twin.spec = self.info, self.spec
        twin.alpha = self.alpha
        twin.rng = np.random.RandomState()
        twin.rng.set_state(self.rng.get_state())
        twin.params = self.params.copy()
        twin.iteration = self.iteration
        twin._bind_views()
        return twin

    def rng_state(self) -> tuple[Any, ...]:
        """The random stream's state as `RandomState.get_state()`'s legacy tuple."""
        return cast(tuple[Any, ...], self.rng.get_state())  # typed dict | tuple

    def load_state(self, params: np.ndarray, rng_state: tuple[Any, ...], iteration: int) -> None:
        """Replace weights, random stream and clock (used by checkpoints)."""
        self.params[:] = params
        self.rng.set_state(rng_state)
        self.iteration = iteration

    def same_state(self, other: Network) -> bool:
        """Bit-identical weights, random stream and iteration count."""
        return (
            self.config.cell == other.config.cell
            and self.iteration == other.iteration
            and np.array_equal(self.params, other.params)
            and same_rng_state(self.rng_state(), other.rng_state())
        )


def same_rng_state(one: tuple[Any, ...], other: tuple[Any, ...]) -> bool:
    """Two `RandomState.get_state()` tuples: the same stream, at the same place?"""
    return one[0] == other[0] and np.array_equal(one[1], other[1]) and one[2:] == other[2:]


RNN = Network  # the tutorial's name; the cell is the config's
