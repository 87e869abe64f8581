"""The GRU cell (DESIGN.md "The other cells"), per example and in batches.

    z = sigmoid(x_t @ synapse_0[z] + h_prev @ synapse_h[z] + bias[z])
    r = sigmoid(x_t @ synapse_0[r] + h_prev @ synapse_h[r] + bias[r])
    n = tanh(x_t @ synapse_0[n] + (r * h_prev) @ synapse_h[n] + bias[n])
    h = (1 - z) * n + z * h_prev

z and r are computed by one product (their blocks are adjacent). Backward, with dh
everything flowing into h[t]:

    d_n = dh * ((1 - z) * (1 - n^2));  d_z = dh * ((h_prev - n) * z(1-z))
    rh  = d_n @ synapse_h[n].T;        d_r = rh * (h_prev * r(1-r))
    into h[t-1]: (dh * z + rh * r) + [d_z d_r] @ synapse_h[z, r].T

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

GATES = ("z", "r", "n")

CELL = CellInfo(
    name="gru",
    title="GRU",
    spec=lambda hidden: gated_spec(hidden, GATES),
    carried=("h",),
    states=("h", "z", "r", "n"),
    signed=("h", "n"),  # h mixes n (tanh) and h_prev: in (-1, 1)
    code={
        "forward": (
            # six lines before layer_2's: what a 24-row terminal shows of the code
            "z,r = sigmoid(X@synapse_0",
            "  + h_prev@synapse_h + bias)",
            "n = tanh(X@synapse_0[n]",
            "  + (r*h_prev)@synapse_h[n]",
            "  + bias[n])",
            "h = (1-z)*n + z*h_prev",
            "layer_2 =",
            "  sigmoid(h@synapse_1)",
        ),
        "backward": (
            "dh = layer_2_delta",
            "     @ synapse_1.T",
            "   + future_dh",
            "d_n = dh*(1-z)*(1-n^2)",
            "d_z = dh*(h_prev-n)*z(1-z)",
            "d_r = (d_n@synapse_h[n].T)",
            "      *h_prev*r(1-r)",
        ),
        "update": UPDATE_CODE,
    },
)


class IterationKernel(GatedKernel):
    """One GRU training iteration: load_example -> forward(0..B-1) -> outputs -> score
    -> prepare_backward -> backward(B-1..0) -> update."""

    gates = GATES
    tanh_gates = ("n",)
    temporaries = ("_scratch", "rec_zr", "rec_n", "rec_zr_T", "rec_n_T")

    def __init__(self, hidden: int, bits: int) -> None:
        super().__init__(hidden, bits)
        B, H = bits, hidden
        h2 = 2 * H
        self.ozr = np.empty((B, 3, H))  # [1 - z, z, r] of each timestep
        self.nh = np.zeros((B + 1, 2, H))  # [n_t, h_{t-1}]: h after timestep t is nh[t+1, 1]
        self.h = self.layer_1 = self.nh[:, 1:2]  # (B + 1, 1, H) view
        self.rh = np.empty((B, 1, H))  # r * h_prev
        self.dr = np.zeros((B, 2, H))  # [dh, rh]: what flows into h[t + 1] and into r * h_prev
        self.dh = self.layer_1_delta = self.dr[:, 0:1]
        self._slope = np.empty((B, 1, 3 * H))  # [d_z, d_r, d_n] per unit of what flows in
        # C-ordered copies of synapse_h's gate blocks, made once an iteration: np.dot copies
        # a block (not one memory segment) into just such an array on every call, and then
        # makes the same BLAS call as on these (forward: signed; backward: transposed)
        self.rec_zr = np.empty((H, h2))
        self.rec_n = np.empty((H, H))
        self.rec_zr_T = np.empty((h2, H))
        self.rec_n_T = np.empty((H, H))
        self._pre_zr = np.empty((1, h2))
        self._pre_n = np.empty((1, H))
        self._exp = np.empty((1, h2))
        self._pair = np.empty((2, H))
        self._row = np.empty((1, H))
        self._future_h = np.zeros((1, H))
        # views and constants made once: making a view costs like a small numpy call, and
        # a Python 1.0 is converted in every call it is passed to
        self._pre_n_row = self._pre_n[0]
        self._pair_rows = (self._pair[0], self._pair[1])
        self._ones_zr = np.ones((1, h2))
        self._ones_h = np.ones(H)
        # prepare_backward's buffers and views, all timesteps at once
        self._ones_bh = np.ones((B, 1, H))
        self._scratch = np.empty((3, B, 1, H))
        sl = self._slope
        self._prep = (
            self.ozr[:, 0:1],  # 1 - z
            self.ozr[:, 1:2],  # z
            self.ozr[:, 2:3],  # r
            self.nh[:B, 0:1],  # n
            self.h[:B],  # h_prev
            sl[:, :, :H],
            sl[:, :, H:h2],
            sl[:, :, h2:],
        )
        ozr, nh, dz, dr, sl = self.ozr, self.nh, self.dz, self.dr, self._slope
        self._fwd = [
            (
                self.h[t],
                self.x_in[t : t + 1, :h2],
                self.x_in[t : t + 1, h2:],
                ozr[t, 1:3].reshape(1, h2),  # [z, r]
                ozr[t, 0],
                ozr[t, 1],
                ozr[t, 2],
                ozr[t, 0:2],  # [1 - z, z]
                self.rh[t],
                nh[t],  # [n, h_prev]
                nh[t, 0],
                nh[t + 1, 1],
            )
            for t in range(B)
        ]
        self._bwd = [
            (
                self.out_term[t],
                dr[t],
                dr[t, 0:1],
                dr[t, 1:2],
                dz[t].reshape(3, H)[::2],  # [d_z, d_n]
                sl[t].reshape(3, H)[::2],
                dz[t, :, h2:],  # d_n
                dz[t, :, H:h2],  # d_r
                sl[t, :, H:h2],
                dz[t, :, :h2],  # [d_z, d_r]
                ozr[t, 1:3],  # [z, r]
            )
            for t in range(B)
        ]
        for view in (self._fwd[0][3], self._bwd[0][4], self._bwd[0][5]):
            assert view.base is not None, "a reshape made a copy"
        self._prev_h_column = self.h[:-1].reshape(B, H, 1)
        self._rh_column = self.rh.reshape(B, H, 1)

    def forward(self, start: int, stop: int) -> None:
        """Timesteps start..stop-1: z, r, n and h from input bits t and h[t]."""
        h2 = 2 * self.hidden
        pre_zr, pre_n, e, pair = self._pre_zr, self._pre_n, self._exp, self._pair
        pre_n_row, (n_part, h_part) = self._pre_n_row, self._pair_rows
        ones_zr, ones_h = self._ones_zr, self._ones_h
        bias_zr, bias_n = self.w_bias[:h2], self.w_bias[h2:]
        rec_zr, rec_n = self.rec_zr, self.rec_n
        dot, add, mul, exp = np.dot, np.add, np.multiply, np.exp
        for t in range(start, stop):
            h_prev, x_zr, x_n, zr, omz, z, r, omz_z, rh, n_h, n, h = self._fwd[t]
            if t == 0:  # h_prev = 0: the recurrent terms are zero
                add(x_zr, bias_zr, pre_zr)
            else:
                dot(h_prev, rec_zr, pre_zr)
                add(pre_zr, x_zr, pre_zr)
                add(pre_zr, bias_zr, pre_zr)
            exp(pre_zr, e)  # pre_zr holds -(pre-activation): those columns are negated
            add(e, ones_zr, e)
            np.reciprocal(e, zr)
            np.subtract(ones_h, z, omz)
            if t == 0:
                rh[:] = 0.0
                add(x_n, bias_n, pre_n)
            else:
                mul(r, h_prev, rh)
                dot(rh, rec_n, pre_n)
                add(pre_n, x_n, pre_n)
                add(pre_n, bias_n, pre_n)
            np.tanh(pre_n_row, n)
            mul(omz_z, n_h, pair)  # [(1 - z) * n, z * h_prev]
            add(n_part, h_part, h)

    def load_example(self, net: Network, X: np.ndarray, Y: np.ndarray) -> None:
        super().load_example(net, X, Y)
        self._copy_forward_blocks()

    def cut_recurrence(self) -> None:
        super().cut_recurrence()
        self._copy_forward_blocks()

    def _copy_forward_blocks(self) -> None:
        h2 = 2 * self.hidden
        np.copyto(self.rec_zr, self.w_rec[:, :h2])
        np.copyto(self.rec_n, self.w_rec[:, h2:])

    def prepare_backward(self, net: Network) -> None:
        """Every local derivative of the backward pass, for all timesteps at once."""
        omz, z, r, n, h_prev, slope_z, slope_r, slope_n = self._prep
        zz, diff, square = self._scratch
        ones, sub, mul = self._ones_bh, np.subtract, np.multiply
        h2 = 2 * self.hidden
        np.copyto(self.rec_zr_T, net.synapse_h[:, :h2].T)
        np.copyto(self.rec_n_T, net.synapse_h[:, h2:].T)
        np.matmul(self.layer_2_delta, net.synapse_1.T, self.out_term)
        mul(z, omz, zz)
        sub(h_prev, n, diff)
        mul(diff, zz, slope_z)
        sub(ones, r, square)  # 1 - r, then r * (1 - r)
        mul(r, square, square)
        mul(h_prev, square, slope_r)
        mul(n, n, square)
        sub(ones, square, square)
        mul(omz, square, slope_n)

    def backward(self, net: Network, start: int, stop: int) -> None:
        """dh and dz for timesteps start down to stop+1, each from the one after."""
        last = self.bits - 1
        rec_zr_T, rec_n_T = self.rec_zr_T, self.rec_n_T  # prepare_backward's copies
        future, pair, row = self._future_h, self._pair, self._row
        through_z, through_r = self._pair_rows
        dot, add, mul = np.dot, np.add, np.multiply
        if start == last:
            future[:] = 0.0
        for t in range(start, stop, -1):
            out, dh_rh, dh, rh, dz_zn, sl_zn, d_n, d_r, sl_r, dz_zr, z_r = self._bwd[t]
            add(out, future, dh)
            mul(dh, sl_zn, dz_zn)
            dot(d_n, rec_n_T, rh)
            mul(rh, sl_r, d_r)
            if t > 0:  # what flows into h[t - 1], for the next step down
                mul(dh_rh, z_r, pair)  # [dh * z, rh * r]
                add(through_z, through_r, future)
                dot(dz_zr, rec_zr_T, row)
                add(future, row, future)

    def recurrent_gradients(self) -> None:
        h2 = 2 * self.hidden
        outer(_OUTER, self._prev_h_column, self.dz[:, :, :h2], out=self._grad_h[:, :, :h2])
        outer(_OUTER, self._rh_column, self.dz[:, :, h2:], out=self._grad_h[:, :, h2:])

    # -- what the stepper reads and the probes change ----------------------------------

    def states(self) -> dict[str, np.ndarray]:
        B = self.bits
        return {
            "h": self.nh[1:, 1],
            "z": self.ozr[:, 1],
            "r": self.ozr[:, 2],
            "n": self.nh[:B, 0],
        }

    def deltas(self) -> dict[str, np.ndarray]:
        return {"h": self.dr[:, 0]}

    def clamp(self, t: int, unit: int, state: str = "h") -> None:
        """Force `unit` of h after timestep t to 0 and redo that timestep's output."""
        if state != "h":
            raise ValueError(f"the GRU has no carried state {state!r}")
        self.nh[t + 1, 1, unit] = 0.0
        self.outputs(t, t + 1)


