"""LSTM and GRU cells written out plainly from DESIGN.md, in the tutorial's style.

This is the yardstick for the fast kernels in `model/cells/`: one numpy call per
formula, (1, n) rows, the weight gradients accumulated timestep by timestep from the
last to the first (as the tutorial accumulates its `synapse_*_update`), applied once
per iteration. It is slow on purpose: it says what the cells compute, nothing more.

Weights (DESIGN.md "The other cells"): synapse_0 (2, G*H), synapse_1 (H, 1),
synapse_h (H, G*H), bias (G*H,), drawn in that order from the seed's stream (the bias
is zeros, not drawn). Column blocks of H: LSTM i, f, o, g; GRU z, r, n.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

GATES = {"lstm": 4, "gru": 3}


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


@dataclass
class CellRun:
    cell: str
    synapse_0: np.ndarray
    synapse_1: np.ndarray
    synapse_h: np.ndarray
    bias: np.ndarray
    rng: np.random.RandomState
    blocks: list[str] = field(default_factory=list)
    errors: list[float] = field(default_factory=list)


def _digits(value: int, width: int) -> np.ndarray:
    """`value` as `width` bits, most significant first (the tutorial's int2binary rows)."""
    return np.array([(value >> (width - 1 - i)) & 1 for i in range(width)], dtype=np.uint8)


def init_weights(
    cell: str, rng: np.random.RandomState, hidden: int, low: float = -1.0, high: float = 1.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    width = GATES[cell] * hidden
    span = high - low
    w_in = span * rng.random_sample((2, width)) + low
    w_out = span * rng.random_sample((hidden, 1)) + low
    w_rec = span * rng.random_sample((hidden, width)) + low
    return w_in, w_out, w_rec, np.zeros(width)


def lstm_forward(x, h_prev, c_prev, w_in, w_rec, bias, hidden):  # type: ignore[no-untyped-def]
    """One LSTM timestep: (h, c, (i, f, o, g)), each (1, H)."""
    zx = np.dot(x, w_in) + np.dot(h_prev, w_rec) + bias
    H = hidden
    i = _sigmoid(zx[:, 0:H])
    f = _sigmoid(zx[:, H : 2 * H])
    o = _sigmoid(zx[:, 2 * H : 3 * H])
    g = np.tanh(zx[:, 3 * H : 4 * H])
    c = f * c_prev + i * g
    h = o * np.tanh(c)
    return h, c, (i, f, o, g)


def gru_forward(x, h_prev, w_in, w_rec, bias, hidden):  # type: ignore[no-untyped-def]
    """One GRU timestep: (h, (z, r, n)), each (1, H)."""
    H = hidden
    zr, ns = slice(0, 2 * H), slice(2 * H, 3 * H)  # z and r share one product
    gates = _sigmoid(np.dot(x, w_in[:, zr]) + np.dot(h_prev, w_rec[:, zr]) + bias[zr])
    z, r = gates[:, :H], gates[:, H:]
    n = np.tanh(np.dot(x, w_in[:, ns]) + np.dot(r * h_prev, w_rec[:, ns]) + bias[ns])
    h = (1 - z) * n + z * h_prev
    return h, (z, r, n)


def gradients(
    cell: str,
    w_in: np.ndarray,
    w_out: np.ndarray,
    w_rec: np.ndarray,
    bias: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    c: np.ndarray,
) -> tuple[float, np.ndarray, list[np.ndarray]]:
    """One example (MSB-first digit rows a, b, c): overallError, predicted digits and the
    ascent direction of -1/2*sum(y - layer_2)^2 for (w_in, w_out, w_rec, bias)."""
    H = w_out.shape[0]
    width = len(c)
    guess = np.zeros_like(c)
    total_error = 0.0
    xs, hs, cs, gates, out_deltas = [], [np.zeros((1, H))], [np.zeros((1, H))], [], []
    for pos in range(width):
        x = np.array([[a[width - pos - 1], b[width - pos - 1]]], dtype=np.float64)
        y = np.array([[c[width - pos - 1]]]).T
        if cell == "lstm":
            h, cc, gate = lstm_forward(x, hs[-1], cs[-1], w_in, w_rec, bias, H)
            cs.append(cc)
        else:
            h, gate = gru_forward(x, hs[-1], w_in, w_rec, bias, H)
        out = _sigmoid(np.dot(h, w_out))
        miss = y - out
        out_deltas.append(miss * (out * (1 - out)))
        total_error += float(np.abs(miss[0])[0])
        guess[width - pos - 1] = np.round(out[0][0])
        xs.append(x)
        hs.append(h)
        gates.append(gate)

    acc_in, acc_out = np.zeros_like(w_in), np.zeros_like(w_out)
    acc_rec, acc_bias = np.zeros_like(w_rec), np.zeros_like(bias)
    future_h = np.zeros((1, H))  # what flows into h[t] from timestep t+1
    future_c = np.zeros((1, H))  # LSTM: what flows into c[t] from timestep t+1
    for t in reversed(range(width)):
        x, h, h_prev = xs[t], hs[t + 1], hs[t]
        dh = np.dot(out_deltas[t], w_out.T) + future_h
        if cell == "lstm":
            i, f, o, g = gates[t]
            c_now, c_prev = cs[t + 1], cs[t]
            tanh_c = np.tanh(c_now)
            # each local derivative in brackets, times what flows in (dh or dc)
            dc = dh * (o * (1 - tanh_c * tanh_c)) + future_c
            d_i = dc * (g * (i * (1 - i)))
            d_f = dc * (c_prev * (f * (1 - f)))
            d_o = dh * (tanh_c * (o * (1 - o)))
            d_g = dc * (i * (1 - g * g))
            dz = np.concatenate([d_i, d_f, d_o, d_g], axis=1)
            future_h = np.dot(dz, w_rec.T)
            future_c = dc * f
            acc_rec += np.dot(h_prev.T, dz)
        else:
            z, r, n = gates[t]
            zr, ns = slice(0, 2 * H), slice(2 * H, 3 * H)
            d_n = dh * ((1 - z) * (1 - n * n))
            d_z = dh * ((h_prev - n) * (z * (1 - z)))
            rh = np.dot(d_n, w_rec[:, ns].T)  # what flows into r * h_prev
            d_r = rh * (h_prev * (r * (1 - r)))
            dz = np.concatenate([d_z, d_r, d_n], axis=1)
            future_h = (dh * z + rh * r) + np.dot(dz[:, zr], w_rec[:, zr].T)
            acc_rec[:, zr] += np.dot(h_prev.T, dz[:, zr])
            acc_rec[:, ns] += np.dot((r * h_prev).T, d_n)
        acc_out += np.dot(h.T, out_deltas[t])
        acc_in += np.dot(x.T, dz)
        acc_bias += dz[0]
    return total_error, guess, [acc_in, acc_out, acc_rec, acc_bias]


def run_cell(
    cell: str,
    iterations: int,
    seed: int = 0,
    hidden: int = 16,
    alpha: float = 0.1,
    bits: int = 8,
    init: tuple[float, float] = (-1.0, 1.0),
    log_every: int = 1000,
) -> CellRun:
    """Train `cell` as the tutorial trains its RNN and record the printed blocks."""
    rng = np.random.RandomState(seed)
    run = CellRun(cell, *init_weights(cell, rng, hidden, *init), rng=rng)
    weights = [run.synapse_0, run.synapse_1, run.synapse_h, run.bias]
    half = pow(2, bits) / 2
    for j in range(iterations):
        a_int = rng.randint(half)
        b_int = rng.randint(half)
        a, b, c = _digits(a_int, bits), _digits(b_int, bits), _digits(a_int + b_int, bits)
        error, guess, grads = gradients(cell, *weights, a, b, c)
        for weight, grad in zip(weights, grads, strict=True):
            weight += grad * alpha
        run.errors.append(error)
        if j % log_every == 0:
            value = sum(int(bit) << k for k, bit in enumerate(reversed(guess)))
            run.blocks.append(
                f"Error:{np.array([error])}\nPred:{guess}\nTrue:{c}\n"
                f"{a_int} + {b_int} = {value}\n------------"
            )
    return run
