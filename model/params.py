"""The parameter layout of a network: one place that says which weights exist and where.

Every weight matrix lives as a view into one flat float64 vector, in the order the
tutorial draws them (synapse_0, synapse_1, synapse_h, then anything not drawn, such as
the gated cells' bias). One draw of `random_sample(drawn_size)` is therefore the
tutorial's separate draws, and a weight update is a single vector operation.

The network, the kernels' gradient buffers, the stepper's update sizes, checkpoints and
the weights screen all read this layout instead of re-deriving it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Param:
    """One named weight array: its shape, whether it is drawn, its column blocks."""

    name: str
    shape: tuple[int, ...]
    drawn: bool = True  # False: starts at zero, takes nothing from the random stream
    blocks: tuple[str, ...] = ()  # gate names of its column blocks of H (empty: one block)

    @property
    def size(self) -> int:
        return math.prod(self.shape)


@dataclass(frozen=True)
class ParamSpec:
    """Ordered weights of one cell at one hidden size; drawn weights come first."""

    params: tuple[Param, ...]
    hidden: int

    def __post_init__(self) -> None:
        drawn = [p.drawn for p in self.params]
        if drawn != sorted(drawn, reverse=True):
            raise ValueError("drawn weights must precede the ones that are not drawn")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params)

    @property
    def shapes(self) -> dict[str, tuple[int, ...]]:
        return {p.name: p.shape for p in self.params}

    @property
    def size(self) -> int:
        return sum(p.size for p in self.params)

    @property
    def drawn_size(self) -> int:
        return sum(p.size for p in self.params if p.drawn)

    def slices(self) -> dict[str, slice]:
        """Where each weight sits in the flat vector."""
        out, start = {}, 0
        for p in self.params:
            out[p.name] = slice(start, start + p.size)
            start += p.size
        return out

    def slice(self, name: str) -> slice:
        return self.slices()[name]

    def views(self, flat: np.ndarray) -> dict[str, np.ndarray]:
        """Each weight as a C-contiguous view of `flat` (writes go to `flat`)."""
        if flat.shape != (self.size,):
            raise ValueError(f"expected {self.size} parameters, got shape {flat.shape}")
        pairs = zip(self.params, self.slices().values(), strict=True)
        views = {p.name: flat[s].reshape(p.shape) for p, s in pairs}
        for view in views.values():
            assert np.shares_memory(view, flat) or view.size == 0, "a reshape made a copy"
        return views

    def stacked_views(self, rows: np.ndarray) -> dict[str, np.ndarray]:
        """Views of a (n, size) array: each weight as (n, *shape), row k laid out like flat."""
        n = rows.shape[0]
        return {
            p.name: rows[:, s].reshape(n, *p.shape)
            for p, s in zip(self.params, self.slices().values(), strict=True)
        }

    def blocks(self, name: str) -> list[tuple[str, np.ndarray]]:
        """(label, column indices) of each gate block of a weight; one block if ungated."""
        param = self.params[self.names.index(name)]
        if not param.blocks:
            return [(name, np.arange(param.shape[-1]))]
        h = self.hidden
        return [
            (f"{name}[{gate}]", np.arange(k * h, (k + 1) * h))
            for k, gate in enumerate(param.blocks)
        ]

    def max_abs(self, flat: np.ndarray) -> tuple[float, ...]:
        """max |value| of each weight of a flat vector (e.g. an update), in layout order."""
        return tuple(float(np.abs(flat[s]).max()) for s in self.slices().values())

    def draw(self, rng: np.random.RandomState, low: float = -1.0, high: float = 1.0) -> np.ndarray:
        """A new flat vector: drawn weights `(high - low) * random + low`, the rest zeros.

        The default range -1, 1 gives the tutorial's `2*random - 1` bit for bit.
        """
        flat = np.zeros(self.size)
        sample = rng.random_sample(self.drawn_size)
        # (1 - -1) * r + -1 is 2 * r - 1 bit for bit: 2.0 * r is exact, and x + -1.0 is
        # x - 1.0 in IEEE arithmetic (tests/test_params.py checks it on the tutorial's draws)
        flat[: self.drawn_size] = (high - low) * sample + low
        return flat


def rnn_spec(hidden: int) -> ParamSpec:
    h = hidden
    return ParamSpec(
        (Param("synapse_0", (2, h)), Param("synapse_1", (h, 1)), Param("synapse_h", (h, h))),
        hidden,
    )


def gated_spec(hidden: int, gates: tuple[str, ...]) -> ParamSpec:
    """LSTM/GRU: G = len(gates) column blocks of H per matrix, plus a zero bias."""
    h, width = hidden, len(gates) * hidden
    return ParamSpec(
        (
            Param("synapse_0", (2, width), blocks=gates),
            Param("synapse_1", (h, 1)),
            Param("synapse_h", (h, width), blocks=gates),
            Param("bias", (width,), drawn=False, blocks=gates),
        ),
        hidden,
    )
