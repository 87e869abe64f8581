"""The LSTM and GRU training loops compiled with numba: a chunk of examples per call.

Bit-identical to model/cells/lstm.py and gru.py (`IterationKernel.run`), for the reason
model/compiled/rnn_loop.py is to rnn.py: each quantity is made by the same operation on
the same operands as the numpy kernel makes it. What numpy does for each call the
kernels make (numpy/_core/src/common/cblasfuncs.c, umath/matmul.c.src, einsum):

* `np.dot(X, synapse_0)`, (B, 2) @ (2, G*H), is a dgemm with an inner dimension of 2:
  each entry is round(x0 * w0 + x1 * w1) of exact products (bits), accumulated from +0,
  which is `0.0 + (x0 * w0 + x1 * w1)` here (the `0.0 +` makes a -0 the +0 BLAS gives);
* `np.dot` of a (1, H) row by a matrix is `cblas_dgemv(order, Trans, m, n, 1, A, lda, x,
  1, 0, y, 1)` on a zeroed y: RowMajor with lda = columns for a C-contiguous matrix,
  ColMajor with lda = rows for an F-contiguous one (the LSTM's `synapse_h.T`), and a
  matrix view that is neither (the GRU's gate blocks and their transposes) is first
  copied to a C-contiguous array (here once per example: the weights do not change
  within one);
* for H = 1 those shapes are numpy's scalar paths: a (1, 1) times a row of G*H is
  `cblas_daxpy` onto zeros, (1, 1) by (1, 1) one product, a row by a column `0.0 +
  cblas_ddot`; the matmuls with a core of (1, 1) @ (1, 1) are `0.0 + cblas_ddot(1)`;
* a stacked (B, 1, H) @ (H, 1) matmul is `0.0 + cblas_ddot(H)` per timestep; with an
  inner dimension of 1 (and H > 1) it is numpy's plain loop, `0 + a * b`, as are the
  einsum outer products (the output is zeroed, then each product added);
* `np.add.reduce` over the reversed (B, P) gradient rows adds elementwise, from 0.0,
  from the last timestep to the first;
* `exp` and `tanh` are numpy's own float64 loops, called on the same contiguous spans
  (never in place where numpy is not); the rest are single correctly rounded operations
  in the numpy kernel's order and grouping (numba contracts nothing into an FMA without
  fastmath, which is never asked for).

The loops work in the numpy kernel's own buffers (model/compiled/gated_runner.py passes
them), so after a chunk every state, delta and gradient row, and the scratch rows, hold
what the numpy kernel would have left there. nogil and cached on disk, like the RNN's.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from model.compiled.calls import COL_MAJOR, ROW_MAJOR, daxpy, ddot, gemv, strided_loop

# the order of the addresses in `calls` (NativeRoutines.gated)
DGEMV, DDOT, DAXPY, EXP, EXP_CONTEXT, EXP_AUX, TANH, TANH_CONTEXT, TANH_AUX = range(9)


@njit(nogil=True, cache=True, error_model="numpy")
def _inputs(params, signs, signed, X_example, x_in, width):  # type: ignore[no-untyped-def]
    """This iteration's signed weights and X @ synapse_0 (signed), as load_example."""
    for p in range(params.size):
        signed[p] = params[p] * signs[p]
    w_0, w_1 = signed[:width], signed[width : 2 * width]
    for t in range(x_in.shape[0]):
        x0, x1, terms = X_example[t, 0], X_example[t, 1], x_in[t]
        for k in range(width):
            terms[k] = 0.0 + (x0 * w_0[k] + x1 * w_1[k])


