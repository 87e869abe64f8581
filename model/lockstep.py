"""Many networks trained in lockstep: one numpy call does one step for all of them.

Each network is still its own run, exactly the one `rnn-tui train` makes: its own random
stream, its own per-example SGD, and the same bits as the single-network kernels of
model/cells/ (tests/test_sweep_lockstep.py checks every cell). Only the bookkeeping is
shared: where the single kernel makes a numpy call on one network's (1, H) row, the
lockstep kernel makes the same call on a stack of N such rows, (N, 1, H).

Why that keeps every network's bits (see model/cells/rnn.py for the rules that make the
single kernels equal the tutorial):

* elementwise ufuncs (add, multiply, exp, tanh, reciprocal) compute each element on its
  own; numpy's SIMD loops run one algorithm on every lane and the masked tail alike, so
  where an element sits in a longer array does not change its value;
* a stacked `np.matmul` over a leading network axis calls BLAS once per network with the
  same routine, transposition, sizes and leading dimension as the single kernel's
  `np.dot` on that network's matrices: a row times a C-ordered matrix is
  `dgemv(RowMajor, Trans)` in both, a row times a transposed (F-ordered) view is
  `dgemv(ColMajor, Trans)` in both, and the (1, H) x (H, 1) output products are
  `ddot`. numpy's `np.dot` copies a matrix view that is not one memory segment (the
  GRU's gate blocks) into a C-ordered one first; the lockstep GRU makes the same C-ordered
  copies, once per iteration for all networks;
* products of an input bit, or of two numbers with an inner dimension of 1, are exact
  however they are grouped; the timesteps' gradients are summed by explicit adds from the
  last timestep to the first, the tutorial's order, as the single kernels' reduce does.

Layout: time-major buffers (B, N, 1, X), so that timestep t is one contiguous (N, 1, X)
block; parameters (N, P), row k laid out like network k's flat vector (model/params.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from model.encoding import problem_bits
from model.kernel_choice import compiled_for
from model.network import Network
from model.params import ParamSpec, gated_spec, rnn_spec


@dataclass(frozen=True)
class Inputs:
    """One iteration's examples for N networks, laid out for the lockstep kernels."""

    pair_rows: np.ndarray  # (B, N) intp: 4 * network + 2 * a_bit + b_bit
    X_T: np.ndarray  # (B, 2, N) the input bits, network axis last
    Y: np.ndarray  # (B, N, 1, 1) the target bits


class Examples:
    """`count` iterations' examples for N networks, encoded at once (model/encoding.py)."""

    def __init__(self, a: np.ndarray, b: np.ndarray, bits: int) -> None:
        n, count = a.shape  # a, b: (N, count) operands, each network's own draws
        X, Y = problem_bits(a.reshape(-1), b.reshape(-1), bits)
        X = X.reshape(n, count, bits, 2)
        codes = (2 * X[..., 0] + X[..., 1]).astype(np.intp)  # (N, count, B)
        codes += 4 * np.arange(n, dtype=np.intp)[:, None, None]
        self.pair_rows = np.ascontiguousarray(codes.transpose(1, 2, 0))
        self.X_T = np.ascontiguousarray(X.transpose(1, 2, 3, 0))
        self.Y = np.ascontiguousarray(Y.reshape(n, count, bits).transpose(1, 2, 0)).reshape(
            count, bits, n, 1, 1
        )
        self.count = count

    def __getitem__(self, i: int) -> Inputs:
        return Inputs(self.pair_rows[i], self.X_T[i], self.Y[i])


