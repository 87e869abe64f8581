"""numpy's own numeric routines as raw C addresses, for compiled code to call.

Bit-identity with the numpy kernel needs the same routine for every sum, not merely a
correct one: OpenBLAS adds a dot product's terms in SIMD lanes (not left to right), and
numpy's float64 `exp` is its own SIMD loop, which differs from libm's `exp` by one ulp on
some inputs. So the compiled kernel calls

* the BLAS routines numpy's `np.dot` calls (numpy/_core/src/common/cblasfuncs.c: dgemv,
  ddot, and daxpy for a scalar times a row), looked up through numpy's own extension
  module, so the dynamic linker resolves them exactly as it did for numpy (no second BLAS
  is ever loaded);
* numpy's float64 `exp` and `tanh` inner loops (its own SIMD code, not libm's), obtained
  through `ufunc._get_strided_loop`, the API numpy provides for this use (a loop pointer,
  its context and auxdata).

Nothing here imports numba; a missing symbol raises `NativeUnavailable` with a reason.
"""

from __future__ import annotations

import ctypes
import importlib
from dataclasses import dataclass

import numpy as np

# numpy's wheels link scipy-openblas64, whose CBLAS takes 64-bit integers and is named
# `scipy_cblas_ddot64_`; the compiled kernel passes 64-bit integers, so only such a CBLAS
# will do (a numpy built against a 32-bit-integer BLAS keeps the numpy kernel)
_BLAS_NAMES = ("scipy_cblas_{}64_", "cblas_{}64_")
_CALL_INFO = b"numpy_1.24_ufunc_call_info"


class NativeUnavailable(RuntimeError):
    """numpy's routines could not be found in this process (the reason is the message)."""


@dataclass(frozen=True)
class NativeRoutines:
    """Addresses of the C routines the compiled kernel calls, valid for this process."""

    dgemv: int  # cblas_dgemv(order, trans, m, n, alpha, A, lda, x, incx, beta, y, incy)
    ddot: int  # cblas_ddot(n, x, incx, y, incy); sizes and strides are int64
    blas_names: tuple[str, str]
    exp_loop: int  # PyArrayMethod_StridedLoop for float64 -> float64 exp
    exp_context: int  # its PyArrayMethod_Context *
    exp_auxdata: int  # its NpyAuxData * (may be 0)
    daxpy: int  # cblas_daxpy(n, alpha, x, incx, y, incy)
    tanh_loop: int  # the same three for float64 -> float64 tanh
    tanh_context: int
    tanh_auxdata: int

    def describe(self) -> str:
        return f"{self.blas_names[0]}, {self.blas_names[1]} and numpy's exp loop"

    def gated(self) -> np.ndarray:
        """The addresses the gated cells' loop takes, in model/compiled/gated_loop.py's order."""
        return np.array(
            [
                self.dgemv,
                self.ddot,
                self.daxpy,
                self.exp_loop,
                self.exp_context,
                self.exp_auxdata,
                self.tanh_loop,
                self.tanh_context,
                self.tanh_auxdata,
            ],
            dtype=np.int64,
        )


_routines: NativeRoutines | None = None
_keep_alive: list[object] = []  # a loop's capsule owns its context: never freed


def routines() -> NativeRoutines:
    """numpy's routines, looked up once per process."""
    global _routines
    if _routines is None:
        _routines = _find()
    return _routines


def _find() -> NativeRoutines:
    dgemv, ddot, daxpy, names = _blas()
    loop, context, auxdata = _unary_loop(np.exp)
    tanh = _unary_loop(np.tanh)
    return NativeRoutines(dgemv, ddot, names, loop, context, auxdata, daxpy, *tanh)


def _blas() -> tuple[int, int, int, tuple[str, str]]:
    # dlsym on numpy's own extension searches it and the libraries it was linked with,
    # in the linker's order: the very definitions numpy's calls are bound to
    try:
        extension = importlib.import_module("numpy._core._multiarray_umath")
        numpy_module = ctypes.CDLL(extension.__file__)
    except OSError as err:
        raise NativeUnavailable(f"cannot open numpy's extension module: {err}") from None
    for pattern in _BLAS_NAMES:
        names = (pattern.format("dgemv"), pattern.format("ddot"))
        wanted = (*names, pattern.format("daxpy"))
        try:
            found = [ctypes.cast(getattr(numpy_module, n), ctypes.c_void_p).value for n in wanted]
        except AttributeError:
            continue
        if all(found):
            dgemv, ddot, daxpy = (int(address or 0) for address in found)
            return dgemv, ddot, daxpy, names
    raise NativeUnavailable("numpy links no 64-bit-integer cblas_dgemv/cblas_ddot/cblas_daxpy")


def _unary_loop(ufunc: np.ufunc) -> tuple[int, int, int]:
    """numpy's float64 -> float64 inner loop of `ufunc`: (loop, context, auxdata)."""
    double, name = np.dtype(np.float64), ufunc.__name__
    try:
        _, call_info = ufunc._resolve_dtypes_and_context(  # type: ignore[attr-defined]
            (double, double)
        )
        ufunc._get_strided_loop(call_info, fixed_strides=(8, 8))  # type: ignore[attr-defined]
    except (AttributeError, TypeError, ValueError) as err:
        raise NativeUnavailable(f"numpy offers no {name} inner loop: {err}") from None
    get_pointer = ctypes.pythonapi.PyCapsule_GetPointer
    get_pointer.restype = ctypes.c_void_p
    get_pointer.argtypes = (ctypes.py_object, ctypes.c_char_p)
    address = get_pointer(call_info, _CALL_INFO)
    if not address:
        raise NativeUnavailable(f"numpy's {name} call info is not the capsule this code knows")
    # ufunc_call_info: {strided_loop, context, auxdata, bool requires_pyapi, ...}
    loop, context, auxdata = (ctypes.c_void_p * 3).from_address(address)
    requires_pyapi = ctypes.c_bool.from_address(address + 3 * ctypes.sizeof(ctypes.c_void_p))
    if not loop or not context or requires_pyapi.value:
        raise NativeUnavailable(f"numpy's {name} loop needs the Python API or is missing")
    _keep_alive.append(call_info)
    return int(loop), int(context), int(auxdata or 0)
