"""What the LSTM and GRU kernels share: buffers, the output layer, the score, the update.

Both kernels follow the RNN kernel's rule for staying bit-identical to a plain
implementation (tests/cell_reference.py): every floating-point sum is made by the same
numpy call on the same shapes as the plain code makes it, and everything else is an
exact rewrite:

* sigmoid(x) = 1 / (1 + exp(-x)) needs -x, and negation is exact: the kernel keeps a
  copy of the weights with the sigmoid gates' columns negated (`signs`), so one matrix
  product gives -x for those gates and +x for the tanh gate at once;
* products are exact however they are grouped into calls, so the local derivatives that
  do not depend on later timesteps are computed for all timesteps at once after the
  forward pass (`prepare_backward`), and the per-timestep weight gradients (outer
  products) for all timesteps in one call per weight at the update (an einsum over an
  axis of length 1: each entry is one rounded product added to +0, so a zero product is
  +0 as in the plain code's `acc += x.T.dot(dz)`; a broadcasting multiply, quicker with
  numpy 2.4, makes 0 * -d = -0, and a sum of such zeros would keep that sign);
* the plain code adds the timesteps' gradients from the last to the first; each
  timestep's gradients are one (P,) row laid out like the parameters, and
  `np.add.reduce` over the reversed (B, P) view adds them in exactly that order.

Shapes: B = bits (timesteps), H = hidden units, G gate blocks, P = spec.size.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from model.params import gated_spec

outer = np.einsum
_OUTER = "bij,bjk->bik"  # (B, m, 1) x (B, 1, n) -> (B, m, n): per-timestep outer products
# the code panel's lines for the update, the same for both gated cells (weights and biases)
UPDATE_CODE = (
    "synapse_0 +=",
    "  synapse_0_update * alpha",
    "(same for synapse_1,",
    " synapse_h, bias)",
)

if TYPE_CHECKING:
    from model.network import Network


class GatedKernel:
    """Buffers and steps common to the gated cells (see the LSTM/GRU subclasses)."""

    gates: tuple[str, ...] = ()
    tanh_gates: tuple[str, ...] = ()  # the gates whose columns are not negated
    # buffers that hold only intermediate values within one step (prepare_backward's), which
    # the compiled loop (model/compiled/) keeps in its own registers instead
    temporaries: tuple[str, ...] = ()

    def __init__(self, hidden: int, bits: int) -> None:
        B, H = bits, hidden
        self.spec = spec = gated_spec(hidden, self.gates)
        P = spec.size
        self.bits, self.hidden = B, H
        self.X = np.zeros((B, 2))
        self.Y = np.zeros((B, 1, 1))
        # +1 or -1 per parameter: sigmoid gates' columns and synapse_1 negated
        self._signs = np.ones(P)
        signed = spec.views(self._signs)
        for k, gate in enumerate(self.gates):
            if gate not in self.tanh_gates:
                block = slice(k * H, (k + 1) * H)
                for name in ("synapse_0", "synapse_h", "bias"):
                    signed[name][..., block] = -1.0
        signed["synapse_1"][:] = -1.0
        self.signed_params = np.empty(P)  # this iteration's weights, signed as above
        w = spec.views(self.signed_params)
        self.w_in, self.w_out, self.w_rec, self.w_bias = (
            w["synapse_0"],
            w["synapse_1"],
            w["synapse_h"],
            w["bias"],
        )
        self.x_in = np.empty((B, len(self.gates) * H))  # X[t] @ synapse_0, signed
        self.h = np.zeros((B + 1, 1, H))  # layer_1: h[t + 1] after timestep t, h[0] = 0
        self.layer_1 = self.h
        self.neg_logit = np.empty((B, 1, 1))
        self.layer_2 = np.empty((B, 1, 1))
        self.layer_2_error = np.empty((B, 1, 1))
        self._error_flat = self.layer_2_error.reshape(B)
        self.layer_2_delta = np.empty((B, 1, 1))
        self._slope_2 = np.empty((B, 1, 1))
        self.out_term = np.empty((B, 1, H))  # layer_2_delta[t] @ synapse_1.T
        self.dh = np.zeros((B, 1, H))  # everything flowing into h[t + 1]
        self.layer_1_delta = self.dh
        # each timestep's gradients laid out like the parameters; dz is the bias's part
        self._grads = np.zeros((B, P))
        grads = spec.stacked_views(self._grads)
        self._grad_0 = grads["synapse_0"]  # (B, 2, G*H)
        self._grad_1 = grads["synapse_1"].reshape(B, 1, H)  # synapse_1.T's shape
        self._grad_h = grads["synapse_h"]  # (B, H, G*H)
        self.dz = grads["bias"].reshape(B, 1, -1)  # gradient of each gate's pre-activation
        self._grads_backward = self._grads[::-1]
        self._grad_sum = np.empty(P)
        for view in (self._grad_0, self._grad_1, self._grad_h, self.dz):
            assert np.shares_memory(view, self._grads), "a reshape made a copy"
        self.last_update = np.zeros(P)
        self.overall_error = 0.0
        self._ones_2 = np.ones((B, 1, 1))
        self._X_column = self.X.reshape(B, 2, 1)

    # -- forward ----------------------------------------------------------------------

    def load_example(self, net: Network, X: np.ndarray, Y: np.ndarray) -> None:
        """Set the example (X: (B, 2) bits, Y: (B, 1, 1)) and freeze this iteration's weights.

        X and Y are kept by reference, not copied: they must not change during the iteration.
        """
        self.X, self.Y = X, Y
        self._X_column = X.reshape(self.bits, 2, 1)
        np.multiply(net.params, self._signs, self.signed_params)
        np.dot(X, self.w_in, self.x_in)

    def outputs(self, start: int, stop: int) -> None:
        """layer_2 = sigmoid(h @ synapse_1) for timesteps start..stop-1 (one BLAS dot each)."""
        logit, out = self.neg_logit[start:stop], self.layer_2[start:stop]
        np.matmul(self.h[start + 1 : stop + 1], self.w_out, logit)
        np.exp(logit, out)
        np.add(out, 1.0, out)
        np.reciprocal(out, out)

    def score(self) -> float:
        """layer_2_error, layer_2_delta and overallError once all outputs are known."""
        out, slope = self.layer_2, self._slope_2
        np.subtract(self.Y, out, self.layer_2_error)
        np.subtract(self._ones_2, out, slope)
        np.multiply(slope, out, slope)
        np.multiply(self.layer_2_error, slope, self.layer_2_delta)
        total = 0.0  # summed one by one, in timestep order, as the tutorial does
        for value in self._error_flat.tolist():
            total += abs(value)
        self.overall_error = total
        return total

    # -- update -----------------------------------------------------------------------

    def recurrent_gradients(self) -> None:
        """Fill self._grad_h (B, H, G*H) from the states and dz (cell specific)."""
        raise NotImplementedError

    def update(self, net: Network) -> None:
        """Sum the timesteps' gradients (last timestep first) and add alpha times them."""
        outer(_OUTER, self._X_column, self.dz, out=self._grad_0)
        np.matmul(self.layer_2_delta, self.h[1:], self._grad_1)
        self.recurrent_gradients()
        np.add.reduce(self._grads_backward, 0, None, self._grad_sum)  # type: ignore[call-overload]
        np.multiply(self._grad_sum, net.alpha, self.last_update)
        np.add(net.params, self.last_update, net.params)
        net.iteration += 1

    # -- the whole iteration ------------------------------------------------------------

    def forward(self, start: int, stop: int) -> None:
        raise NotImplementedError

    def prepare_backward(self, net: Network) -> None:
        raise NotImplementedError

    def backward(self, net: Network, start: int, stop: int) -> None:
        raise NotImplementedError

    def run(self, net: Network, X: np.ndarray, Y: np.ndarray) -> float:
        """One full training iteration on one example; returns overallError."""
        bits = self.bits
        self.load_example(net, X, Y)
        self.forward(0, bits)
        self.outputs(0, bits)
        error = self.score()
        self.prepare_backward(net)
        self.backward(net, bits - 1, -1)
        self.update(net)
        return error

    @property
    def summed_gradient(self) -> np.ndarray:
        """The last update's direction before alpha: -dL/dw summed over the timesteps."""
        return self._grad_sum

    def predicted_bits(self) -> list[int]:
        """Rounded outputs, LSB first (np.round(0.5) is 0, so this is `> 0.5`)."""
        return (self.layer_2.reshape(-1) > 0.5).astype(int).tolist()

    def cut_recurrence(self) -> None:
        """synapse_h acts as zeros for this iteration (this kernel's copy only)."""
        self.w_rec[:] = 0.0
