"""The numbers behind one cell of an LSTM's or GRU's heatmap, term by term.

The gated cells' equations (DESIGN.md "The other cells"; model/cells/lstm.py, gru.py):

    gate[t][u] = squash(x_t · synapse_0[gate][:, u] + source · synapse_h[gate][:, u]
                        + bias[gate][u])            source = h_prev (GRU's n: r * h_prev)
    LSTM   c = f * c_prev + i * g                    h = o * tanh(c)
    GRU    h = (1 - z) * n + z * h_prev

and going backward the deltas flowing into the carried states (the kernels' dh, dc):

    LSTM   dh[t] = layer_2_delta[t] · synapse_1.T[:, u] + future_dz · synapse_h.T[:, u]
           dc[t] = dh[t] * o * (1 - tanh(c)^2) + dc[t+1] * f[t+1]
    GRU    dh[t] = layer_2_delta[t] · synapse_1.T[:, u]
                   + dh[t+1] * z[t+1] + rh[t+1] * r[t+1] + [d_z d_r][t+1] · synapse_h[z, r].T[:, u]

Which columns belong to which gate is read from the cell's parameter layout
(`ParamSpec.blocks`), and which gates are tanh from the kernel (`tanh_gates`): nothing
here knows the layout. The future terms need the gates' deltas of timestep t+1 (the
kernels keep them in their gradient buffers, not in a snapshot): they are recomputed
from the snapshot's states with the kernels' local derivatives (model/cells/lstm.py and
gru.py docstrings). Every statement is checked against the kernel's number on screen
(tests/test_explain_gated.py), so a slip here shows as a disagreement, never as a
wrong number. Pure numpy, no screen.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from model.cells import cell_module
from model.explain import sigmoid
from model.params import ParamSpec

Row = Sequence[float]


def tanh(x: float) -> float:
    with np.errstate(all="ignore"):
        return float(np.tanh(np.float64(x)))


def block(spec: ParamSpec, name: str, gate: str) -> tuple[str, np.ndarray]:
    """(label, column indices) of `gate`'s block of weight `name`, from the layout."""
    param = spec.params[spec.names.index(name)]
    return spec.blocks(name)[param.blocks.index(gate)]


def tanh_gates(cell: str) -> tuple[str, ...]:
    """The gates squashed by tanh (the others by sigmoid), as the cell's kernel says."""
    gates: tuple[str, ...] = cell_module(cell).IterationKernel.tanh_gates
    return gates


@dataclass(frozen=True)
class GateTerms:
    """One gate of one unit: the three sums inside its squash."""

    gate: str
    unit: int
    squash: str  # "sigmoid" or "tanh"
    input_name: str  # "synapse_0[f]"
    recurrent_name: str  # "synapse_h[f]"
    bias_name: str  # "bias[f]"
    x: tuple[float, float]
    input_weights: tuple[float, float]
    input_term: float  # x · synapse_0[gate][:, unit]
    recurrent_term: float  # source · synapse_h[gate][:, unit] (0 at t = 0 or when cut)
    bias_term: float  # bias[gate][unit]
    first: bool  # t = 0: the carried states are zeros
    cut: bool  # synapse_h taken as 0 (an ablation)

    @property
    def total(self) -> float:
        return self.input_term + self.recurrent_term + self.bias_term

    @property
    def value(self) -> float:
        return tanh(self.total) if self.squash == "tanh" else sigmoid(self.total)