@njit(nogil=True, cache=True, error_model="numpy")
def _outputs_and_score(  # type: ignore[no-untyped-def]
    h_after, w_out, Y_example, neg_logit, layer_2, error, delta, slope_2, predicted, calls
):
    """layer_2, its error and delta, and the rounded outputs; (status, overallError)."""
    B, H = h_after.shape[0], h_after.shape[1]
    for t in range(B):
        neg_logit[t] = 0.0 + ddot(calls[DDOT], H, h_after[t], w_out)
    status = strided_loop(calls[EXP], calls[EXP_CONTEXT], calls[EXP_AUX], neg_logit, layer_2, B)
    total = 0.0
    for t in range(B):
        out = 1.0 / (layer_2[t] + 1.0)
        layer_2[t] = out
        miss = Y_example[t] - out
        error[t] = miss
        slope = (1.0 - out) * out
        slope_2[t] = slope
        delta[t] = miss * slope
        total += abs(miss)  # in timestep order, as the tutorial does
        predicted[t] = 1 if out > 0.5 else 0
    return status, total


@njit(nogil=True, cache=True, error_model="numpy")
def _out_terms(delta, synapse_1, out_term, calls):  # type: ignore[no-untyped-def]
    """layer_2_delta @ synapse_1.T per timestep: (1, 1) @ (1, H)."""
    H = synapse_1.size
    for t in range(out_term.shape[0]):
        if H == 1:
            out_term[t, 0] = 0.0 + ddot(calls[DDOT], 1, delta[t : t + 1], synapse_1)
        else:
            d, terms = delta[t], out_term[t]
            for j in range(H):
                terms[j] = 0.0 + d * synapse_1[j]


@njit(nogil=True, cache=True, error_model="numpy")
def _update(  # type: ignore[no-untyped-def]
    params, X_example, delta, h_after, prev, prev_late, split, grads, grad_sum, last_update,
    alpha, calls,
):  # fmt: skip
    """Each timestep's gradient row (laid out like the parameters; its bias part, dz, is
    already there), summed from the last timestep to the first, times alpha, added.
    synapse_h's columns below `split` multiply prev[t], the others prev_late[t]."""
    B, H = h_after.shape[0], h_after.shape[1]
    P = params.size
    W = (P - H) // (H + 3)  # P = 2W + H + H*W + W
    s1_at, sh_at, b_at = 2 * W, 2 * W + H, 2 * W + H + H * W
    for p in range(P):
        grad_sum[p] = 0.0
    for t in range(B - 1, -1, -1):
        row = grads[t]
        dz = row[b_at:]
        x0, x1 = X_example[t, 0], X_example[t, 1]
        for k in range(W):
            row[k] = 0.0 + x0 * dz[k]
            row[W + k] = 0.0 + x1 * dz[k]
        if H == 1:
            row[s1_at] = 0.0 + ddot(calls[DDOT], 1, delta[t : t + 1], h_after[t])
        else:
            d, state = delta[t], h_after[t]
            for j in range(H):
                row[s1_at + j] = 0.0 + d * state[j]
        for i in range(H):
            early, late = prev[t, i], prev_late[t, i]
            grad_row = row[sh_at + i * W : sh_at + (i + 1) * W]
            for k in range(split):
                grad_row[k] = 0.0 + early * dz[k]
            for k in range(split, W):
                grad_row[k] = 0.0 + late * dz[k]
        for p in range(P):
            grad_sum[p] = grad_sum[p] + row[p]
    for p in range(P):
        change = grad_sum[p] * alpha
        last_update[p] = change
        params[p] = params[p] + change


