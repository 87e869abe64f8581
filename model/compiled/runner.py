"""The compiled RNN loop behind the numpy kernel's interface: a chunk of examples per call.

`CompiledRNN.run_chunk` trains a chunk with the compiled loop, writing the last
iteration's values into the numpy kernel's own buffers, so whatever reads the kernel after
bulk training (the app's snapshot of the last iteration, `last_update`, `overall_error`)
sees what the numpy kernel would have left there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from model.compiled.native import routines
from model.compiled.rnn_loop import train_chunk

if TYPE_CHECKING:
    from model.cells.rnn import IterationKernel
    from model.network import Network


class CompiledRNN:
    """Runs chunks of training iterations for one numpy RNN kernel's network shape."""

    def __init__(self, kernel: IterationKernel) -> None:
        B, H = kernel.bits, kernel.hidden
        self.kernel = kernel
        self._native = routines()
        self._layer_1 = kernel.layer_1.reshape(B + 1, H)
        self._layer_2 = kernel.layer_2.reshape(B)
        self._layer_2_error = kernel.layer_2_error.reshape(B)
        self._layer_2_delta = kernel.layer_2_delta.reshape(B)
        self._layer_1_delta = kernel.layer_1_delta.reshape(B, H)
        for view, whole in (
            (self._layer_1, kernel.layer_1),
            (self._layer_2, kernel.layer_2),
            (self._layer_1_delta, kernel.layer_1_delta),
        ):
            assert np.shares_memory(view, whole), "a reshape made a copy"

    def run_chunk(
        self, net: Network, X: np.ndarray, Y: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Train on X (n, B, 2), Y (n, B, 1, 1) in order, exactly as n `kernel.run` calls
        would; returns each iteration's overallError (n,) and rounded outputs (n, B)."""
        kernel, native = self.kernel, self._native
        count, bits = X.shape[0], X.shape[1]
        errors = np.empty(count)
        predicted = np.empty((count, bits), dtype=np.uint8)
        if count == 0:
            return errors, predicted
        status = train_chunk(
            net.params,
            np.ascontiguousarray(X, dtype=np.float64),
            np.ascontiguousarray(Y, dtype=np.float64).reshape(count, bits),
            float(net.alpha),
            kernel.hidden,
            errors,
            predicted,
            self._layer_1,
            self._layer_2,
            self._layer_2_error,
            self._layer_2_delta,
            self._layer_1_delta,
            kernel.summed_gradient,
            kernel.last_update,
            native.dgemv,
            native.ddot,
            native.exp_loop,
            native.exp_context,
            native.exp_auxdata,
        )
        if status != 0:
            raise RuntimeError(f"numpy's exp loop failed with status {status}")
        net.iteration += count
        kernel.X, kernel.Y = X[-1], Y[-1]
        kernel.overall_error = float(errors[-1])
        return errors, predicted