class _Common:
    """Buffers and steps every cell shares: the output layer and the score.

    A kernel's `run(params, alpha, inputs)` makes one training iteration of every network:
    params is the kernel's own (P, N) layout (`load`/`store` convert), alpha (1, N).
    """

    spec: ParamSpec
    order: np.ndarray  # the kernel's parameter rows, as indices of a network's flat vector

    def __init__(self, spec: ParamSpec, bits: int, networks: int) -> None:
        B, N, H, P = bits, networks, spec.hidden, spec.size
        self.spec, self.bits, self.hidden, self.networks = spec, B, H, N
        self.neg_logit = np.empty((B, N, 1, 1))
        self.layer_2 = np.empty((B, N, 1, 1))
        self.layer_2_error = np.empty((B, N, 1, 1))
        self.layer_2_delta = np.empty((B, N, 1, 1))
        self._slope_2 = np.empty((B, N, 1, 1))
        self._ones_2 = np.ones((B, N, 1, 1))
        self.out_term = np.empty((B, N, 1, H))  # layer_2_delta[t] @ synapse_1.T
        self._update = np.empty((N, P))

    def load(self, rows: np.ndarray) -> np.ndarray:
        """(N, P) parameters in the networks' layout -> this kernel's (P, N)."""
        return np.ascontiguousarray(rows[:, self.order].T)

    def store(self, params: np.ndarray) -> np.ndarray:
        """This kernel's (P, N) -> (N, P) in the networks' layout."""
        rows = np.empty((self.networks, self.spec.size))
        rows[:, self.order] = params.T
        return rows

    def output_layer(self, states: np.ndarray, neg_synapse_1: np.ndarray) -> None:
        """layer_2 = sigmoid(h @ synapse_1) for all timesteps: one ddot per (t, network)."""
        np.matmul(states, neg_synapse_1, self.neg_logit)
        np.exp(self.neg_logit, self.layer_2)
        np.add(self.layer_2, self._ones_2, self.layer_2)
        np.reciprocal(self.layer_2, self.layer_2)

    def score(self, Y: np.ndarray) -> None:
        """layer_2_error and layer_2_delta (overallError is not needed by a sweep)."""
        out, slope = self.layer_2, self._slope_2
        np.subtract(Y, out, self.layer_2_error)
        np.subtract(self._ones_2, out, slope)
        np.multiply(slope, out, slope)
        np.multiply(self.layer_2_error, slope, self.layer_2_delta)


