"""The LSTM cell (DESIGN.md "The other cells"), per example and in batches.

    zx = x_t @ synapse_0 + h_prev @ synapse_h + bias        # (1, 4H): blocks i, f, o, g
    i, f, o = sigmoid(zx[i]), sigmoid(zx[f]), sigmoid(zx[o]);  g = tanh(zx[g])
    c = f * c_prev + i * g;  h = o * tanh(c)

Backward, with dh everything flowing into h[t] (from layer_2 and from timestep t+1):

    dc  = dh * (o * (1 - tanh(c)^2)) + dc[t+1] * f[t+1]
    d_i = dc * (g * i(1-i));  d_f = dc * (c_prev * f(1-f))
    d_o = dh * (tanh(c) * o(1-o));  d_g = dc * (i * (1-g^2))
    into h[t-1]: [d_i d_f d_o d_g] @ synapse_h.T

The bracketed local derivatives depend only on the forward pass, so they are made for
all timesteps at once; see model/cells/gated.py for the rules that keep every sum
bit-identical to tests/cell_reference.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from model.cells import CellInfo
from model.cells.gated import _OUTER, UPDATE_CODE, GatedKernel, outer
from model.params import gated_spec
from model.serial import matmul

if TYPE_CHECKING:
    from model.network import Network

GATES = ("i", "f", "o", "g")

CELL = CellInfo(
    name="lstm",
    title="LSTM",
    spec=lambda hidden: gated_spec(hidden, GATES),
    carried=("h", "c"),
    states=("h", "c", "i", "f", "o", "g"),
    signed=("h", "c", "g"),  # h = o*tanh(c) is in (-1, 1) too
    code={
        "forward": (
            "zx = X@synapse_0",
            "  + h_prev@synapse_h + bias",
            "i,f,o = sigmoid(zx[i,f,o])",
            "g = tanh(zx[g])",
            "c = f*c_prev + i*g",
            "h = o*tanh(c)",
            "layer_2 =",
            "  sigmoid(h@synapse_1)",
        ),
        "backward": (
            "dh = layer_2_delta",
            "     @ synapse_1.T",
            "   + future_dz@synapse_h.T",
            "dc = dh*o*(1-tanh(c)^2)",
            "   + future_dc*future_f",
            "d_i = dc*g*i*(1-i)",
            "d_f = dc*c_prev*f*(1-f)",
            "d_o = dh*tanh(c)*o*(1-o)",
            "d_g = dc*i*(1-g^2)",
        ),
        "update": UPDATE_CODE,
    },
)


class IterationKernel(GatedKernel):
    """One LSTM training iteration: load_example -> forward(0..B-1) -> outputs -> score
    -> prepare_backward -> backward(B-1..0) -> update."""

    gates = GATES
    tanh_gates = ("g",)
    temporaries = ("_ifo_slope", "_squares")

    def __init__(self, hidden: int, bits: int) -> None:
        super().__init__(hidden, bits)
        B, H = bits, hidden
        self.ifo = np.empty((B, 1, 3 * H))  # the sigmoid gates of each timestep
        self.gc = np.zeros((B + 1, 2, H))  # [g_t, c_{t-1}]: c after timestep t is gc[t+1, 1]
        self.tanh_c = np.empty((B, 1, H))
        self.dc = np.zeros((B, 1, H))  # everything flowing into c[t]
        self._slope = np.empty((B, 1, 4 * H))  # the local derivatives d_gate / d(dh or dc)
        self._dc_slope = np.empty((B, 1, H))  # o * (1 - tanh(c)^2)
        self._pre = np.empty((1, 4 * H))
        self._exp = np.empty((1, 3 * H))
        self._pair = np.empty((2, H))
        self._row = np.empty((1, H))
        self._future_h = np.zeros((1, H))
        # views and constants made once: making a view costs like a small numpy call, and
        # a Python 1.0 is converted in every call it is passed to
        self._pre_ifo, self._pre_g = self._pre[:, : 3 * H], self._pre[0, 3 * H :]
        self._pair_rows = (self._pair[0], self._pair[1])
        self._ones_ifo = np.ones((1, 3 * H))
        # prepare_backward's buffers and views, all timesteps at once
        self._ifo_slope = np.empty((B, 1, 3 * H))  # ifo * (1 - ifo)
        self._ones_b = np.ones((B, 1, 3 * H))
        self._ones_bh = self._ones_b[:, :, :H]
        self._squares = np.empty((B, 1, H))  # g^2, then tanh(c)^2
        h2, sl = 2 * H, self._slope
        self._prep = (
            self.gc[:B].reshape(B, 1, h2),  # [g, c_prev]: lines up with [i, f]
            self._ifo_slope[:, :, :h2],
            sl[:, :, :h2],
            self._ifo_slope[:, :, h2:],
            sl[:, :, h2 : 3 * H],
            self.gc[:B, 0:1],  # g, (B, 1, H)
            self.ifo[:, :, :H],  # i
            sl[:, :, 3 * H :],
            self.ifo[:, :, h2:],  # o
        )
        assert self._prep[0].base is not None, "a reshape made a copy"
        ifo, gc, dz, sl = self.ifo, self.gc, self.dz, self._slope
        h2 = 2 * H
        # rows by timestep, made once (indexing costs like a small numpy call)
        self._fwd = [
            (
                self.h[t],
                self.x_in[t : t + 1],
                ifo[t],
                ifo[t, :, :h2].reshape(2, H),  # [i, f]
                ifo[t, :, h2:],  # o
                gc[t],
                gc[t, 0],
                gc[t + 1, 1],
                self.tanh_c[t],
                self.tanh_c[t, 0],
                self.h[t + 1],
            )
            for t in range(B)
        ]
        self._bwd = [
            (
                self.out_term[t],
                self.dh[t],
                self.dc[t],
                self._dc_slope[t],
                # at the last timestep nothing flows back: these rows are never read
                self.dc[min(t + 1, B - 1)],
                ifo[min(t + 1, B - 1), :, H:h2],  # f[t+1]
                dz[min(t + 1, B - 1)],
                dz[t, :, :h2].reshape(2, H),
                sl[t, :, :h2].reshape(2, H),
                dz[t, :, h2 : 3 * H],
                sl[t, :, h2 : 3 * H],
                dz[t, :, 3 * H :],
                sl[t, :, 3 * H :],
            )
            for t in range(B)
        ]
        for view in (self._fwd[0][3], self._bwd[0][7], self._bwd[0][8]):
            assert view.base is not None, "a reshape made a copy"
        self._prev_h_column = self.h[:-1].reshape(B, H, 1)

    def forward(self, start: int, stop: int) -> None:
        """Timesteps start..stop-1: gates, c and h from input bits t and h[t], c[t]."""
        pre, e, pair, bias, rec = self._pre, self._exp, self._pair, self.w_bias, self.w_rec
        pre_ifo, pre_g, ones = self._pre_ifo, self._pre_g, self._ones_ifo
        i_g, f_c = self._pair_rows
        dot, add, exp, mul, tanh = np.dot, np.add, np.exp, np.multiply, np.tanh
        for t in range(start, stop):
            h_prev, x_in, ifo, i_f, o, gc, g, c, tanh_c, tanh_c_row, h = self._fwd[t]
            if t == 0:  # h_prev = 0: the recurrent term is zero
                add(x_in, bias, pre)
            else:
                dot(h_prev, rec, pre)
                add(pre, x_in, pre)
                add(pre, bias, pre)
            exp(pre_ifo, e)  # pre holds -zx for i, f, o (their columns are negated)
            add(e, ones, e)
            np.reciprocal(e, ifo)
            tanh(pre_g, g)
            mul(i_f, gc, pair)  # [i * g, f * c_prev]
            add(f_c, i_g, c)
            tanh(c, tanh_c_row)
            mul(o, tanh_c, h)

    def prepare_backward(self, net: Network) -> None:
        """Every local derivative of the backward pass, for all timesteps at once."""
        gc, s_if, slope_if, s_o, slope_o, g, i, slope_g, o = self._prep
        s, square, ones, sub, mul = (
            self._ifo_slope,
            self._squares,
            self._ones_bh,
            np.subtract,
            np.multiply,
        )
        np.matmul(self.layer_2_delta, net.synapse_1.T, self.out_term)
        sub(self._ones_b, self.ifo, s)  # sigmoid slopes: ifo * (1 - ifo)
        mul(self.ifo, s, s)
        mul(gc, s_if, slope_if)
        mul(self.tanh_c, s_o, slope_o)
        mul(g, g, square)
        sub(ones, square, square)
        mul(i, square, slope_g)
        mul(self.tanh_c, self.tanh_c, square)
        sub(ones, square, square)
        mul(o, square, self._dc_slope)

    def backward(self, net: Network, start: int, stop: int) -> None:
        """dh, dc and dz for timesteps start down to stop+1, each from the one after."""
        last = self.bits - 1
        rec_T, future_h, row = net.synapse_h.T, self._future_h, self._row
        dot, add, mul = np.dot, np.add, np.multiply
        for t in range(start, stop, -1):
            (
                out,
                dh,
                dc,
                dc_slope,
                dc_next,
                f_next,
                dz_next,
                dz_if,
                sl_if,
                dz_o,
                sl_o,
                dz_g,
                sl_g,
            ) = self._bwd[t]
            if t == last:
                future_h[:] = 0.0
            else:
                dot(dz_next, rec_T, future_h)
            add(out, future_h, dh)
            mul(dh, dc_slope, dc)
            if t != last:
                mul(dc_next, f_next, row)
                add(dc, row, dc)
            mul(dc, sl_if, dz_if)
            mul(dh, sl_o, dz_o)
            mul(dc, sl_g, dz_g)

    def recurrent_gradients(self) -> None:
        outer(_OUTER, self._prev_h_column, self.dz, out=self._grad_h)

    # -- what the stepper reads and the probes change ----------------------------------

    def states(self) -> dict[str, np.ndarray]:
        B, H = self.bits, self.hidden
        ifo = self.ifo.reshape(B, 3, H)
        return {
            "h": self.h[1:].reshape(B, H),
            "c": self.gc[1:, 1],
            "i": ifo[:, 0],
            "f": ifo[:, 1],
            "o": ifo[:, 2],
            "g": self.gc[:B, 0],
        }

    def deltas(self) -> dict[str, np.ndarray]:
        B, H = self.bits, self.hidden
        return {"h": self.dh.reshape(B, H), "c": self.dc.reshape(B, H)}

    def clamp(self, t: int, unit: int, state: str = "h") -> None:
        """Force `unit` of h (or of c, and so of h = o*tanh(c)) after timestep t to 0."""
        if state not in ("h", "c"):
            raise ValueError(f"the LSTM has no carried state {state!r}")
        if state == "c":
            self.gc[t + 1, 1, unit] = 0.0
            self.tanh_c[t, 0, unit] = 0.0
        self.h[t + 1, 0, unit] = 0.0
        self.outputs(t, t + 1)


# -- batches: many states at once, for probes, evaluation and gradient checks -------------


def advance(
    weights: dict[str, np.ndarray], carried: tuple[np.ndarray, ...], inputs: np.ndarray
) -> tuple[np.ndarray, ...]:
    """One timestep for a batch: carried (h, c) and inputs (x @ synapse_0, last axis 4H)
    broadcast against each other; returns (h', c') of the broadcast shape. Works in any
    float dtype (the gradient check uses longdouble and stacked weights).

    The gates need exp(-zx) (and tanh(zx[g]) = 2 / (1 + exp(-2 zx[g])) - 1), and
    exp(-(r + x)) = exp(-r) * exp(-x) to an ulp or two, so the exps are taken on the
    recurrent term (the carried states' size) and on the inputs apart: when the prefix
    walk grows four children from each state, a quarter of the exps.
    """
    h, c = carried
    H = h.shape[-1]
    scale = np.full(4 * H, -1.0, dtype=h.dtype)  # exp(scale * zx) is what the gates need
    scale[3 * H :] = -2.0
    entering = inputs + weights["bias"]
    entering *= scale
    factors = np.exp(entering)
    rec = matmul(h, weights["synapse_h"])
    rec *= scale
    if np.all(np.isfinite(factors) & (factors > 0)):
        np.exp(rec, out=rec)
        pre = rec * factors  # of the broadcast shape
    else:  # huge inputs (diverged weights): inf * 0 would be NaN; the plain route
        pre = rec + entering
        np.exp(pre, out=pre)
    pre += 1
    np.reciprocal(pre, out=pre)  # i, f, o and (1 + g) / 2
    g = pre[..., 3 * H :]
    g *= 2
    g -= 1
    i, f, o = pre[..., :H], pre[..., H : 2 * H], pre[..., 2 * H : 3 * H]
    c_new = f * c
    np.multiply(i, g, out=g)
    c_new += g
    h_new = np.tanh(c_new)
    h_new *= o
    return h_new, c_new