# -- batches: many states at once, for probes, evaluation and gradient checks -------------


def advance(
    weights: dict[str, np.ndarray], carried: tuple[np.ndarray, ...], inputs: np.ndarray
) -> tuple[np.ndarray, ...]:
    """One timestep for a batch: carried (h,) and inputs (x @ synapse_0, last axis 3H)
    broadcast against each other; returns (h',) of the broadcast shape. Works in any
    float dtype (the gradient check uses longdouble and stacked weights)."""
    (h,) = carried
    H = h.shape[-1]
    rec, bias = weights["synapse_h"], weights["bias"]
    # exp(-(r + x)) = exp(-r) * exp(-x) to an ulp or two: exps on the recurrent term (the
    # carried states' size) and the inputs apart, a quarter of them in the prefix walk
    entering = -(inputs[..., : 2 * H] + bias[..., : 2 * H])
    factors = np.exp(entering)
    pre = -matmul(h, rec[..., : 2 * H])
    if np.all(np.isfinite(factors) & (factors > 0)):
        np.exp(pre, out=pre)
        pre = pre * factors  # of the broadcast shape
    else:  # huge inputs (diverged weights): inf * 0 would be NaN; the plain route
        pre = pre + entering
        np.exp(pre, out=pre)
    pre += 1
    zr = np.reciprocal(pre, out=pre)
    z, r = zr[..., :H], zr[..., H:]
    n = inputs[..., 2 * H :] + matmul(r * h, rec[..., 2 * H :])
    n += bias[..., 2 * H :]
    np.tanh(n, out=n)
    # (1 - z) * n + z * h
    h_new = 1 - z
    h_new *= n
    h_new += z * h
    return (h_new,)