class RNNLockstep(_Common):
    """The tutorial's RNN (model/cells/rnn.py), N networks at a time.

    Internally the parameters are kept network axis last, (P, N), rows in the order
    synapse_0, synapse_h, synapse_1 (`order`), so that the update's outer products run
    along the networks; each iteration makes one per-network copy (N, P) of the negated
    weights for the matrix products.
    """

    def __init__(self, hidden: int, bits: int, networks: int) -> None:
        super().__init__(rnn_spec(hidden), bits, networks)
        B, N, H = bits, networks, hidden
        P = self.spec.size
        slices = self.spec.slices()
        self.order = np.concatenate(
            [np.arange(P)[slices[name]] for name in ("synapse_0", "synapse_h", "synapse_1")]
        )
        self.neg = np.empty((N, P))  # -weights, one network per row, in `order`
        self.pos = np.empty((N, P))
        self.neg_s0 = self.neg[:, : 2 * H].reshape(N, 2, H)
        self.neg_sh = self.neg[:, 2 * H : P - H].reshape(N, H, H)
        self.neg_s1 = self.neg[:, P - H :].reshape(N, H, 1)
        self.s1_row = self.pos[:, P - H :].reshape(N, 1, H)
        self.sh_T = self.pos[:, 2 * H : P - H].reshape(N, H, H).transpose(0, 2, 1)
        # x @ -synapse_0 for the four bit pairs, row 2 * a_bit + b_bit: each is the
        # single kernel's 2-term product sum, whose terms are exact (a bit times a weight)
        self.pair_inputs = np.zeros((N, 4, H))
        self.neg_input = np.empty((B, N, 1, H))
        self.layer_1 = np.zeros((B + 1, N, 1, H))
        self._row = np.empty((N, 1, H))
        self._ones = np.ones((N, 1, H))
        self._ones_1 = np.ones((B, N, 1, H))
        self._slope_1 = np.empty((B, N, 1, H))
        self.layer_1_delta = np.zeros((B, N, 1, H))
        # the update, network axis last: [x bits; layer_1] rows times delta columns give
        # synapse_0's and synapse_h's gradients in one product per timestep
        self._xh_T = np.empty((B + 1, H + 2, N))
        self._delta_T = np.empty((B, H, N))
        self._total = np.empty((P, N))
        self._step = np.empty((P, N))

    def run(self, params: np.ndarray, alpha: np.ndarray, inputs: Inputs) -> None:
        B, N, H = self.bits, self.networks, self.hidden
        row, ones, h = self._row, self._ones, self.layer_1
        exp, add, reciprocal, matmul, multiply = (
            np.exp,
            np.add,
            np.reciprocal,
            np.matmul,
            np.multiply,
        )
        np.negative(params.T, self.neg)
        np.negative(self.neg, self.pos)
        pairs, s0 = self.pair_inputs, self.neg_s0
        pairs[:, 1] = s0[:, 1]
        pairs[:, 2] = s0[:, 0]
        add(s0[:, 0], s0[:, 1], pairs[:, 3])
        np.take(pairs.reshape(4 * N, H), inputs.pair_rows, 0, self.neg_input.reshape(B, N, H))
        # forward
        exp(self.neg_input[0], row)
        add(row, ones, row)
        reciprocal(row, h[1])
        for t in range(1, B):
            matmul(h[t], self.neg_sh, row)
            add(row, self.neg_input[t], row)
            exp(row, row)
            add(row, ones, row)
            reciprocal(row, h[t + 1])
        self.output_layer(h[1:], self.neg_s1)
        self.score(inputs.Y)
        # backward
        multiply(self.layer_2_delta, self.s1_row, self.out_term)
        slope, after = self._slope_1, h[1:]
        np.subtract(self._ones_1, after, slope)
        multiply(slope, after, slope)
        delta, out, sh_T = self.layer_1_delta, self.out_term, self.sh_T
        multiply(out[B - 1], slope[B - 1], delta[B - 1])
        for t in range(B - 2, -1, -1):
            matmul(delta[t + 1], sh_T, row)
            add(row, out[t], row)
            multiply(row, slope[t], delta[t])
        # update: each timestep's gradients, (P, N), summed from the last timestep down
        xh, d_T = self._xh_T, self._delta_T
        np.copyto(xh[:, 2:], h.reshape(B + 1, N, H).transpose(0, 2, 1))
        xh[:B, :2] = inputs.X_T
        np.copyto(d_T, delta.reshape(B, N, H).transpose(0, 2, 1))
        l2d = self.layer_2_delta.reshape(B, 1, N)
        total, step = self._total, self._step
        split = (H + 2) * H
        for t in range(B - 1, -1, -1):
            into = total if t == B - 1 else step
            multiply(xh[t][:, None, :], d_T[t], into[:split].reshape(H + 2, H, N))
            multiply(l2d[t], xh[t + 1, 2:], into[split:])
            if t != B - 1:
                add(total, step, total)
        multiply(total, alpha, total)
        add(params, total, params)