@njit(nogil=True, cache=True, error_model="numpy")
def lstm_chunk(  # type: ignore[no-untyped-def]
    params, signs, X, Y, alpha, errors, predicted,
    signed, x_in, h, ifo, gc, tanh_c, neg_logit, layer_2, layer_2_error, layer_2_delta,
    slope_2, out_term, dh, dc, slope, dc_slope, grads, grad_sum, last_update,
    pre, e, pair, row, future, calls,
):  # fmt: skip
    """Train on the n examples X (n, B, 2), Y (n, B) in order; 0, or a loop's status.

    The buffers are the numpy LSTM kernel's, flattened to (timestep, unit) rows."""
    count, B, H = X.shape[0], X.shape[1], h.shape[1]
    W, H2, H3 = 4 * H, 2 * H, 3 * H
    s1_at, sh_at = 2 * W, 2 * W + H
    b_at = sh_at + H * W
    w_out, w_rec, w_bias = signed[s1_at:sh_at], signed[sh_at:b_at], signed[b_at:]
    synapse_1, synapse_h = params[s1_at:sh_at], params[sh_at:b_at]
    dz = grads[:, b_at:]
    for example in range(count):
        X_example = X[example]
        _inputs(params, signs, signed, X_example, x_in, W)
        # forward
        for t in range(B):
            x_t = x_in[t]
            if t == 0:  # h_prev = 0: no recurrent term
                for k in range(W):
                    pre[k] = x_t[k] + w_bias[k]
            else:
                for k in range(W):
                    pre[k] = 0.0  # numpy zeroes dot's output before BLAS
                if H == 1:
                    daxpy(calls[DAXPY], W, h[t, 0], w_rec, pre)
                else:
                    gemv(calls[DGEMV], ROW_MAJOR, H, W, w_rec, W, h[t], pre)
                for k in range(W):
                    pre[k] = pre[k] + x_t[k]
                for k in range(W):
                    pre[k] = pre[k] + w_bias[k]
            status = strided_loop(calls[EXP], calls[EXP_CONTEXT], calls[EXP_AUX], pre, e, H3)
            if status != 0:
                return status
            gates = ifo[t]
            for k in range(H3):
                e[k] = e[k] + 1.0
                gates[k] = 1.0 / e[k]
            g, c_prev, c = gc[t, 0], gc[t, 1], gc[t + 1, 1]
            status = strided_loop(calls[TANH], calls[TANH_CONTEXT], calls[TANH_AUX], pre[H3:], g, H)
            if status != 0:
                return status
            for j in range(H):
                pair[0, j] = gates[j] * g[j]
                pair[1, j] = gates[H + j] * c_prev[j]
                c[j] = pair[1, j] + pair[0, j]
            tc = tanh_c[t]
            status = strided_loop(calls[TANH], calls[TANH_CONTEXT], calls[TANH_AUX], c, tc, H)
            if status != 0:
                return status
            state = h[t + 1]
            for j in range(H):
                state[j] = gates[H2 + j] * tc[j]
        status, total = _outputs_and_score(
            h[1:], w_out, Y[example], neg_logit, layer_2, layer_2_error, layer_2_delta,
            slope_2, predicted[example], calls,
        )  # fmt: skip
        if status != 0:
            return status
        errors[example] = total
        # the local derivatives, all timesteps (prepare_backward)
        _out_terms(layer_2_delta, synapse_1, out_term, calls)
        for t in range(B):
            gates, sl, g, c_prev, tc = ifo[t], slope[t], gc[t, 0], gc[t, 1], tanh_c[t]
            for j in range(H):
                i, f, o = gates[j], gates[H + j], gates[H2 + j]
                sl[j] = g[j] * (i * (1.0 - i))
                sl[H + j] = c_prev[j] * (f * (1.0 - f))
                sl[H2 + j] = tc[j] * (o * (1.0 - o))
                sl[H3 + j] = i * (1.0 - g[j] * g[j])
                dc_slope[t, j] = o * (1.0 - tc[j] * tc[j])
        # backward
        last = B - 1
        for t in range(last, -1, -1):
            if t == last:
                for j in range(H):
                    future[j] = 0.0
            elif H == 1:
                future[0] = 0.0 + ddot(calls[DDOT], W, dz[t + 1], synapse_h)
            else:
                for j in range(H):
                    future[j] = 0.0
                gemv(calls[DGEMV], COL_MAJOR, W, H, synapse_h, W, dz[t + 1], future)
            dh_t, dc_t, sl, d = dh[t], dc[t], slope[t], dz[t]
            for j in range(H):
                dh_t[j] = out_term[t, j] + future[j]
            for j in range(H):
                dc_t[j] = dh_t[j] * dc_slope[t, j]
            if t != last:
                f_next = ifo[t + 1, H:H2]
                for j in range(H):
                    row[j] = dc[t + 1, j] * f_next[j]
                    dc_t[j] = dc_t[j] + row[j]
            for j in range(H):
                d[j] = dc_t[j] * sl[j]
                d[H + j] = dc_t[j] * sl[H + j]
                d[H2 + j] = dh_t[j] * sl[H2 + j]
                d[H3 + j] = dc_t[j] * sl[H3 + j]
        _update(
            params, X_example, layer_2_delta, h[1:], h[:B], h[:B], W, grads, grad_sum,
            last_update, alpha, calls,
        )  # fmt: skip
    return 0


