"""Backpropagation through time against centred numerical gradients, for any cell.

The loss is L = 1/2 * sum_t (y_t - layer_2_t)^2 over one example; training moves every
weight by alpha * -dL/dw, so the kernel's summed update direction is -dL/dw. The
numerical gradient is the centred difference (L(w + eps) - L(w - eps)) / (2 eps) for
each weight, at two step sizes combined by Richardson extrapolation (truncation error
O(eps^4)), with L evaluated in extended precision (numpy's longdouble, 64-bit mantissa)
from the cell's batched forward step, so rounding costs about 1e-14 absolute.

Relative error per weight: |bptt - numerical| / max(|bptt|, |numerical|, FLOOR); a
weight whose gradient is below FLOOR in both is compared in absolute terms.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.cells import cell_module
from model.encoding import problem_bits
from model.network import Network
from model.trainer import kernel_for

EPS = 1e-4
FLOOR = 1e-7  # below this a gradient is "zero": its error counts absolutely
TOLERANCE = 1e-6
_CHUNK = 128  # perturbed copies evaluated together (fewer for big networks: see _rows)
_BATCH_VALUES = 2**21  # longdouble values in one batch of copies: 32 MB
# Every weight is checked, each by four evaluations in longdouble (no BLAS): the work
# grows as H^4, some seconds at 64 hidden units and hours at 1024.
MAX_HIDDEN = 64


def size_problem(net: Network) -> str | None:
    """Why this network is too big to check every weight numerically, or None."""
    if net.hidden <= MAX_HIDDEN:
        return None
    return (
        f"the gradient check perturbs every weight in extended precision: up to "
        f"{MAX_HIDDEN} hidden units (this network has {net.hidden})"
    )


@dataclass(frozen=True)
class GradientLine:
    """One weight matrix (or one gate block of it)."""

    name: str  # "synapse_h" or "synapse_h[f]"
    size: int
    largest_bptt: float  # the BPTT gradient of largest magnitude in the block
    numerical_there: float  # the numerical gradient of that same weight
    max_relative_error: float

    @property
    def ok(self) -> bool:
        return self.max_relative_error < TOLERANCE


@dataclass(frozen=True)
class GradientCheck:
    a: int
    b: int
    lines: tuple[GradientLine, ...]

    @property
    def ok(self) -> bool:
        return all(line.ok for line in self.lines)


def bptt_gradient(net: Network, a: int, b: int) -> np.ndarray:
    """dL/dw (flat, laid out like net.params) by the training kernel's backward pass."""
    kernel = kernel_for(net)
    X, Y = problem_bits(np.array([a]), np.array([b]), net.bits)
    twin = net.copy()  # the kernel's update applies the step; keep `net` as it was
    with np.errstate(all="ignore"):
        kernel.run(twin, X[0], Y[0])
    return -kernel.summed_gradient.copy()


def losses(net: Network, flats: np.ndarray, a: int, b: int) -> np.ndarray:
    """L for each row of `flats` (n, P) of weights, in longdouble: (n,)."""
    advance = cell_module(net.cell).advance
    n, H, bits = flats.shape[0], net.hidden, net.bits
    rows = flats.astype(np.longdouble)
    w = net.spec.stacked_views(rows)
    weights = {name: w[name] for name in net.spec.names}
    if "bias" in weights:
        weights["bias"] = weights["bias"][:, None, :]  # (n, 1, G*H): one per copy
    carried = tuple(np.zeros((n, 1, H), dtype=np.longdouble) for _ in net.info.carried)
    total = np.zeros(n, dtype=np.longdouble)
    one = np.longdouble(1)
    for t in range(bits):
        x = np.array([[(a >> t) & 1, (b >> t) & 1]], dtype=np.longdouble)  # (1, 2)
        y = ((a + b) >> t) & 1
        inputs = x @ weights["synapse_0"]  # (n, 1, G*H)
        carried = advance(weights, carried, inputs)
        out = one / (one + np.exp(-(carried[0] @ weights["synapse_1"])))  # (n, 1, 1)
        total += (y - out.reshape(n)) ** 2 / 2
    return total


def numerical_gradient(net: Network, a: int, b: int, eps: float = EPS) -> np.ndarray:
    """Centred differences of L for every weight (flat, like net.params), float64.

    Two step sizes, eps and eps/2, combined by Richardson extrapolation
    ((4 D(eps/2) - D(eps)) / 3) cancel the O(eps^2) error of a centred difference."""
    wide = centred_differences(net, a, b, eps)
    narrow = centred_differences(net, a, b, eps / 2)
    return (4 * narrow - wide) / 3


def centred_differences(net: Network, a: int, b: int, eps: float) -> np.ndarray:
    """(L(w + eps) - L(w - eps)) / (2 eps) for every weight, one at a time."""
    P = net.params.size
    grad = np.empty(P)
    rows = max(1, min(_CHUNK, _BATCH_VALUES // P))
    for start in range(0, P, rows):
        idx = np.arange(start, min(P, start + rows))
        up = np.repeat(net.params[None], idx.size, axis=0)
        down = up.copy()
        up[np.arange(idx.size), idx] += eps
        down[np.arange(idx.size), idx] -= eps
        # the perturbation as actually represented, not the eps asked for
        step = up[np.arange(idx.size), idx].astype(np.longdouble) - down[
            np.arange(idx.size), idx
        ].astype(np.longdouble)
        with np.errstate(all="ignore"):
            diff = losses(net, up, a, b) - losses(net, down, a, b)
        grad[idx] = (diff / step).astype(np.float64)
    return grad


def gradient_check(net: Network, a: int | None = None, b: int | None = None) -> GradientCheck:
    """Check one example (by default the next one drawn from a copy of net's stream)."""
    if a is None or b is None:
        a, b = net.copy().draw_example()
    bptt = bptt_gradient(net, a, b)
    numerical = numerical_gradient(net, a, b)
    with np.errstate(all="ignore"):
        scale = np.maximum(np.maximum(np.abs(bptt), np.abs(numerical)), FLOOR)
        relative = np.abs(bptt - numerical) / scale
    relative[~np.isfinite(relative)] = np.inf
    lines = []
    spec = net.spec
    for param, where in zip(spec.params, spec.slices().values(), strict=True):
        views = {
            "b": bptt[where].reshape(param.shape),
            "n": numerical[where].reshape(param.shape),
            "r": relative[where].reshape(param.shape),
        }
        blocks: list[tuple[str, np.ndarray | None]] = [(param.name, None)]
        if param.blocks:
            blocks += spec.blocks(param.name)
        for label, columns in blocks:
            part = {k: (v if columns is None else v[..., columns]) for k, v in views.items()}
            flat_b = part["b"].reshape(-1)
            top = int(np.argmax(np.abs(flat_b)))
            lines.append(
                GradientLine(
                    name=label,
                    size=int(flat_b.size),
                    largest_bptt=float(flat_b[top]),
                    numerical_there=float(part["n"].reshape(-1)[top]),
                    max_relative_error=float(part["r"].max()),
                )
            )
    return GradientCheck(int(a), int(b), tuple(lines))