class LSTMLockstep(_Common):
    """The LSTM (model/cells/lstm.py), N networks at a time; parameters (P, N) in the
    order synapse_0, synapse_h, bias, synapse_1, as RNNLockstep keeps them."""

    def __init__(self, hidden: int, bits: int, networks: int) -> None:
        from model.cells.lstm import GATES

        super().__init__(gated_spec(hidden, GATES), bits, networks)
        B, N, H = bits, networks, hidden
        G = 4 * H
        P = self.spec.size
        slices = self.spec.slices()
        names = ("synapse_0", "synapse_h", "bias", "synapse_1")
        self.order = np.concatenate([np.arange(P)[slices[name]] for name in names])
        # +1 or -1 per parameter, as the single kernel signs them: the sigmoid gates'
        # columns and synapse_1 negated, so one product gives -x for those and +x for g
        signs = np.ones((N, P))
        columns = signs[:, : (H + 3) * G].reshape(N, H + 3, G)  # synapse_0, synapse_h, bias
        columns[:, :, : 3 * H] = -1.0
        signs[:, P - H :] = -1.0
        self._signs = signs
        self.pos = np.empty((N, P))
        self.signed = np.empty((N, P))
        w = self.signed
        self.w_in = w[:, : 2 * G].reshape(N, 2, G)
        self.w_rec = w[:, 2 * G : (H + 2) * G].reshape(N, H, G)
        self.w_bias = w[:, (H + 2) * G : (H + 3) * G].reshape(N, 1, G)
        self.w_out = w[:, P - H :].reshape(N, H, 1)
        self.s1_row = self.pos[:, P - H :].reshape(N, 1, H)
        self.rec_T = self.pos[:, 2 * G : (H + 2) * G].reshape(N, H, G).transpose(0, 2, 1)
        self.pair_inputs = np.zeros((N, 4, G))
        self.x_in = np.empty((B, N, 1, G))
        self.pre = np.empty((N, 1, G))
        self._exp = np.empty((N, 1, 3 * H))
        self.ifo = np.empty((B, N, 1, 3 * H))
        self.g = np.empty((B, N, 1, H))
        self.c = np.zeros((B + 1, N, 1, H))  # c[t + 1] after timestep t
        self.tanh_c = np.empty((B, N, 1, H))
        self.h = np.zeros((B + 1, N, 1, H))
        self._ig = np.empty((N, 1, H))
        self._fc = np.empty((N, 1, H))
        self.dh = np.empty((B, N, 1, H))
        self.dc = np.empty((B, N, 1, H))
        self.dz = np.zeros((B, N, 1, G))
        self._future = np.zeros((N, 1, H))
        self._row = np.empty((N, 1, H))
        self._sig = np.empty((B, N, 1, 3 * H))
        self._slope = np.empty((B, N, 1, G))  # d_gate per unit of dc (i, f, g) or dh (o)
        self._dc_slope = np.empty((B, N, 1, H))
        self._sq = np.empty((B, N, 1, H))
        self._xh_T = np.empty((B + 1, H + 2, N))
        self._dz_T = np.empty((B, G, N))
        self._total = np.empty((P, N))
        self._step = np.empty((P, N))

    def run(self, params: np.ndarray, alpha: np.ndarray, inputs: Inputs) -> None:
        B, N, H = self.bits, self.networks, self.hidden
        G, H3 = 4 * H, 3 * H
        add, mul, exp, tanh, matmul = np.add, np.multiply, np.exp, np.tanh, np.matmul
        np.copyto(self.pos, params.T)
        mul(self.pos, self._signs, self.signed)
        pairs, w_in = self.pair_inputs, self.w_in
        pairs[:, 1] = w_in[:, 1]
        pairs[:, 2] = w_in[:, 0]
        add(w_in[:, 0], w_in[:, 1], pairs[:, 3])
        np.take(pairs.reshape(4 * N, G), inputs.pair_rows, 0, self.x_in.reshape(B, N, G))
        pre, e, h, c, ifo, g, tanh_c = (
            self.pre,
            self._exp,
            self.h,
            self.c,
            self.ifo,
            self.g,
            self.tanh_c,
        )
        for t in range(B):
            if t == 0:  # h_prev = 0: the recurrent term is zero
                add(self.x_in[0], self.w_bias, pre)
            else:
                matmul(h[t], self.w_rec, pre)
                add(pre, self.x_in[t], pre)
                add(pre, self.w_bias, pre)
            exp(pre[:, :, :H3], e)  # -zx for i, f, o: their columns are negated
            add(e, 1.0, e)
            np.reciprocal(e, ifo[t])
            tanh(pre[:, :, H3:], g[t])
            mul(ifo[t, :, :, :H], g[t], self._ig)
            mul(ifo[t, :, :, H : 2 * H], c[t], self._fc)
            add(self._fc, self._ig, c[t + 1])
            tanh(c[t + 1], tanh_c[t])
            mul(ifo[t, :, :, 2 * H :], tanh_c[t], h[t + 1])
        self.output_layer(h[1:], self.w_out)
        self.score(inputs.Y)
        # the backward pass's local derivatives, for all timesteps at once
        mul(self.layer_2_delta, self.s1_row, self.out_term)
        s, slope = self._sig, self._slope
        np.subtract(1.0, ifo, s)
        mul(ifo, s, s)
        mul(g, s[..., :H], slope[..., :H])
        mul(c[:-1], s[..., H : 2 * H], slope[..., H : 2 * H])
        mul(tanh_c, s[..., 2 * H :], slope[..., 2 * H : H3])
        sq = self._sq
        mul(g, g, sq)
        np.subtract(1.0, sq, sq)
        mul(ifo[..., :H], sq, slope[..., H3:])
        mul(tanh_c, tanh_c, sq)
        np.subtract(1.0, sq, sq)
        mul(ifo[..., 2 * H :], sq, self._dc_slope)
        # backward
        dh, dc, dz, future, row = self.dh, self.dc, self.dz, self._future, self._row
        last = B - 1
        for t in range(last, -1, -1):
            if t == last:
                future[:] = 0.0
            else:
                matmul(dz[t + 1], self.rec_T, future)
            add(self.out_term[t], future, dh[t])
            mul(dh[t], self._dc_slope[t], dc[t])
            if t != last:
                mul(dc[t + 1], ifo[t + 1, :, :, H : 2 * H], row)
                add(dc[t], row, dc[t])
            mul(dc[t], slope[t, :, :, :H], dz[t, :, :, :H])
            mul(dc[t], slope[t, :, :, H : 2 * H], dz[t, :, :, H : 2 * H])
            mul(dh[t], slope[t, :, :, 2 * H : H3], dz[t, :, :, 2 * H : H3])
            mul(dc[t], slope[t, :, :, H3:], dz[t, :, :, H3:])
        # update: [x bits; h_prev] rows times dz columns give synapse_0 and synapse_h
        xh, dz_T = self._xh_T, self._dz_T
        np.copyto(xh[:, 2:], h.reshape(B + 1, N, H).transpose(0, 2, 1))
        xh[:B, :2] = inputs.X_T
        np.copyto(dz_T, dz.reshape(B, N, G).transpose(0, 2, 1))
        l2d = self.layer_2_delta.reshape(B, 1, N)
        total, step = self._total, self._step
        split = (H + 2) * G
        for t in range(last, -1, -1):
            into = total if t == last else step
            mul(xh[t][:, None, :], dz_T[t], into[:split].reshape(H + 2, G, N))
            into[split : split + G] = dz_T[t]  # the bias's gradient is dz itself
            mul(l2d[t], xh[t + 1, 2:], into[split + G :])
            if t != last:
                add(total, step, total)
        mul(total, alpha, total)
        add(params, total, params)


