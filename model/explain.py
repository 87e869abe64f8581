"""The numbers behind one cell of the heatmap: the tutorial's statement, term by term.

For the tutorial's RNN, hidden unit u at timestep t:

    layer_1[t][u]       = sigmoid(x_t · synapse_0[:, u] + layer_1[t-1] · synapse_h[:, u])
    layer_1_delta[t][u] = (layer_1_delta[t+1] · synapse_h.T[:, u]
                           + layer_2_delta[t] · synapse_1.T[:, u])
                          * layer_1[t][u] * (1 - layer_1[t][u])
    layer_2_delta[t]    = (y_t - layer_2[t]) * layer_2[t] * (1 - layer_2[t])

The functions take the weights and the states the step computed (plain arrays) and give
each term as a number, so a screen can print the statement with this example's numbers.
They recompute the terms with one dot product each; the sums may differ from the
kernel's in the last bits, never in the digits shown. Pure numpy, no screen.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


def sigmoid(x: float) -> float:
    """The tutorial's `1 / (1 + np.exp(-x))` for one number (inf, not an error, on overflow)."""
    with np.errstate(all="ignore"):
        return float(1.0 / (1.0 + np.exp(-np.float64(x))))


@dataclass(frozen=True)
class ForwardTerms:
    """layer_1[t][unit] and the two sums inside its sigmoid."""

    unit: int
    x: tuple[float, float]  # the input bits of timestep t (a's, b's)
    input_weights: tuple[float, float]  # synapse_0[:, unit]
    input_term: float  # x · synapse_0[:, unit]
    recurrent_term: float  # layer_1[t-1] · synapse_h[:, unit] (0 when cut or at t = 0)
    # the recurrent sum's largest contributions: (k, layer_1[t-1][k], synapse_h[k, unit])
    largest: tuple[tuple[int, float, float], ...]
    cut: bool  # synapse_h taken as 0 (an ablation)

    @property
    def total(self) -> float:
        return self.input_term + self.recurrent_term

    @property
    def value(self) -> float:
        return sigmoid(self.total)


def rnn_forward(
    synapse_0: np.ndarray,
    synapse_h: np.ndarray,
    x: Sequence[float],
    previous: Sequence[float] | None,
    unit: int,
    *,
    cut_recurrence: bool = False,
    largest: int = 3,
) -> ForwardTerms:
    """The terms of layer_1[t][unit]; `previous` is layer_1[t-1] (None at t = 0: zeros)."""
    inputs = np.asarray(x, dtype=np.float64)
    column = synapse_0[:, unit]
    input_term = float(np.dot(inputs, column))
    recurrent = 0.0
    top: tuple[tuple[int, float, float], ...] = ()
    if previous is not None and not cut_recurrence:
        prev = np.asarray(previous, dtype=np.float64)
        weights = synapse_h[:, unit]
        recurrent = float(np.dot(prev, weights))
        with np.errstate(all="ignore"):
            parts = np.abs(prev * weights)
        order = np.argsort(-np.nan_to_num(parts, nan=0.0), kind="stable")[:largest]
        top = tuple((int(k), float(prev[k]), float(weights[k])) for k in order)
    return ForwardTerms(
        unit=unit,
        x=(float(inputs[0]), float(inputs[1])),
        input_weights=(float(column[0]), float(column[1])),
        input_term=input_term,
        recurrent_term=recurrent,
        largest=top,
        cut=cut_recurrence and previous is not None,
    )


@dataclass(frozen=True)
class BackwardTerms:
    """layer_1_delta[t][unit] and the parts it is made of."""

    unit: int
    future_term: float  # layer_1_delta[t+1] · synapse_h.T[:, unit] (0 at the last timestep)
    last: bool  # the last timestep: nothing flows back into it
    target: float  # y_t, the true bit
    layer_2: float
    weight_out: float  # synapse_1[unit, 0]
    state: float  # layer_1[t][unit]

    @property
    def layer_2_delta(self) -> float:
        return (self.target - self.layer_2) * self.layer_2 * (1.0 - self.layer_2)

    @property
    def output_term(self) -> float:
        """layer_2_delta[t] · synapse_1.T[:, unit]."""
        return self.layer_2_delta * self.weight_out

    @property
    def slope(self) -> float:
        """layer_1 * (1 - layer_1), the sigmoid's derivative at this state."""
        return self.state * (1.0 - self.state)

    @property
    def value(self) -> float:
        return (self.future_term + self.output_term) * self.slope


def rnn_backward(
    synapse_1: np.ndarray,
    synapse_h: np.ndarray,
    future_delta: Sequence[float] | None,
    target: float,
    layer_2: float,
    state: Sequence[float],
    unit: int,
) -> BackwardTerms:
    """The terms of layer_1_delta[t][unit]; `future_delta` is layer_1_delta[t+1] (None at
    the last timestep), `state` is layer_1[t], `layer_2` and `target` timestep t's."""
    future = 0.0
    if future_delta is not None:
        future = float(np.dot(np.asarray(future_delta, dtype=np.float64), synapse_h[unit, :]))
    return BackwardTerms(
        unit=unit,
        future_term=future,
        last=future_delta is None,
        target=float(target),
        layer_2=float(layer_2),
        weight_out=float(synapse_1[unit, 0]),
        state=float(state[unit]),
    )


def agrees(recomputed: float, shown: float, digits: int = 4) -> bool:
    """Do two numbers agree to `digits` significant digits (within one unit of the last)?"""
    if not (math.isfinite(recomputed) and math.isfinite(shown)):
        return str(recomputed) == str(shown)
    if shown == 0.0:
        return abs(recomputed) < 10.0**-300
    unit = 10.0 ** (math.floor(math.log10(abs(shown))) - digits + 1)
    return abs(recomputed - shown) <= unit
