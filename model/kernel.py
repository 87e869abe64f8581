"""One training iteration of the tutorial's RNN, split into its observable pieces.

The tutorial computes every quantity with small numpy calls on (1, H) rows. To stay
bit-identical to it, every floating-point *sum* here is made by the same numpy call
on the same shapes as in the tutorial (`np.dot` of a (1, H) row, so BLAS adds the
terms in the same order). Everything that is not a sum is an exact rewrite:

* `sigmoid(x) = 1 / (1 + exp(-x))` needs `-x`; negation is exact in IEEE arithmetic,
  so we negate the weights once per iteration and get `-x` from the matrix products
  directly, saving a numpy call per timestep;
* products with an input bit (0 or 1) and single products are exact whether made
  one by one or all at once, so the input terms and the per-timestep gradient
  outer products are built for all timesteps in one call each (a stacked matmul
  with an inner dimension of 1 is such a product, and is quicker than a
  broadcasting multiply);
* the tutorial adds the per-timestep weight gradients one after another, from the
  last timestep to the first. Each timestep's gradients are laid out like the flat
  parameter vector, one (P,) row per timestep, and `np.add.reduce` over the leading
  axis of the reversed (B, P) view adds row after row in exactly that order. (Summing
  each matrix on its own is not safe: for H = 1 the reduced axis becomes numpy's inner
  loop, which switches to pairwise summation from 8 rows on.)

Shapes: B = bits (timesteps), H = hidden units, P = 2H + H + H*H parameters.
Timestep t reads bit t of each operand (LSB first); `layer_1[t + 1]` is the hidden
state after timestep t and `layer_1[0]` the zero state before the first one.
"""

from __future__ import annotations

import numpy as np

from model.network import RNN, parameter_count, weight_views


