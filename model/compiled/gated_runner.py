"""The compiled LSTM and GRU loops behind their numpy kernels' interface.

`CompiledGated.run_chunk` trains a chunk with the compiled loop, working in the numpy
kernel's own buffers (flattened views of them, checked to share their memory), so
whatever reads the kernel after bulk training (the app's snapshot of the last iteration:
states, deltas, outputs, `last_update`) sees what the numpy kernel would have left there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from model.cells import gru, lstm
from model.compiled.gated_loop import gru_chunk, lstm_chunk
from model.compiled.native import routines

if TYPE_CHECKING:
    from model.network import Network

GatedKernel = lstm.IterationKernel | gru.IterationKernel


def _rows(array: np.ndarray, *shape: int) -> np.ndarray:
    """A reshaped view of one of the kernel's buffers: never a copy."""
    view = array.reshape(shape)
    assert np.shares_memory(view, array), "a reshape made a copy"
    return view


class CompiledGated:
    """Runs chunks of training iterations for one numpy LSTM or GRU kernel."""

    def __init__(self, kernel: GatedKernel) -> None:
        B, H = kernel.bits, kernel.hidden
        self.kernel = kernel
        self._calls = routines().gated()
        spec = kernel.spec
        W = len(kernel.gates) * H
        # the loops compute the layout's offsets themselves: it must be this one
        starts = [spec.slice(name).start for name in spec.names]
        assert spec.names == ("synapse_0", "synapse_1", "synapse_h", "bias")
        assert starts == [0, 2 * W, 2 * W + H, 2 * W + H + H * W], "unexpected layout"
        common = (kernel.signed_params, kernel.x_in)
        outputs = (
            _rows(kernel.neg_logit, B),
            _rows(kernel.layer_2, B),
            _rows(kernel.layer_2_error, B),
            _rows(kernel.layer_2_delta, B),
            _rows(kernel._slope_2, B),
            _rows(kernel.out_term, B, H),
        )
        if isinstance(kernel, lstm.IterationKernel):
            self._loop = lstm_chunk
            self._buffers: tuple[np.ndarray, ...] = (
                *common,
                _rows(kernel.h, B + 1, H),
                _rows(kernel.ifo, B, 3 * H),
                kernel.gc,
                _rows(kernel.tanh_c, B, H),
                *outputs,
                _rows(kernel.dh, B, H),
                _rows(kernel.dc, B, H),
                _rows(kernel._slope, B, W),
                _rows(kernel._dc_slope, B, H),
                kernel._grads,
                kernel._grad_sum,
                kernel.last_update,
                _rows(kernel._pre, W),
                _rows(kernel._exp, 3 * H),
                kernel._pair,
                _rows(kernel._row, H),
                _rows(kernel._future_h, H),
            )
        else:
            self._loop = gru_chunk
            self._buffers = (
                *common,
                kernel.nh,
                kernel.ozr,
                _rows(kernel.rh, B, H),
                *outputs,
                kernel.dr,
                _rows(kernel._slope, B, W),
                kernel._grads,
                kernel._grad_sum,
                kernel.last_update,
                _rows(kernel._pre_zr, 2 * H),
                _rows(kernel._pre_n, H),
                _rows(kernel._exp, 2 * H),
                kernel._pair,
                _rows(kernel._row, H),
                _rows(kernel._future_h, H),
            )

    def run_chunk(
        self, net: Network, X: np.ndarray, Y: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Train on X (n, B, 2), Y (n, B, 1, 1) in order, exactly as n `kernel.run` calls
        would; returns each iteration's overallError (n,) and rounded outputs (n, B)."""
        kernel = self.kernel
        count, bits = X.shape[0], X.shape[1]
        errors = np.empty(count)
        predicted = np.empty((count, bits), dtype=np.uint8)
        if count == 0:
            return errors, predicted
        X = np.ascontiguousarray(X, dtype=np.float64)
        status = self._loop(
            net.params,
            kernel._signs,
            X,
            np.ascontiguousarray(Y, dtype=np.float64).reshape(count, bits),
            float(net.alpha),
            errors,
            predicted,
            *self._buffers,
            self._calls,
        )
        if status != 0:
            raise RuntimeError(f"numpy's exp or tanh loop failed with status {status}")
        net.iteration += count
        kernel.X, kernel.Y = X[-1], Y[-1]
        kernel._X_column = kernel.X.reshape(bits, 2, 1)
        kernel.overall_error = float(errors[-1])
        return errors, predicted