def gate_terms(
    cell: str,
    spec: ParamSpec,
    weights: Mapping[str, np.ndarray],
    gate: str,
    x: Sequence[float],
    source: Row | None,
    unit: int,
    *,
    cut_recurrence: bool = False,
) -> GateTerms:
    """The terms of `gate`[t][unit]; `source` is what meets synapse_h (h_prev, or the
    GRU's r * h_prev for n), None at t = 0 (zeros)."""
    in_name, in_cols = block(spec, "synapse_0", gate)
    rec_name, rec_cols = block(spec, "synapse_h", gate)
    bias_name, bias_cols = block(spec, "bias", gate)
    inputs = np.asarray(x, dtype=np.float64)
    column = weights["synapse_0"][:, in_cols[unit]]
    recurrent = 0.0
    if source is not None and not cut_recurrence:
        recurrent = float(
            np.dot(np.asarray(source, dtype=np.float64), weights["synapse_h"][:, rec_cols[unit]])
        )
    return GateTerms(
        gate=gate,
        unit=unit,
        squash="tanh" if gate in tanh_gates(cell) else "sigmoid",
        input_name=in_name,
        recurrent_name=rec_name,
        bias_name=bias_name,
        x=(float(inputs[0]), float(inputs[1])),
        input_weights=(float(column[0]), float(column[1])),
        input_term=float(np.dot(inputs, column)),
        recurrent_term=recurrent,
        bias_term=float(weights["bias"][bias_cols[unit]]),
        first=source is None,
        cut=cut_recurrence and source is not None,
    )


# -- how the states combine the gates ---------------------------------------------------------


@dataclass(frozen=True)
class LstmCell:
    """c = f * c_prev + i * g for one unit."""

    f: float
    c_prev: float  # 0 at t = 0
    i: float
    g: float

    @property
    def value(self) -> float:
        return self.f * self.c_prev + self.i * self.g


@dataclass(frozen=True)
class LstmHidden:
    """h = o * tanh(c) for one unit."""

    o: float
    c: float

    @property
    def tanh_c(self) -> float:
        return tanh(self.c)

    @property
    def value(self) -> float:
        return self.o * self.tanh_c


@dataclass(frozen=True)
class GruHidden:
    """h = (1 - z) * n + z * h_prev for one unit."""

    z: float
    n: float
    h_prev: float  # 0 at t = 0

    @property
    def value(self) -> float:
        return (1.0 - self.z) * self.n + self.z * self.h_prev


# -- backward: the deltas flowing into the carried states ---------------------------------------


@dataclass(frozen=True)
class OutputDelta:
    """layer_2_delta[t] · synapse_1.T[:, unit]: what the output sends back into h[t]."""

    target: float  # y_t
    layer_2: float
    weight_out: float  # synapse_1[unit, 0]

    @property
    def layer_2_delta(self) -> float:
        return (self.target - self.layer_2) * self.layer_2 * (1.0 - self.layer_2)

    @property
    def value(self) -> float:
        return self.layer_2_delta * self.weight_out


@dataclass(frozen=True)
class FuturePart:
    """One part of what flows into h[t] from timestep t+1: `what` (times `weight`'s
    row `unit`, as `what · weight.T[:, unit]`, when a weight is named)."""

    what: str  # "d_f", "dh*z"
    weight: str | None  # "synapse_h[f]", or None for an elementwise part
    amount: float


@dataclass(frozen=True)
class HiddenDelta:
    """dh[t][unit] = the output's part + the parts from timestep t+1."""

    output: OutputDelta
    future: tuple[FuturePart, ...]  # empty at the last timestep

    @property
    def future_total(self) -> float:
        return sum(part.amount for part in self.future)

    @property
    def value(self) -> float:
        return self.output.value + self.future_total


@dataclass(frozen=True)
class LstmCellDelta:
    """dc[t][unit] = dh * o * (1 - tanh(c)^2) + dc[t+1] * f[t+1]."""

    dh: float
    o: float
    tanh_c: float
    dc_next: float  # 0 at the last timestep
    f_next: float

    @property
    def through_h(self) -> float:
        return self.dh * self.o * (1.0 - self.tanh_c * self.tanh_c)

    @property
    def through_c(self) -> float:
        return self.dc_next * self.f_next

    @property
    def value(self) -> float:
        return self.through_h + self.through_c


def _vector(rows: Sequence[Row | None], t: int) -> np.ndarray:
    row = rows[t]
    if row is None:
        raise ValueError(f"timestep {t} is not computed yet")
    return np.asarray(row, dtype=np.float64)