class GRULockstep(_Common):
    """The GRU (model/cells/gru.py), N networks at a time; parameters (P, N) in the
    order synapse_0, synapse_h, bias, synapse_1.

    The single kernel's `np.dot` copies its gate blocks of synapse_h (views that are not
    one memory segment) into C-ordered matrices before each product; here the same
    C-ordered copies are made once per iteration for all networks, so the products are the
    same BLAS calls on the same layouts.
    """

    def __init__(self, hidden: int, bits: int, networks: int) -> None:
        from model.cells.gru import GATES

        super().__init__(gated_spec(hidden, GATES), bits, networks)
        B, N, H = bits, networks, hidden
        G = 3 * H
        P = self.spec.size
        slices = self.spec.slices()
        names = ("synapse_0", "synapse_h", "bias", "synapse_1")
        self.order = np.concatenate([np.arange(P)[slices[name]] for name in names])
        signs = np.ones((N, P))  # z and r columns and synapse_1 negated, as the single kernel
        columns = signs[:, : (H + 3) * G].reshape(N, H + 3, G)
        columns[:, :, : 2 * H] = -1.0
        signs[:, P - H :] = -1.0
        self._signs = signs
        self.pos = np.empty((N, P))
        self.signed = np.empty((N, P))
        w = self.signed
        self.w_in = w[:, : 2 * G].reshape(N, 2, G)
        w_rec = w[:, 2 * G : (H + 2) * G].reshape(N, H, G)
        self._w_rec = w_rec
        self.w_bias = w[:, (H + 2) * G : (H + 3) * G].reshape(N, 1, G)
        self.w_out = w[:, P - H :].reshape(N, H, 1)
        self.s1_row = self.pos[:, P - H :].reshape(N, 1, H)
        self._pos_rec = self.pos[:, 2 * G : (H + 2) * G].reshape(N, H, G)
        self.rec_zr = np.empty((N, H, 2 * H))  # C-ordered copies, as np.dot makes them
        self.rec_n = np.empty((N, H, H))
        self.rec_zr_T = np.empty((N, 2 * H, H))
        self.rec_n_T = np.empty((N, H, H))
        self.pair_inputs = np.zeros((N, 4, G))
        self.x_in = np.empty((B, N, 1, G))
        self._pre_zr = np.empty((N, 1, 2 * H))
        self._pre_n = np.empty((N, 1, H))
        self._exp = np.empty((N, 1, 2 * H))
        self.zr = np.empty((B, N, 1, 2 * H))
        self.omz = np.empty((B, N, 1, H))
        self.n = np.empty((B, N, 1, H))
        self.rh = np.zeros((B, N, 1, H))  # r * h_prev
        self.h = np.zeros((B + 1, N, 1, H))
        self._a = np.empty((N, 1, H))
        self._b = np.empty((N, 1, H))
        self.dh = np.empty((B, N, 1, H))
        self.dz = np.zeros((B, N, 1, G))
        self._rh_back = np.empty((N, 1, H))  # d_n @ synapse_h[n].T
        self._future = np.zeros((N, 1, H))
        self._row = np.empty((N, 1, H))
        self._slope = np.empty((B, N, 1, G))
        self._tmp = np.empty((B, N, 1, H))
        self._tmp2 = np.empty((B, N, 1, H))
        self._xh_T = np.empty((B + 1, H + 2, N))
        self._rh_T = np.empty((B, H, N))
        self._dz_T = np.empty((B, G, N))
        self._total = np.empty((P, N))
        self._step = np.empty((P, N))

    def run(self, params: np.ndarray, alpha: np.ndarray, inputs: Inputs) -> None:
        B, N, H = self.bits, self.networks, self.hidden
        G, h2 = 3 * H, 2 * H
        add, mul, matmul = np.add, np.multiply, np.matmul
        np.copyto(self.pos, params.T)
        mul(self.pos, self._signs, self.signed)
        np.copyto(self.rec_zr, self._w_rec[:, :, :h2])
        np.copyto(self.rec_n, self._w_rec[:, :, h2:])
        np.copyto(self.rec_zr_T, self._pos_rec[:, :, :h2].transpose(0, 2, 1))
        np.copyto(self.rec_n_T, self._pos_rec[:, :, h2:].transpose(0, 2, 1))
        pairs, w_in = self.pair_inputs, self.w_in
        pairs[:, 1] = w_in[:, 1]
        pairs[:, 2] = w_in[:, 0]
        add(w_in[:, 0], w_in[:, 1], pairs[:, 3])
        np.take(pairs.reshape(4 * N, G), inputs.pair_rows, 0, self.x_in.reshape(B, N, G))
        bias_zr, bias_n = self.w_bias[:, :, :h2], self.w_bias[:, :, h2:]
        pre_zr, pre_n, e = self._pre_zr, self._pre_n, self._exp
        h, zr, omz, n, rh = self.h, self.zr, self.omz, self.n, self.rh
        for t in range(B):
            x_zr, x_n = self.x_in[t, :, :, :h2], self.x_in[t, :, :, h2:]
            if t == 0:
                add(x_zr, bias_zr, pre_zr)
            else:
                matmul(h[t], self.rec_zr, pre_zr)
                add(pre_zr, x_zr, pre_zr)
                add(pre_zr, bias_zr, pre_zr)
            np.exp(pre_zr, e)  # -(pre-activation): the z and r columns are negated
            add(e, 1.0, e)
            np.reciprocal(e, zr[t])
            z, r = zr[t, :, :, :H], zr[t, :, :, H:]
            np.subtract(1.0, z, omz[t])
            if t == 0:
                rh[0] = 0.0
                add(x_n, bias_n, pre_n)
            else:
                mul(r, h[t], rh[t])
                matmul(rh[t], self.rec_n, pre_n)
                add(pre_n, x_n, pre_n)
                add(pre_n, bias_n, pre_n)
            np.tanh(pre_n, n[t])
            mul(omz[t], n[t], self._a)
            mul(z, h[t], self._b)
            add(self._a, self._b, h[t + 1])
        self.output_layer(h[1:], self.w_out)
        self.score(inputs.Y)
        # the backward pass's local derivatives, for all timesteps at once
        mul(self.layer_2_delta, self.s1_row, self.out_term)
        slope, tmp, tmp2 = self._slope, self._tmp, self._tmp2
        z_all, r_all, h_prev = zr[..., :H], zr[..., H:], h[:B]
        mul(z_all, omz, tmp)
        np.subtract(h_prev, n, tmp2)
        mul(tmp2, tmp, slope[..., :H])
        np.subtract(1.0, r_all, tmp)
        mul(r_all, tmp, tmp)
        mul(h_prev, tmp, slope[..., H:h2])
        mul(n, n, tmp)
        np.subtract(1.0, tmp, tmp)
        mul(omz, tmp, slope[..., h2:])
        # backward
        dh, dz, future, row, rh_back = self.dh, self.dz, self._future, self._row, self._rh_back
        last = B - 1
        future[:] = 0.0
        for t in range(last, -1, -1):
            add(self.out_term[t], future, dh[t])
            mul(dh[t], slope[t, :, :, :H], dz[t, :, :, :H])
            mul(dh[t], slope[t, :, :, h2:], dz[t, :, :, h2:])
            matmul(dz[t, :, :, h2:], self.rec_n_T, rh_back)
            mul(rh_back, slope[t, :, :, H:h2], dz[t, :, :, H:h2])
            if t > 0:  # what flows into h[t - 1], for the next step down
                mul(dh[t], zr[t, :, :, :H], self._a)
                mul(rh_back, zr[t, :, :, H:], self._b)
                add(self._a, self._b, future)
                matmul(dz[t, :, :, :h2], self.rec_zr_T, row)
                add(future, row, future)
        # update: [x bits; h_prev] times dz's z, r columns; [x bits; r * h_prev] times d_n
        xh, rh_T, dz_T = self._xh_T, self._rh_T, self._dz_T
        np.copyto(xh[:, 2:], h.reshape(B + 1, N, H).transpose(0, 2, 1))
        xh[:B, :2] = inputs.X_T
        np.copyto(rh_T, rh.reshape(B, N, H).transpose(0, 2, 1))
        np.copyto(dz_T, dz.reshape(B, N, G).transpose(0, 2, 1))
        l2d = self.layer_2_delta.reshape(B, 1, N)
        total, step = self._total, self._step
        split = (H + 2) * G
        for t in range(last, -1, -1):
            into = total if t == last else step
            block = into[:split].reshape(H + 2, G, N)
            mul(xh[t][:, None, :], dz_T[t, :h2], block[:, :h2])
            mul(xh[t, :2, None, :], dz_T[t, h2:], block[:2, h2:])
            mul(rh_T[t][:, None, :], dz_T[t, h2:], block[2:, h2:])
            into[split : split + G] = dz_T[t]  # the bias's gradient is dz itself
            mul(l2d[t], xh[t + 1, 2:], into[split + G :])
            if t != last:
                add(total, step, total)
        mul(total, alpha, total)
        add(params, total, params)


