"""Matrix products in row slices small enough for OpenBLAS to run them on one thread.

OpenBLAS runs a product on one thread when m * n * k <= 65536 * 4. Threaded small
products are a disaster when the other core is busy (training, the UI): a 16384x16x16
product took 7.7 ms threaded against 0.7 ms in single-threaded slices on this 2-core box.
"""

from __future__ import annotations

import numpy as np

SERIAL_MNK = 65536 * 4


def matmul(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """x (..., k) @ w (k, n) -> (..., n); BLAS dtypes and 2-D weights go through row slices."""
    blas = (np.float32, np.float64)
    if w.ndim != 2 or x.dtype not in blas or w.dtype not in blas:
        return x @ w  # stacked weights (the gradient check) or longdouble: no BLAS anyway
    k, n = w.shape
    flat = x.reshape(-1, k)
    m = flat.shape[0]
    rows = SERIAL_MNK // max(1, k * n)
    if m <= rows or rows < 256:  # small enough already, or so big that threads pay
        return (flat @ w).reshape(*x.shape[:-1], n)
    out = np.empty((m, n), dtype=np.result_type(x, w))
    for start in range(0, m, rows):
        np.matmul(flat[start : start + rows], w, out=out[start : start + rows])
    return out.reshape(*x.shape[:-1], n)