def output_delta(
    weights: Mapping[str, np.ndarray], target: float, layer_2: float, unit: int
) -> OutputDelta:
    return OutputDelta(float(target), float(layer_2), float(weights["synapse_1"][unit, 0]))


def lstm_hidden_delta(
    spec: ParamSpec,
    weights: Mapping[str, np.ndarray],
    states: Mapping[str, Sequence[Row | None]],
    deltas: Mapping[str, Sequence[Row | None]],
    target: float,
    layer_2: float,
    t: int,
    unit: int,
) -> HiddenDelta:
    """dh[t][unit]; the future part is [d_i d_f d_o d_g][t+1] · synapse_h[gate].T[:, unit]."""
    out = output_delta(weights, target, layer_2, unit)
    if t + 1 >= len(states["h"]):
        return HiddenDelta(out, ())
    n = t + 1
    dh, dc = _vector(deltas["h"], n), _vector(deltas["c"], n)
    i, f, o, g = (_vector(states[k], n) for k in "ifog")
    c, c_prev = _vector(states["c"], n), _vector(states["c"], t)
    local = {  # the kernel's local derivatives (model/cells/lstm.py)
        "i": dc * g * i * (1 - i),
        "f": dc * c_prev * f * (1 - f),
        "o": dh * np.tanh(c) * o * (1 - o),
        "g": dc * i * (1 - g * g),
    }
    parts = []
    for gate, d in local.items():
        name, cols = block(spec, "synapse_h", gate)
        parts.append(
            FuturePart(f"d_{gate}", name, float(np.dot(d, weights["synapse_h"][unit, cols])))
        )
    return HiddenDelta(out, tuple(parts))


def lstm_cell_delta(
    states: Mapping[str, Sequence[Row | None]],
    deltas: Mapping[str, Sequence[Row | None]],
    t: int,
    unit: int,
) -> LstmCellDelta:
    dh = _vector(deltas["h"], t)[unit]
    o, c = _vector(states["o"], t)[unit], _vector(states["c"], t)[unit]
    last = t + 1 >= len(states["c"])
    dc_next = 0.0 if last else float(_vector(deltas["c"], t + 1)[unit])
    f_next = 0.0 if last else float(_vector(states["f"], t + 1)[unit])
    return LstmCellDelta(float(dh), float(o), tanh(float(c)), dc_next, f_next)


def gru_hidden_delta(
    spec: ParamSpec,
    weights: Mapping[str, np.ndarray],
    states: Mapping[str, Sequence[Row | None]],
    deltas: Mapping[str, Sequence[Row | None]],
    target: float,
    layer_2: float,
    t: int,
    unit: int,
) -> HiddenDelta:
    """dh[t][unit]; from t+1: through z (dh*z), through r*h_prev (rh*r), and the
    gates' own sums [d_z d_r] · synapse_h[z, r].T[:, unit]."""
    out = output_delta(weights, target, layer_2, unit)
    if t + 1 >= len(states["h"]):
        return HiddenDelta(out, ())
    n_t = t + 1
    dh = _vector(deltas["h"], n_t)
    z, r, n = (_vector(states[k], n_t) for k in "zrn")
    h_prev = _vector(states["h"], t)
    w = weights["synapse_h"]
    _, n_cols = block(spec, "synapse_h", "n")
    d_n = dh * (1 - z) * (1 - n * n)  # the kernel's local derivatives (model/cells/gru.py)
    rh = w[:, n_cols] @ d_n  # d_n @ synapse_h[n].T
    d_z = dh * (h_prev - n) * z * (1 - z)
    d_r = rh * h_prev * r * (1 - r)
    z_name, z_cols = block(spec, "synapse_h", "z")
    r_name, r_cols = block(spec, "synapse_h", "r")
    parts = (
        FuturePart("dh*z", None, float(dh[unit] * z[unit])),
        FuturePart("rh*r", None, float(rh[unit] * r[unit])),
        FuturePart("d_z", z_name, float(np.dot(d_z, w[unit, z_cols]))),
        FuturePart("d_r", r_name, float(np.dot(d_r, w[unit, r_cols]))),
    )
    return HiddenDelta(out, parts)
