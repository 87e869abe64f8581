"""Hyperparameters of a run, validated in one place."""

from __future__ import annotations

import math
from dataclasses import dataclass

MIN_BITS = 2
MAX_BITS = 32
CELLS = ("rnn", "lstm", "gru")  # the tutorial's RNN first: it is the default
DEFAULT_INIT = (-1.0, 1.0)  # the tutorial's 2*random - 1


@dataclass(frozen=True)
class RNNConfig:
    """What defines a run: the tutorial's constants, made adjustable.

    The defaults are the tutorial's: seed 0, 16 hidden units, alpha 0.1, 8-bit sums, its
    RNN cell and weights drawn from [-1, 1).
    """

    seed: int = 0
    hidden: int = 16
    alpha: float = 0.1
    bits: int = 8
    cell: str = "rnn"
    init: tuple[float, float] = DEFAULT_INIT

    def __post_init__(self) -> None:
        problem = (
            config_problem(self.seed, self.hidden, self.alpha, self.bits)
            or cell_problem(self.cell)
            or init_problem(self.init)
        )
        if problem:
            raise ValueError(problem)
        object.__setattr__(self, "init", (float(self.init[0]), float(self.init[1])))

    @property
    def operand_limit(self) -> int:
        """Operands are drawn from range(operand_limit) so the sum fits in `bits`."""
        return 1 << (self.bits - 1)


def config_problem(seed: object, hidden: object, alpha: object, bits: object) -> str | None:
    """Return a one-line reason the values are unusable, or None when they are fine."""
    for name, value in (("seed", seed), ("hidden", hidden), ("bits", bits)):
        if not isinstance(value, int) or isinstance(value, bool):
            return f"{name} must be a whole number, got {value!r}"
    if not isinstance(alpha, (int, float)) or isinstance(alpha, bool):
        return f"alpha must be a number, got {alpha!r}"
    if seed < 0 or seed > 2**32 - 1:  # type: ignore[operator]
        return f"seed must be between 0 and {2**32 - 1}, got {seed}"
    if hidden < 1 or hidden > 1024:  # type: ignore[operator]
        return f"hidden must be between 1 and 1024, got {hidden}"
    if not MIN_BITS <= bits <= MAX_BITS:  # type: ignore[operator]
        return f"bits must be between {MIN_BITS} and {MAX_BITS}, got {bits}"
    if not math.isfinite(alpha) or alpha <= 0:
        return f"alpha must be a positive finite number, got {alpha}"
    return None


def cell_problem(cell: object) -> str | None:
    if cell not in CELLS:
        return f"cell must be one of {', '.join(CELLS)}, got {cell!r}"
    return None


def init_problem(init: object) -> str | None:
    """Why (LO, HI) is not a usable init range, or None: two finite numbers, LO < HI."""
    if not isinstance(init, tuple) or len(init) != 2:
        return f"init must be two numbers LO,HI, got {init!r}"
    for value in init:
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return f"init bounds must be numbers, got {value!r}"
        if not math.isfinite(value):
            return f"init bounds must be finite, got {value}"
    low, high = init
    if not low < high:
        return f"init range needs LO < HI, got {low},{high}"
    if not math.isfinite(high - low):
        return f"init range {low},{high} is too wide"
    return None