class IterationKernel:
    """Preallocated buffers plus the steps of one iteration, in the tutorial's order:

    load_example -> forward(0..B-1) -> outputs -> score -> prepare_backward
    -> backward(B-1..0) -> update
    """

    def __init__(self, hidden: int, bits: int) -> None:
        B, H = bits, hidden
        P = parameter_count(hidden)
        self.bits, self.hidden = B, H
        self.X = np.zeros((B, 2))  # input bits per timestep
        self.Y = np.zeros((B, 1, 1))  # target bit per timestep
        self.neg_params = np.empty(P)
        self.neg_synapse_0, self.neg_synapse_1, self.neg_synapse_h = weight_views(
            self.neg_params, H
        )
        self.neg_input = np.empty((B, 1, H))  # -(X[t] @ synapse_0)
        self.layer_1 = np.zeros((B + 1, 1, H))
        self._row = np.empty((1, H))
        self.neg_logit = np.empty((B, 1, 1))  # -(layer_1 @ synapse_1)
        self.layer_2 = np.empty((B, 1, 1))
        self.layer_2_error = np.empty((B, 1, 1))
        self._error_flat = self.layer_2_error.reshape(B)
        self.layer_2_delta = np.empty((B, 1, 1))
        self._slope_2 = np.empty((B, 1, 1))
        self._out_term = np.empty((B, 1, H))  # layer_2_delta[t] @ synapse_1.T
        self._slope_1 = np.empty((B, 1, H))  # layer_1 * (1 - layer_1)
        self.layer_1_delta = np.zeros((B, 1, H))
        # each timestep's contribution to the update, laid out like the parameters
        self._grads = np.empty((B, P))
        self._grad_0 = self._grads[:, : 2 * H].reshape(B, 2, H)
        self._grad_1 = self._grads[:, 2 * H : 3 * H].reshape(B, 1, H)  # synapse_1.T's shape
        self._grad_h = self._grads[:, 3 * H :].reshape(B, H, H)
        self._grad_sum = np.empty(P)
        # fixed views of the buffers, made once (making a view costs like a numpy call)
        self._grads_backward = self._grads[::-1]
        self._neg_input_2d = self.neg_input.reshape(B, H)
        self._prev_state_column = self.layer_1[:-1].reshape(B, H, 1)
        self._state_rows_after = self.layer_1[1:]
        for view, whole in (
            (self._grad_0, self._grads),
            (self._grad_1, self._grads),
            (self._grad_h, self._grads),
            (self._prev_state_column, self.layer_1),
        ):
            assert np.shares_memory(view, whole), "a reshape made a copy"
        self.last_update = np.zeros(P)  # alpha * summed gradient, as added to the weights
        self.overall_error = 0.0
        # ones shaped like the operands: a Python 1.0 costs a conversion in every call
        self._ones = np.ones((1, H))
        self._ones_1 = np.ones((B, 1, H))
        self._ones_2 = np.ones((B, 1, 1))
        # Row views made once: indexing costs as much as a small numpy call.
        self._state_rows = list(self.layer_1)
        self._input_rows = list(self.neg_input)
        self._delta_rows = list(self.layer_1_delta)
        self._out_rows = list(self._out_term)
        self._slope_rows = list(self._slope_1)
        # What timestep t reads and writes, by t: (layer_1[t], input t, layer_1[t + 1])
        self._forward_rows = list(
            zip(self._state_rows[:-1], self._input_rows, self._state_rows[1:], strict=True)
        )
        # (layer_1_delta[t + 1], output term t, slope t, layer_1_delta[t]); t = B-1 unused
        self._backward_rows = list(
            zip(
                [*self._delta_rows[1:], None],
                self._out_rows,
                self._slope_rows,
                self._delta_rows,
                strict=True,
            )
        )

    # -- forward -------------------------------------------------------------------

    def load_example(self, net: RNN, X: np.ndarray, Y: np.ndarray) -> None:
        """Set the example (X: (B, 2) bits, Y: (B, 1, 1) bits) and freeze this iteration's
        weights.

        X and Y are kept by reference, not copied: they must not change during the iteration.
        """
        self.X = X
        self.Y = Y
        np.negative(net.params, self.neg_params)
        np.dot(X, self.neg_synapse_0, self._neg_input_2d)

    def forward(self, start: int, stop: int) -> None:
        """Timesteps start..stop-1: layer_1[t+1] from input bits t and layer_1[t]."""
        row, ones, recurrent = self._row, self._ones, self.neg_synapse_h
        exp, dot, add, reciprocal = np.exp, np.dot, np.add, np.reciprocal
        # (outputs passed positionally: keyword parsing costs a visible share here)
        if start == 0 and stop > 0:
            exp(self._input_rows[0], row)  # the state before the first timestep is zero
            add(row, ones, row)
            reciprocal(row, self._state_rows[1])
            start = 1
        for state, neg_input, next_state in self._forward_rows[start:stop]:
            dot(state, recurrent, row)
            add(row, neg_input, row)
            exp(row, row)
            add(row, ones, row)
            reciprocal(row, next_state)  # correctly rounded, as 1 / (...) is

    def outputs(self, start: int, stop: int) -> None:
        """layer_2 for timesteps start..stop-1, whose layer_1 are known.

        A stacked matmul of (n, 1, H) rows by (H, 1) makes one BLAS dot product per
        row, the very call the tutorial's `np.dot(layer_1, synapse_1)` makes, so all
        timesteps cost one numpy call and still round the same way.
        """
        if start == 0 and stop == self.bits:  # the whole sequence: no slicing needed
            logit, states, out = self.neg_logit, self._state_rows_after, self.layer_2
            one = self._ones_2
        else:
            logit, out = self.neg_logit[start:stop], self.layer_2[start:stop]
            states, one = self.layer_1[start + 1 : stop + 1], 1.0
        np.matmul(states, self.neg_synapse_1, logit)
        np.exp(logit, out)
        np.add(out, one, out)
        np.reciprocal(out, out)

    def score(self) -> float:
        """layer_2_error, layer_2_delta and overallError once all outputs are known."""
        out, slope = self.layer_2, self._slope_2
        np.subtract(self.Y, out, self.layer_2_error)
        np.subtract(self._ones_2, out, slope)
        np.multiply(slope, out, slope)
        np.multiply(self.layer_2_error, slope, self.layer_2_delta)
        total = 0.0  # the tutorial sums the timesteps' errors one by one, in order
        for value in self._error_flat.tolist():
            total += abs(value)
        self.overall_error = total
        return total

    # -- backward ------------------------------------------------------------------

    def prepare_backward(self, net: RNN) -> None:
        """The parts of every layer_1_delta that do not depend on later timesteps."""
        np.matmul(self.layer_2_delta, net.synapse_1.T, self._out_term)
        hidden, slope = self._state_rows_after, self._slope_1
        np.subtract(self._ones_1, hidden, slope)
        np.multiply(slope, hidden, slope)

    def backward(self, net: RNN, start: int, stop: int) -> None:
        """layer_1_delta for timesteps start down to stop+1, each from the one after (BPTT)."""
        row, recurrent_T = self._row, net.synapse_h.T
        dot, add, multiply = np.dot, np.add, np.multiply
        last = self.bits - 1
        if start == last:
            _, out, slope, delta = self._backward_rows[last]
            multiply(out, slope, delta)  # nothing flows back into the last timestep
            start = last - 1
        rows = self._backward_rows
        for future_delta, out, slope, delta in rows[start : stop if stop >= 0 else None : -1]:
            dot(future_delta, recurrent_T, row)
            add(row, out, row)
            multiply(row, slope, delta)

    def update(self, net: RNN) -> None:
        """Sum the timesteps' gradients (last timestep first) and add alpha times them."""
        deltas, matmul = self.layer_1_delta, np.matmul
        matmul(self.X.reshape(self.bits, 2, 1), deltas, self._grad_0)
        matmul(self.layer_2_delta, self._state_rows_after, self._grad_1)
        np.multiply(self._prev_state_column, deltas, self._grad_h)
        # the reversed view: summed from the last timestep to the first, as the tutorial does
        np.add.reduce(self._grads_backward, 0, None, self._grad_sum)
        np.multiply(self._grad_sum, net.alpha, self.last_update)
        np.add(net.params, self.last_update, net.params)
        net.iteration += 1

    # -- the whole iteration ---------------------------------------------------------

    def run(self, net: RNN, X: np.ndarray, Y: np.ndarray) -> float:
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

    def predicted_bits(self) -> list[int]:
        """Rounded outputs, LSB first (np.round(0.5) is 0, so this is `> 0.5`)."""
        return (self.layer_2.reshape(-1) > 0.5).astype(int).tolist()
