"""The tutorial's RNN cell; one training iteration split into its observable pieces.

The tutorial computes every quantity with small numpy calls on (1, H) rows. To stay
bit-identical to it, every floating-point *sum* here is made by the same numpy call
on the same shapes as in the tutorial (`np.dot` of a (1, H) row, so BLAS adds the
terms in the same order). Everything that is not a sum is an exact rewrite:

* `sigmoid(x) = 1 / (1 + exp(-x))` needs `-x`; negation is exact in IEEE arithmetic,
  and so is rounding's symmetry (`-p - q` rounds to minus what `p + q` rounds to), so we
  negate synapse_0 and synapse_1 once per iteration and subtract `h @ synapse_h` from the
  negated input term, which makes `-x` without a numpy call of its own (synapse_h is
  used as it is: negating its H * H weights every iteration cost 8 us of 220 at H = 256);
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
* from IN_PLACE_FROM hidden units on, that (B, P) buffer is mostly synapse_h's B outer
  products (4 MB at H = 256, beyond the cache) and writing then re-reading it costs
  more than the calls it saves. There the rows hold only synapse_0 and synapse_1, and
  synapse_h's gradient is summed in one pass (model/ordered_sum.py): an einsum that
  adds each timestep's products to the sum, last timestep first, as the tutorial's
  `+=` does, without writing the products anywhere. Where numpy would not keep that
  order for the shapes, the sum is made one timestep at a time instead: the last
  timestep's outer product (`np.dot` of an (H, 1) column by a (1, H) row, the
  tutorial's own call) is written to the sum, and each earlier one is made in a
  scratch (H, H) and added to it with `np.add`; the first timestep's state is zero, so
  its products are +-0 and adding them changes no nonzero sum; it is skipped unless its
  delta is not finite (0 * inf is NaN, and the tutorial adds that NaN). Every way rounds
  every sum the same; which is quicker depends only on size (bench/bench_train.py
  --crossover).
* in-place ufunc calls on one-element arrays (H = 1) run 2-3x slower than calls
  between two buffers, so the forward and backward steps alternate two scratch rows.

Shapes: B = bits (timesteps), H = hidden units, P = 2H + H + H*H parameters.
Timestep t reads bit t of each operand (LSB first); `layer_1[t + 1]` is the hidden
state after timestep t and `layer_1[0]` the zero state before the first one.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from model.cells import CellInfo
from model.ordered_sum import outer_sum, sums_in_order
from model.params import rnn_spec
from model.serial import matmul

if TYPE_CHECKING:
    from model.network import Network as RNN

# From this many hidden units on, synapse_h's gradient is summed in place: both ways
# take the same time at 20 (`python bench/bench_train.py --crossover`; 8 bits; it was 16
# before the sum left out the first timestep's zero-state products and checked its delta).
IN_PLACE_FROM = 20

CELL = CellInfo(
    name="rnn",
    title="RNN",
    spec=rnn_spec,
    carried=("h",),
    states=("h",),
    signed=(),
    code={
        "forward": (
            "layer_1 = sigmoid(",
            "  X@synapse_0 +",
            "  prev_layer_1@synapse_h)",
            "layer_2 = sigmoid(",
            "  layer_1@synapse_1)",
        ),
        "backward": (
            "layer_1_delta = (",
            "  future_layer_1_delta",
            "    @ synapse_h.T +",
            "  layer_2_delta",
            "    @ synapse_1.T)",
            "  * layer_1*(1-layer_1)",
        ),
        "update": (
            "synapse_0 +=",
            "  synapse_0_update * alpha",
            "(same for synapse_1,",
            " synapse_h)",
        ),
    },
)


class IterationKernel:
    """Preallocated buffers plus the steps of one iteration, in the tutorial's order:

    load_example -> forward(0..B-1) -> outputs -> score -> prepare_backward
    -> backward(B-1..0) -> update
    """

    def __init__(self, hidden: int, bits: int, in_place: bool | None = None) -> None:
        """in_place: how synapse_h's gradient is summed (None: by size, IN_PLACE_FROM)."""
        B, H = bits, hidden
        spec = rnn_spec(hidden)
        P = spec.size
        self.bits, self.hidden = B, H
        self.X = np.zeros((B, 2))  # input bits per timestep
        self.Y = np.zeros((B, 1, 1))  # target bit per timestep
        recurrent = spec.slice("synapse_h")
        assert recurrent.stop == P, "synapse_h must come last in the layout"
        # -synapse_0 and -synapse_1, which come before synapse_h in the layout
        self.neg_params = np.empty(recurrent.start)
        self.neg_synapse_0 = self.neg_params[spec.slice("synapse_0")].reshape(2, H)
        self.neg_synapse_1 = self.neg_params[spec.slice("synapse_1")].reshape(H, 1)
        self._no_recurrence = np.zeros((H, H))  # what cut_recurrence puts in synapse_h's place
        self._recurrent = self._no_recurrence  # this iteration's synapse_h (load_example)
        self.neg_input = np.empty((B, 1, H))  # -(X[t] @ synapse_0)
        self.layer_1 = np.zeros((B + 1, 1, H))
        # two scratch rows, written alternately: numpy runs an in-place op on a
        # one-element array (hidden 1) some 2-3 times slower than one between buffers
        self._row = np.empty((1, H))
        self._row_2 = np.empty((1, H))
        self.neg_logit = np.empty((B, 1, 1))  # -(layer_1 @ synapse_1)
        self.layer_2 = np.empty((B, 1, 1))
        self.layer_2_error = np.empty((B, 1, 1))
        self._error_flat = self.layer_2_error.reshape(B)
        self.layer_2_delta = np.empty((B, 1, 1))
        self._slope_2 = np.empty((B, 1, 1))
        self._out_term = np.empty((B, 1, H))  # layer_2_delta[t] @ synapse_1.T
        self._slope_1 = np.empty((B, 1, H))  # layer_1 * (1 - layer_1)
        self.layer_1_delta = np.zeros((B, 1, H))
        # Each timestep's contribution to the update, laid out like the parameters: all
        # of them below IN_PLACE_FROM hidden units; above, only synapse_0 and synapse_1's,
        # and synapse_h's gradient is summed in place (see the module's docstring).
        self.in_place = H >= IN_PLACE_FROM if in_place is None else in_place
        stacked = recurrent.start if self.in_place else P
        self._grads = np.empty((B, stacked))
        self._grad_0 = self._grads[:, spec.slice("synapse_0")].reshape(B, 2, H)
        self._grad_1 = self._grads[:, spec.slice("synapse_1")].reshape(B, 1, H)  # synapse_1.T
        self._grad_sum = np.empty(P)
        self._stacked_sum = self._grad_sum[:stacked]
        # fixed views of the buffers, made once (making a view costs like a numpy call)
        self._grads_backward = self._grads[::-1]
        self._neg_input_2d = self.neg_input.reshape(B, H)
        self._prev_state_column = self.layer_1[:-1].reshape(B, H, 1)
        self._state_rows_after = self.layer_1[1:]
        views: list[tuple[np.ndarray, np.ndarray]] = [
            (self._grad_0, self._grads),
            (self._grad_1, self._grads),
            (self._prev_state_column, self.layer_1),
            (self.neg_synapse_0, self.neg_params),
            (self.neg_synapse_1, self.neg_params),
        ]
        if self.in_place:
            self._grad_h_sum = self._grad_sum[recurrent].reshape(H, H)
            # one einsum pass over the timesteps from the last to the second, when numpy
            # keeps the order for these shapes (ordered_sum); the first one's products
            # are added only when they can change the sum (_sum_recurrent_gradient)
            self._one_pass = sums_in_order(B - 1, H, H)
            # the states and deltas copied last timestep first, for that pass
            self._states_backward = np.empty((B - 1, H))
            self._deltas_backward = np.empty((B - 1, H))
            self._states_2d = self.layer_1[:-1].reshape(B, H)
            self._deltas_2d = self.layer_1_delta.reshape(B, H)
            self._later_states = self._states_2d[:0:-1]
            self._later_deltas = self._deltas_2d[:0:-1]
            self._product = np.empty((H, H))
            # (layer_1[t] as a column, layer_1_delta[t]) from the last timestep down to the
            # second: the first one's state is zero, its products add nothing (unless its
            # delta is not finite, see _sum_recurrent_gradient)
            self._recurrent_terms = list(
                zip(self._prev_state_column[:0:-1], self.layer_1_delta[:0:-1], strict=True)
            )
            self._first_terms = (self._prev_state_column[0], self.layer_1_delta[0])
            self._first_delta = self.layer_1_delta[0, 0]  # (H,), for its check
            views.append((self._grad_h_sum, self._grad_sum))
            views.append((self._states_2d, self.layer_1))
            views.append((self._deltas_2d, self.layer_1_delta))
        else:
            self._grad_h = self._grads[:, recurrent].reshape(B, H, H)
            views.append((self._grad_h, self._grads))
        for view, whole in views:
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
        """Set the example (X: (B, 2) bits, Y: (B, 1, 1) bits) and this iteration's
        weights (the net's change only in `update`, after the last use of these).

        X and Y are kept by reference, not copied: they must not change during the iteration.
        """
        self.X = X
        self.Y = Y
        np.negative(net.params[: self.neg_params.size], self.neg_params)
        self._recurrent = net.synapse_h
        np.dot(X, self.neg_synapse_0, self._neg_input_2d)

    def forward(self, start: int, stop: int) -> None:
        """Timesteps start..stop-1: layer_1[t+1] from input bits t and layer_1[t]."""
        row, row_2, ones, recurrent = self._row, self._row_2, self._ones, self._recurrent
        exp, dot, add, subtract, reciprocal = np.exp, np.dot, np.add, np.subtract, np.reciprocal
        # (outputs passed positionally: keyword parsing costs a visible share here)
        if start == 0 and stop > 0:
            exp(self._input_rows[0], row)  # the state before the first timestep is zero
            add(row, ones, row_2)
            reciprocal(row_2, self._state_rows[1])
            start = 1
        for state, neg_input, next_state in self._forward_rows[start:stop]:
            dot(state, recurrent, row)
            subtract(neg_input, row, row_2)  # -(x @ synapse_0 + h @ synapse_h), exactly
            exp(row_2, row)
            add(row, ones, row_2)
            reciprocal(row_2, next_state)  # correctly rounded, as 1 / (...) is

    def outputs(self, start: int, stop: int) -> None:
        """layer_2 for timesteps start..stop-1, whose layer_1 are known.

        A stacked matmul of (n, 1, H) rows by (H, 1) makes one BLAS dot product per
        row, the very call the tutorial's `np.dot(layer_1, synapse_1)` makes, so all
        timesteps cost one numpy call and still round the same way.
        """
        if start == 0 and stop == self.bits:  # the whole sequence: no slicing needed
            logit, states, out = self.neg_logit, self._state_rows_after, self.layer_2
            one: np.ndarray | float = self._ones_2
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
        row, row_2, recurrent_T = self._row, self._row_2, net.synapse_h.T
        dot, add, multiply = np.dot, np.add, np.multiply
        last = self.bits - 1
        if start == last:
            _, out, slope, delta = self._backward_rows[last]
            multiply(out, slope, delta)  # nothing flows back into the last timestep
            start = last - 1
        rows = self._backward_rows
        for future_delta, out, slope, delta in rows[start : stop if stop >= 0 else None : -1]:
            dot(future_delta, recurrent_T, row)  # type: ignore[arg-type]  # never the last
            add(row, out, row_2)
            multiply(row_2, slope, delta)

    def update(self, net: RNN) -> None:
        """Sum the timesteps' gradients (last timestep first) and add alpha times them."""
        deltas, matmul = self.layer_1_delta, np.matmul
        matmul(self.X.reshape(self.bits, 2, 1), deltas, self._grad_0)
        matmul(self.layer_2_delta, self._state_rows_after, self._grad_1)
        if self.in_place:
            self._sum_recurrent_gradient()
        else:
            np.multiply(self._prev_state_column, deltas, self._grad_h)
        # the reversed view: summed from the last timestep to the first, as the tutorial does
        np.add.reduce(self._grads_backward, 0, None, self._stacked_sum)  # type: ignore[call-overload]
        np.multiply(self._grad_sum, net.alpha, self.last_update)
        np.add(net.params, self.last_update, net.params)
        net.iteration += 1

    def _sum_recurrent_gradient(self) -> None:
        """synapse_h's gradient summed in place, one timestep's outer product after another
        from the last timestep to the first: the tutorial's additions, in its order."""
        total, product, outer, add = self._grad_h_sum, self._product, np.dot, np.add
        if self._one_pass:
            np.copyto(self._states_backward, self._later_states)
            np.copyto(self._deltas_backward, self._later_deltas)
            outer_sum(self._states_backward, self._deltas_backward, total)
        else:
            (column, delta), *earlier = self._recurrent_terms
            outer(column, delta, total)  # the tutorial's first addition is to zeros
            for column, delta in earlier:
                outer(column, delta, product)
                add(total, product, total)
        # The first timestep's products are 0 * delta: adding +-0 leaves every nonzero sum
        # as it is (a zero one may only change sign, which w + alpha * sum cannot show
        # unless w is itself zero), but 0 * inf is NaN: a diverged delta is added as the
        # tutorial adds it. (delta . delta is finite unless an entry is not, or squares
        # overflow, where adding the zeros is merely needless: one call, not two.)
        column, delta = self._first_terms
        first = self._first_delta
        if not math.isfinite(np.dot(first, first)):
            outer(column, delta, product)
            add(total, product, total)

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

    # -- what the stepper reads and the probes change -------------------------------

    def states(self) -> dict[str, np.ndarray]:
        """Each exposed state per timestep, (B, H) views: the RNN has only h (layer_1)."""
        return {"h": self.layer_1[1:].reshape(self.bits, self.hidden)}

    def deltas(self) -> dict[str, np.ndarray]:
        """What flows into each carried state per timestep going backward, (B, H)."""
        return {"h": self.layer_1_delta.reshape(self.bits, self.hidden)}

    def clamp(self, t: int, unit: int, state: str = "h") -> None:
        """Force `unit` of the state after timestep t to 0 and redo that timestep's output."""
        if state != "h":
            raise ValueError(f"the RNN has no state {state!r}")
        self.layer_1[t + 1, 0, unit] = 0.0
        self.outputs(t, t + 1)

    def cut_recurrence(self) -> None:
        """synapse_h acts as zeros for this iteration (this kernel's copy; the net is untouched)."""
        self._recurrent = self._no_recurrence

    @property
    def summed_gradient(self) -> np.ndarray:
        """The last update's direction before alpha: -dL/dw summed over the timesteps."""
        return self._grad_sum

    def predicted_bits(self) -> list[int]:
        """Rounded outputs, LSB first (np.round(0.5) is 0, so this is `> 0.5`)."""
        return (self.layer_2.reshape(-1) > 0.5).astype(int).tolist()


# -- batches: many hidden states at once, for probes and evaluation ---------------------


def advance(
    weights: dict[str, np.ndarray], carried: tuple[np.ndarray, ...], inputs: np.ndarray
) -> tuple[np.ndarray, ...]:
    """One timestep for a batch: carried (h,) and inputs (x @ synapse_0) broadcast against
    each other; returns (h',) of the broadcast shape."""
    (h,) = carried
    pre = inputs + matmul(h, weights["synapse_h"])
    return (1 / (1 + np.exp(-pre)),)
