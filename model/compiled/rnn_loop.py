"""The tutorial's RNN training loop compiled with numba: a chunk of examples per call.

Bit-identical to model/cells/rnn.py's `IterationKernel.run`, because each quantity is
made by the same operation on the same operands (see that module's docstring):

* every floating-point sum of more than two terms is made by the routine numpy calls for
  it, with numpy's arguments (numpy/_core/src/common/cblasfuncs.c and umath/matmul.c.src):
  `np.dot` of a (1, H) row by the C-contiguous (H, H) `-synapse_h` is
  `cblas_dgemv(RowMajor, Trans, H, H, 1, A, H, x, 1, 0, y, 1)` on a zeroed y; by the
  F-contiguous view `synapse_h.T` it is the same call with ColMajor; a stacked
  (B, 1, H) @ (H, 1) matmul is `0.0 + cblas_ddot(H, x, 1, y, 1)` per row. For H = 1 all
  these are numpy's "scalar" paths: a single product, no BLAS.
* `exp` is numpy's own float64 loop, called as numpy calls it (contiguous, in place
  where the numpy kernel works in place);
* the rest are single operations, correctly rounded alike in numpy and here (numba
  does not contract a * b + c into a fused multiply-add without fastmath, which is never
  asked for): the input terms (a sum of products by 0/1 bits), `1 / (row + 1)`, the
  products with an inner dimension of 1 (numpy's `0 + a * b` loop), and the gradients,
  summed from the last timestep to the first starting from 0.0 as `np.add.reduce` and
  the tutorial do.

The loop releases the GIL (nogil) and is cached on disk (cache=True): the C routines'
addresses are arguments, not compiled-in constants, so the cached code is valid in any
process. Division follows numpy's error model (1 / 0 is inf, no exception and no check
per division), and the inner loops run over row views, which lets them vectorise. The
tests compare it with the numpy kernel and the tutorial, bit for bit.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from model.compiled.calls import COL_MAJOR, ROW_MAJOR, gemv, strided_loop
from model.compiled.calls import ddot as call_ddot  # `ddot` is the address argument


@njit(nogil=True, cache=True, error_model="numpy")  # 1 / 0 is inf, as in numpy
def train_chunk(
    params: np.ndarray,  # (P,) the network's weights, updated in place
    X: np.ndarray,  # (n, B, 2) input bits
    Y: np.ndarray,  # (n, B) target bits
    alpha: float,
    hidden: int,
    errors: np.ndarray,  # (n,) out: overallError of each iteration
    predicted: np.ndarray,  # (n, B) uint8 out: rounded layer_2 of each iteration
    layer_1: np.ndarray,  # (B + 1, H) out: the last iteration's states (row 0 stays zero)
    layer_2: np.ndarray,  # (B,) out
    layer_2_error: np.ndarray,  # (B,) out
    layer_2_delta: np.ndarray,  # (B,) out
    layer_1_delta: np.ndarray,  # (B, H) out
    grad_sum: np.ndarray,  # (P,) out: the last update's summed gradient
    last_update: np.ndarray,  # (P,) out: alpha * grad_sum, as added to the weights
    dgemv: int,
    ddot: int,
    exp_loop: int,
    exp_context: int,
    exp_auxdata: int,
) -> int:
    """Train on the n examples in order; returns 0, or a failing exp loop's status."""
    count, B = X.shape[0], X.shape[1]
    H, P = hidden, params.size
    s1_at, sh_at = 2 * H, 3 * H  # where synapse_1 and synapse_h start in the layout
    neg = np.empty(sh_at)  # -synapse_0 and -synapse_1 (synapse_h is used as it is)
    neg_synapse_1 = neg[s1_at:sh_at]
    synapse_h = params[sh_at:].reshape(H, H)  # also its transpose's data, F-contiguous
    grad_0 = grad_sum[:s1_at].reshape(2, H)
    grad_1 = grad_sum[s1_at:sh_at]
    grad_h = grad_sum[sh_at:].reshape(H, H)
    neg_input = np.empty((B, H))
    row = np.empty(H)
    neg_logit = np.empty(B)
    out_term = np.empty((B, H))
    slope_1 = np.empty((B, H))
    for h in range(H):
        layer_1[0, h] = 0.0
    for example in range(count):
        for p in range(sh_at):
            neg[p] = -params[p]
        # input terms: -(X[t] @ synapse_0), a sum of products by bits (exact products)
        neg_0, neg_1 = neg[:H], neg[H:s1_at]
        for t in range(B):
            x0, x1, terms = X[example, t, 0], X[example, t, 1], neg_input[t]
            for h in range(H):
                terms[h] = x0 * neg_0[h] + x1 * neg_1[h]
        # forward
        status = strided_loop(exp_loop, exp_context, exp_auxdata, neg_input[0], row, H)
        if status != 0:
            return status
        for h in range(H):
            layer_1[1, h] = 1.0 / (row[h] + 1.0)
        for t in range(1, B):
            # numpy's kernel adds the product by -synapse_h, which is exactly minus this
            # product (BLAS does the same operations on negated operands): subtracting
            # it gives the same bits without negating H * H weights per iteration (but
            # for the sign bit of a NaN, once a run has diverged)
            if H == 1:
                row[0] = layer_1[t, 0] * synapse_h[0, 0]
            else:
                for h in range(H):
                    row[h] = 0.0  # numpy zeroes its output before the BLAS call
                gemv(dgemv, ROW_MAJOR, H, H, synapse_h, H, layer_1[t], row)
            terms, states = neg_input[t], layer_1[t + 1]
            for h in range(H):
                row[h] = terms[h] - row[h]
            status = strided_loop(exp_loop, exp_context, exp_auxdata, row, row, H)
            if status != 0:
                return status
            for h in range(H):
                states[h] = 1.0 / (row[h] + 1.0)
        # outputs
        for t in range(B):
            neg_logit[t] = 0.0 + call_ddot(ddot, H, layer_1[t + 1], neg_synapse_1)
        status = strided_loop(exp_loop, exp_context, exp_auxdata, neg_logit, layer_2, B)
        if status != 0:
            return status
        total = 0.0
        for t in range(B):
            out = 1.0 / (layer_2[t] + 1.0)
            layer_2[t] = out
            error = Y[example, t] - out
            layer_2_error[t] = error
            layer_2_delta[t] = error * ((1.0 - out) * out)
            total += abs(error)
            predicted[example, t] = 1 if out > 0.5 else 0
        errors[example] = total
        # backward
        synapse_1 = params[s1_at:sh_at]
        for t in range(B):
            delta_2, terms, slopes, states = (
                layer_2_delta[t],
                out_term[t],
                slope_1[t],
                layer_1[t + 1],
            )
            for h in range(H):
                terms[h] = 0.0 + delta_2 * synapse_1[h]
                slopes[h] = (1.0 - states[h]) * states[h]
        last = B - 1
        for h in range(H):
            layer_1_delta[last, h] = out_term[last, h] * slope_1[last, h]
        for t in range(B - 2, -1, -1):
            if H == 1:
                row[0] = layer_1_delta[t + 1, 0] * synapse_h[0, 0]
            else:
                for h in range(H):
                    row[h] = 0.0
                gemv(dgemv, COL_MAJOR, H, H, synapse_h, H, layer_1_delta[t + 1], row)
            deltas, terms, slopes = layer_1_delta[t], out_term[t], slope_1[t]
            for h in range(H):
                deltas[h] = (row[h] + terms[h]) * slopes[h]
        # update: each timestep's gradient, summed from the last timestep to the first
        # (row views, not computed indices: then the loops vectorise, 3x faster)
        for p in range(P):
            grad_sum[p] = 0.0
        for t in range(B - 1, -1, -1):
            x0, x1, delta_2 = X[example, t, 0], X[example, t, 1], layer_2_delta[t]
            deltas, state_after = layer_1_delta[t], layer_1[t + 1]
            for h in range(H):
                delta = deltas[h]
                grad_0[0, h] += 0.0 + x0 * delta
                grad_0[1, h] += 0.0 + x1 * delta
                grad_1[h] += 0.0 + delta_2 * state_after[h]
            states = layer_1[t]
            for i in range(H):
                state, grad_row = states[i], grad_h[i]
                for h in range(H):
                    grad_row[h] += state * deltas[h]
        for p in range(P):
            change = grad_sum[p] * alpha
            last_update[p] = change
            params[p] = params[p] + change
    return 0