def lockstep_kernel(
    cell: str, hidden: int, bits: int, networks: int
) -> RNNLockstep | LSTMLockstep | GRULockstep | None:
    """The lockstep kernel of a cell, or None beyond the sizes it is checked for (those
    networks are trained one at a time by the single kernel, see `Batch`)."""
    if hidden > MAX_LOCKSTEP_HIDDEN:
        return None
    if cell == "rnn":
        return RNNLockstep(hidden, bits, networks)
    if cell == "lstm":
        return LSTMLockstep(hidden, bits, networks)
    return GRULockstep(hidden, bits, networks)


# Above this size a network's own work dwarfs the per-call overhead that lockstep saves,
# and OpenBLAS may split a product between threads (it does from m * n >= 9216), which the
# tests cover only up to here.
MAX_LOCKSTEP_HIDDEN = 64
EXAMPLES_AT_ONCE = 256  # iterations whose examples are drawn and encoded together


class Batch:
    """Networks of one cell, hidden size and width, trained together.

    `train(k)` trains every network k more iterations, each exactly as
    model.trainer.train would; `drop(keep)` lets the others go. The networks' own
    weights are brought up to date by `sync()` (and by `train` on return).
    """

    def __init__(self, nets: Sequence[Network]) -> None:
        if not nets:
            raise ValueError("a batch needs at least one network")
        first = nets[0]
        for net in nets:
            if (net.cell, net.hidden, net.bits) != (first.cell, first.hidden, first.bits):
                raise ValueError("a batch holds networks of one cell, hidden size and width")
        self.nets = list(nets)
        self.cell, self.hidden, self.bits = first.cell, first.hidden, first.bits
        self._kernel = self._lockstep_kernel()
        self._load()

    def _lockstep_kernel(self) -> RNNLockstep | LSTMLockstep | GRULockstep | None:
        # the compiled kernel trains one network faster than lockstep numpy trains each of
        # a batch (the RNN several times, bench/bench_compiled.py; the LSTM and GRU 1.4-2x
        # at 16 units, 3x at 64, measured with 30 networks): then each trains on its own
        if compiled_for(self.cell):
            return None
        return lockstep_kernel(self.cell, self.hidden, self.bits, len(self.nets))

    @property
    def lockstep(self) -> bool:
        return self._kernel is not None

    def _load(self) -> None:
        if self._kernel is not None:
            self._params = self._kernel.load(np.stack([net.params for net in self.nets]))
            self._alpha = np.array([[net.alpha for net in self.nets]])

    def train(self, iterations: int) -> None:
        if iterations <= 0:
            return
        kernel = self._kernel
        if kernel is None:
            from model.trainer import train

            for net in self.nets:
                train(net, iterations)
            return
        done = 0
        with np.errstate(all="ignore"):  # diverging networks are numbers, not warnings
            while done < iterations:
                count = min(EXAMPLES_AT_ONCE, iterations - done)
                drawn = [net.draw_examples(count) for net in self.nets]
                a = np.stack([pair[0] for pair in drawn])
                b = np.stack([pair[1] for pair in drawn])
                examples = Examples(a, b, self.bits)
                for i in range(count):
                    kernel.run(self._params, self._alpha, examples[i])
                done += count
        for net in self.nets:
            net.iteration += iterations
        self.sync()

    def sync(self) -> None:
        if self._kernel is not None:
            rows = self._kernel.store(self._params)
            for k, net in enumerate(self.nets):
                net.params[:] = rows[k]

    def drop(self, keep: Sequence[int]) -> None:
        """Keep only the networks at these positions (in this order)."""
        self.sync()
        self.nets = [self.nets[k] for k in keep]
        if self._kernel is not None and self.nets:
            self._kernel = self._lockstep_kernel()
            self._load()


def train_lockstep(nets: Sequence[Network], iterations: int) -> None:
    """Train every network `iterations` iterations, each exactly as model.trainer.train."""
    if nets:
        Batch(nets).train(iterations)


__all__ = ["Batch", "Examples", "Inputs", "RNNLockstep", "lockstep_kernel", "train_lockstep"]
