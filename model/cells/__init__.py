"""The recurrent cells: the tutorial's RNN and the LSTM and GRU of its unwritten Part 2.

Each cell module (`rnn`, `lstm`, `gru`) defines, once each:

* `CELL`: a `CellInfo` (names, parameter layout, what a screen may show);
* `IterationKernel(spec, bits)`: one training example's steps on preallocated buffers
  (load_example, forward t, outputs, score, prepare_backward, backward t, update), used
  alike by bulk training and by the step-by-step walk, so both leave the same bits;
* batched forward functions for probes and evaluation (`first_states`, `grow`), which
  advance many hidden states at once (see model/prefix.py).

Cell modules are imported on first use, so the default RNN never loads the others.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import ModuleType

from model.config import CELLS
from model.params import ParamSpec


@dataclass(frozen=True)
class CellInfo:
    name: str  # "rnn", "lstm", "gru"
    title: str  # how a screen names it
    spec: Callable[[int], ParamSpec]  # hidden size -> parameter layout
    carried: tuple[str, ...]  # states passed from one timestep to the next ("h", maybe "c")
    states: tuple[str, ...]  # every state and gate exposed per timestep, "h" first
    signed: tuple[str, ...]  # those whose range is (-1, 1), not (0, 1)
    code: Mapping[str, tuple[str, ...]]  # phase ("forward", ...) -> its equations' lines


def cell_module(name: str) -> ModuleType:
    if name not in CELLS:
        raise ValueError(f"cell must be one of {', '.join(CELLS)}, got {name!r}")
    return importlib.import_module(f"model.cells.{name}")


def cell_info(name: str) -> CellInfo:
    info: CellInfo = cell_module(name).CELL
    return info