@njit(nogil=True, cache=True, error_model="numpy")
def gru_chunk(  # type: ignore[no-untyped-def]
    params, signs, X, Y, alpha, errors, predicted,
    signed, x_in, nh, ozr, rh, neg_logit, layer_2, layer_2_error, layer_2_delta, slope_2,
    out_term, dr, slope, grads, grad_sum, last_update,
    pre_zr, pre_n, e, pair, row, future, calls,
):  # fmt: skip
    """Train on the n examples X (n, B, 2), Y (n, B) in order; 0, or a loop's status.

    The buffers are the numpy GRU kernel's, flattened to (timestep, unit) rows."""
    count, B, H = X.shape[0], X.shape[1], rh.shape[1]
    W, H2 = 3 * H, 2 * H
    s1_at, sh_at = 2 * W, 2 * W + H
    b_at = sh_at + H * W
    w_out, w_rec, w_bias = signed[s1_at:sh_at], signed[sh_at:b_at], signed[b_at:]
    w_rec_2d = w_rec.reshape(H, W)
    synapse_1, synapse_h = params[s1_at:sh_at], params[sh_at:b_at]
    synapse_h_2d = synapse_h.reshape(H, W)
    dz = grads[:, b_at:]
    # numpy's C-ordered copies of the gate blocks (they are not one memory segment)
    rec_zr, rec_n = np.empty((H, H2)), np.empty((H, H))
    rec_zr_T, rec_n_T = np.empty((H2, H)), np.empty((H, H))
    h = nh[:, 1]
    for example in range(count):
        X_example = X[example]
        _inputs(params, signs, signed, X_example, x_in, W)
        if H > 1:
            for i in range(H):
                for k in range(H2):
                    rec_zr[i, k] = w_rec_2d[i, k]
                    rec_zr_T[k, i] = synapse_h_2d[i, k]
                for k in range(H):
                    rec_n[i, k] = w_rec_2d[i, H2 + k]
                    rec_n_T[k, i] = synapse_h_2d[i, H2 + k]
        # forward
        for t in range(B):
            x_t, h_prev = x_in[t], h[t]
            if t == 0:
                for k in range(H2):
                    pre_zr[k] = x_t[k] + w_bias[k]
            else:
                for k in range(H2):
                    pre_zr[k] = 0.0
                if H == 1:
                    daxpy(calls[DAXPY], H2, h_prev[0], w_rec, pre_zr)
                else:
                    gemv(calls[DGEMV], ROW_MAJOR, H, H2, rec_zr, H2, h_prev, pre_zr)
                for k in range(H2):
                    pre_zr[k] = pre_zr[k] + x_t[k]
                for k in range(H2):
                    pre_zr[k] = pre_zr[k] + w_bias[k]
            status = strided_loop(calls[EXP], calls[EXP_CONTEXT], calls[EXP_AUX], pre_zr, e, H2)
            if status != 0:
                return status
            omz, z, r = ozr[t, 0], ozr[t, 1], ozr[t, 2]
            for j in range(H):
                e[j] = e[j] + 1.0
                z[j] = 1.0 / e[j]
            for j in range(H):
                e[H + j] = e[H + j] + 1.0
                r[j] = 1.0 / e[H + j]
            for j in range(H):
                omz[j] = 1.0 - z[j]
            rh_t = rh[t]
            if t == 0:
                for j in range(H):
                    rh_t[j] = 0.0
                    pre_n[j] = x_t[H2 + j] + w_bias[H2 + j]
            else:
                for j in range(H):
                    rh_t[j] = r[j] * h_prev[j]
                if H == 1:
                    pre_n[0] = rh_t[0] * w_rec[H2]
                else:
                    for j in range(H):
                        pre_n[j] = 0.0
                    gemv(calls[DGEMV], ROW_MAJOR, H, H, rec_n, H, rh_t, pre_n)
                for j in range(H):
                    pre_n[j] = pre_n[j] + x_t[H2 + j]
                for j in range(H):
                    pre_n[j] = pre_n[j] + w_bias[H2 + j]
            n = nh[t, 0]
            status = strided_loop(calls[TANH], calls[TANH_CONTEXT], calls[TANH_AUX], pre_n, n, H)
            if status != 0:
                return status
            state = h[t + 1]
            for j in range(H):
                pair[0, j] = omz[j] * n[j]
                pair[1, j] = z[j] * h_prev[j]
                state[j] = pair[0, j] + pair[1, j]
        status, total = _outputs_and_score(
            h[1:], w_out, Y[example], neg_logit, layer_2, layer_2_error, layer_2_delta,
            slope_2, predicted[example], calls,
        )  # fmt: skip
        if status != 0:
            return status
        errors[example] = total
        # the local derivatives, all timesteps (prepare_backward)
        _out_terms(layer_2_delta, synapse_1, out_term, calls)
        for t in range(B):
            omz, z, r, n, h_prev, sl = ozr[t, 0], ozr[t, 1], ozr[t, 2], nh[t, 0], h[t], slope[t]
            for j in range(H):
                sl[j] = (h_prev[j] - n[j]) * (z[j] * omz[j])
                sl[H + j] = h_prev[j] * (r[j] * (1.0 - r[j]))
                sl[H2 + j] = omz[j] * (1.0 - n[j] * n[j])
        # backward
        for j in range(H):
            future[j] = 0.0
        for t in range(B - 1, -1, -1):
            dh_t, flow, d, sl = dr[t, 0], dr[t, 1], dz[t], slope[t]
            for j in range(H):
                dh_t[j] = out_term[t, j] + future[j]
            for j in range(H):
                d[j] = dh_t[j] * sl[j]
                d[H2 + j] = dh_t[j] * sl[H2 + j]
            if H == 1:
                flow[0] = d[H2] * synapse_h[H2]
            else:
                for j in range(H):
                    flow[j] = 0.0
                gemv(calls[DGEMV], ROW_MAJOR, H, H, rec_n_T, H, d[H2:], flow)
            for j in range(H):
                d[H + j] = flow[j] * sl[H + j]
            if t > 0:  # what flows into h[t - 1]
                z, r = ozr[t, 1], ozr[t, 2]
                for j in range(H):
                    pair[0, j] = dh_t[j] * z[j]
                    pair[1, j] = flow[j] * r[j]
                    future[j] = pair[0, j] + pair[1, j]
                if H == 1:
                    row[0] = 0.0 + ddot(calls[DDOT], H2, d, synapse_h)
                else:
                    for j in range(H):
                        row[j] = 0.0
                    gemv(calls[DGEMV], ROW_MAJOR, H2, H, rec_zr_T, H, d, row)
                for j in range(H):
                    future[j] = future[j] + row[j]
        _update(
            params, X_example, layer_2_delta, h[1:], h[:B], rh, H2, grads, grad_sum,
            last_update, alpha, calls,
        )  # fmt: skip
    return 0
