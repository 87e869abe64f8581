"""Which kernel trains the networks: numpy's (always there) or the compiled one.

The compiled kernel (model/compiled/, the `fast` extra: numba) is used only when it is
installed and has passed a self-check on this machine: a short run of several network
shapes of each cell trained by both kernels, compared bit for bit (weights, every
iteration's error, the last update, the random stream). The RNN's runs and the gated
cells' (LSTM and GRU) are judged apart: should only the gated cells' loop differ here,
the RNN still trains compiled and the LSTM and GRU with numpy
(`KernelStatus.gated_note` says why). The verdict is kept in `kernel-check.json` beside
numba's cache of the compiled loop (model/compiled/__pycache__, where that is writable;
else in `$XDG_STATE_HOME/rnn-tui/`), keyed on everything that could change the bits (numpy,
numba and llvmlite versions, the CPU features numpy dispatches on, the kernels' source),
so later starts, of any user, skip the check.
On any failure (numba missing or broken, a symbol not found, a single differing bit)
numpy's kernel is used and `KernelStatus.note` says why, in one line.

The choice is per process: `choose(...)` (the command line) sets it, and
`chunk_runner(kernel)` (model/trainer.py) hands out the compiled loop only while it is
active (and, for an LSTM or GRU kernel, only when the gated runs passed too).
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import os
import platform
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Iterable

    from model.trainer import Kernel
from model.network import Network

KERNELS = ("auto", "numpy", "compiled")
NUMPY, COMPILED = "numpy", "compiled"
INSTALL_HINT = "pip install 'rnn-tui[fast]'"
VERDICT_FILE = "kernel-check.json"
GATED = ("lstm", "gru")
# (hidden, bits, alpha, init, iterations): the scalar paths (H = 1), odd sizes, the
# BLAS paths, a long sequence and a large step (saturated units)
SelfCheckRun = tuple[int, int, float, tuple[float, float], int]
SELF_CHECK_RUNS: tuple[SelfCheckRun, ...] = (
    (1, 8, 0.1, (-1.0, 1.0), 300),
    (3, 5, 0.5, (0.0, 1.0), 300),
    (16, 8, 0.1, (-1.0, 1.0), 300),
    (40, 32, 0.1, (-1.0, 1.0), 60),
    (8, 8, 5.0, (0.0, 2.0), 300),
)
# each for the LSTM and the GRU; 64 units is where OpenBLAS splits a dgemv between threads
GATED_SELF_CHECK_RUNS: tuple[SelfCheckRun, ...] = (
    (1, 8, 0.1, (-1.0, 1.0), 200),
    (3, 5, 0.5, (0.0, 1.0), 200),
    (16, 8, 0.1, (-1.0, 1.0), 200),
    (8, 32, 5.0, (0.0, 2.0), 60),
    (33, 2, 5.0, (0.0, 2.0), 100),
    (64, 8, 0.1, (-1.0, 1.0), 30),
)


@dataclass(frozen=True)
class KernelStatus:
    """The kernel in use and, when the compiled one was wanted but is not used, why."""

    requested: str  # auto, numpy or compiled
    name: str  # numpy or compiled: what trains RNNs in this process
    note: str = (
        ""  # one line: why the compiled kernel is not in use ("" when it is, or numpy was asked)
    )
    gated_note: str = ""  # with name compiled: why the LSTM and GRU still train with numpy

    @property
    def line(self) -> str:
        """`kernel compiled`, or `kernel numpy (compiled kernel not used: ...)`."""
        if not self.note:
            return f"kernel {self.name}"
        return f"kernel {self.name} (compiled kernel not used: {self.note})"

    def line_for(self, cells: Iterable[str]) -> str:
        """The line for runs of these cells: which kernel trained them, and why not the
        compiled one where it was wanted but not used."""
        gated = [cell for cell in GATED if cell in set(cells)]
        if self.name != COMPILED or not self.gated_note or not gated:
            return self.line
        titles = " and ".join(cell.upper() for cell in gated)
        if "rnn" in cells:
            return (
                f"kernel compiled for the RNN, numpy for the {titles} "
                f"(compiled kernel not used: {self.gated_note})"
            )
        return f"kernel numpy (compiled kernel not used for the {titles}: {self.gated_note})"


_active = KernelStatus(NUMPY, NUMPY)


def active() -> KernelStatus:
    return _active


def choose(requested: str, *, state_dir: str | None = None) -> KernelStatus:
    """Decide the kernel for this process (`auto`: compiled when it works here)."""
    global _active
    if requested not in KERNELS:
        raise ValueError(f"kernel must be one of {', '.join(KERNELS)}, got {requested!r}")
    if requested == NUMPY:
        _active = KernelStatus(requested, NUMPY)
        return _active
    problem, gated_problem = compiled_problems(state_dir)
    _active = (
        KernelStatus(requested, NUMPY, problem)
        if problem
        else KernelStatus(requested, COMPILED, gated_note=gated_problem)
    )
    return _active


def adopt(status: KernelStatus) -> None:
    """Use a choice made (and checked) by a parent process on this machine."""
    global _active
    _active = status


def compiled_for(cell: str) -> bool:
    """Does the compiled kernel train networks of this cell in this process?"""
    if _active.name != COMPILED:
        return False
    return cell == "rnn" or (cell in GATED and not _active.gated_note)


# (net, X (n, B, 2), Y (n, B, 1, 1)) -> (errors (n,), predicted bits (n, B)); trains n
ChunkRunner = Callable[["Network", np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def chunk_runner(kernel: Kernel) -> ChunkRunner | None:
    """The compiled loop for this numpy kernel's buffers, when the compiled kernel is
    active for its cell (model/trainer.py's kernels: RNN, LSTM, GRU); None otherwise."""
    if _active.name != COMPILED:  # first: the trainer asks before every numpy chunk
        return None
    from model.cells import gru, lstm, rnn

    if type(kernel) is rnn.IterationKernel:
        from model.compiled.runner import CompiledRNN

        return CompiledRNN(kernel).run_chunk
    if type(kernel) in (lstm.IterationKernel, gru.IterationKernel) and not _active.gated_note:
        from model.compiled.gated_runner import CompiledGated

        return CompiledGated(kernel).run_chunk  # type: ignore[arg-type]
    return None


def warm_up(cell: str = "rnn") -> None:
    """Load the compiled loop of `cell` now (numba's cache, some 0.2 s), if it trains
    that cell here, so the first training does not pay for it."""
    if not compiled_for(cell):
        return
    from model.config import RNNConfig
    from model.trainer import train

    train(Network(RNNConfig(cell=cell, hidden=1)), 2)


# -- the self-check ---------------------------------------------------------------------


def compiled_problems(state_dir: str | None = None) -> tuple[str, str]:
    """Why the compiled kernel cannot be used here, and why not for the LSTM and GRU
    ("" when it can), checked once per machine and set of versions."""
    try:
        import llvmlite
        import numba
    except ImportError as err:
        if getattr(err, "name", None) in ("numba", "llvmlite"):
            problem = f"numba is not installed ({INSTALL_HINT})"
        else:
            problem = f"numba cannot be imported: {_one_line(err)}"
        return problem, problem
    except Exception as err:  # a broken installation raises all sorts
        problem = f"numba cannot be imported: {_one_line(err)}"
        return problem, problem
    key = _verdict_key(numba.__version__, llvmlite.__version__)
    path = Path(state_dir or _verdict_dir()) / VERDICT_FILE
    cached = _read_verdict(path, key)
    if cached is not None:
        return cached
    problem = self_check()
    gated_problem = problem or gated_self_check()
    _write_verdict(path, key, problem, gated_problem)
    # The checks compiled for seconds, leaving some 375,000 objects of garbage in cycles:
    # freed now, for a caller may hold the collector off while it loads (tui/start_up.py)
    # and would keep them for good (once per machine and set of versions: 0.1 s is nothing)
    gc.collect()
    return problem, gated_problem


def self_check() -> str:
    """Train SELF_CHECK_RUNS of the RNN with both kernels; "" when every bit agrees, else
    the reason."""
    return _check(("rnn",), SELF_CHECK_RUNS)


def gated_self_check() -> str:
    """The same for GATED_SELF_CHECK_RUNS of the LSTM and of the GRU."""
    return _check(GATED, GATED_SELF_CHECK_RUNS)


def _check(cells: tuple[str, ...], runs: tuple[SelfCheckRun, ...]) -> str:
    try:
        from model.compiled.native import NativeUnavailable

        _runner_class(cells[0])  # loads the compiled loop
    except Exception as err:
        return f"the compiled kernel cannot be loaded: {_one_line(err)}"
    try:
        for cell in cells:
            for hidden, bits, alpha, init, iterations in runs:
                if not _same_run(cell, hidden, bits, alpha, init, iterations):
                    title = "" if cell == "rnn" else f"the {cell.upper()}, "
                    return (
                        f"it differs from the numpy kernel on this machine ({title}hidden "
                        f"{hidden}, {bits} bits, alpha {alpha:g})"
                    )
    except NativeUnavailable as err:
        return str(err)
    except Exception as err:  # a compile error, a missing symbol: never fatal
        return f"its self-check failed: {_one_line(err)}"
    return ""


def _runner_class(cell: str) -> Any:
    if cell == "rnn":
        from model.compiled.runner import CompiledRNN

        return CompiledRNN
    from model.compiled.gated_runner import CompiledGated

    return CompiledGated


def _same_run(
    cell: str, hidden: int, bits: int, alpha: float, init: tuple[float, float], count: int
) -> bool:
    """One run trained by both kernels: the same bits in the weights, every iteration's
    error, the last update and the random stream?"""
    from model.cells import cell_module
    from model.config import RNNConfig
    from model.encoding import problem_bits
    from model.network import Network

    config = RNNConfig(cell=cell, seed=1, hidden=hidden, bits=bits, alpha=alpha, init=init)
    by_numpy, by_compiled = Network(config), Network(config)
    kernel_class = cell_module(cell).IterationKernel
    numpy_kernel = kernel_class(hidden, bits)
    runner = _runner_class(cell)(kernel_class(hidden, bits))
    with np.errstate(all="ignore"):
        a, b = by_numpy.draw_examples(count)
        X, Y = problem_bits(a, b, bits)
        expected = np.array([numpy_kernel.run(by_numpy, X[i], Y[i]) for i in range(count)])
        errors = []
        for start in range(0, count, 97):  # several chunks, an uneven last one
            a, b = by_compiled.draw_examples(min(97, count - start))
            X, Y = problem_bits(a, b, bits)
            errors.append(runner.run_chunk(by_compiled, X, Y)[0])
    return (
        by_numpy.params.tobytes() == by_compiled.params.tobytes()
        and expected.tobytes() == np.concatenate(errors).tobytes()
        and numpy_kernel.last_update.tobytes() == runner.kernel.last_update.tobytes()
        and by_numpy.iteration == by_compiled.iteration
        and by_numpy.rng.randint(2**31) == by_compiled.rng.randint(2**31)
        and _keys(by_numpy) == _keys(by_compiled)
    )


def _keys(net: Network) -> bytes:
    state = net.rng_state()
    return bytes(state[1].tobytes()) + repr(state[2:]).encode()


# -- the cached verdict -----------------------------------------------------------------


def _verdict_dir() -> str:
    """Beside numba's cache of the compiled loop, when this installation lets us write."""
    cache = Path(__file__).resolve().parent / "compiled" / "__pycache__"
    try:
        cache.mkdir(exist_ok=True)
    except OSError:
        return _state_dir()
    return str(cache) if os.access(cache, os.W_OK) else _state_dir()


def _state_dir() -> str:
    state = os.environ.get("XDG_STATE_HOME", "")
    if not state or not os.path.isabs(state):  # the XDG rule: relative values are ignored
        state = os.path.join(os.path.expanduser("~"), ".local", "state")
    return os.path.join(state, "rnn-tui")


def _verdict_key(numba_version: str, llvmlite_version: str) -> str:
    """What the bits depend on: versions, the CPU features numpy dispatches on, the code."""
    import importlib

    extension = importlib.import_module("numpy._core._multiarray_umath")
    features = getattr(extension, "__cpu_features__", {})
    here = Path(__file__).resolve().parent
    sources = [
        *(here / "cells" / name for name in ("rnn.py", "gated.py", "lstm.py", "gru.py")),
        *sorted((here / "compiled").glob("*.py")),
        here / "params.py",  # the parameters' layout, which the compiled loops assume
        here / "ordered_sum.py",  # how the numpy RNN kernel sums at large sizes
        Path(__file__),
    ]
    digest = hashlib.sha256()
    for part in (
        np.__version__,
        numba_version,
        llvmlite_version,
        platform.machine(),
        ",".join(sorted(name for name, on in features.items() if on)),
        *(source.read_bytes().hex() for source in sources),
    ):
        digest.update(part.encode() + b"\0")
    return digest.hexdigest()


def _read_verdict(path: Path, key: str) -> tuple[str, str] | None:
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(saved, dict) or saved.get("key") != key:
        return None
    problem, gated = saved.get("problem"), saved.get("gated")
    if not isinstance(problem, str) or not isinstance(gated, str):
        return None
    return problem, gated


def _write_verdict(path: Path, key: str, problem: str, gated: str) -> None:
    """Atomically (a temporary file renamed over it); where we cannot write, we check again
    next time. (Not tempfile.mkstemp: the save tests count its calls.)"""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({"key": key, "problem": problem, "gated": gated}, handle)
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)


def _one_line(err: BaseException) -> str:
    text = " ".join(str(err).split())
    return f"{type(err).__name__}: {text}"[:200]
