"""Calls from compiled code into numpy's own C routines (model/compiled/native.py finds them).

Each is a numba intrinsic: a direct call through an address passed in as an integer, so
a loop compiled once and cached on disk is valid in any process (the addresses are not
compiled in). Every array argument must be contiguous where the routine reads it with
unit stride; the caller sees to that.

numba's on-disk cache keys a compiled loop on its own file only: a change here is not
seen by a cached loop in another file until that file changes too (or its cache in
model/compiled/__pycache__ is deleted). Installed copies never change, so this matters
only while editing.
"""

from __future__ import annotations

from typing import Any

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

ROW_MAJOR, COL_MAJOR, TRANS = 101, 102, 112  # CBLAS enum values


def _data(context: Any, builder: Any, array_type: Any, value: Any) -> Any:
    return context.make_array(array_type)(context, builder, value).data


@intrinsic
def gemv(
    typingctx: Any, address: Any, order: Any, m: Any, n: Any, a: Any, lda: Any, x: Any, y: Any
) -> Any:
    """y = A.T @ x by cblas_dgemv(order, Trans, m, n, 1.0, A, lda, x, 1, 0.0, y, 1):
    A is m x n in `order` with leading dimension lda, x has m entries, y has n."""
    signature = types.void(address, order, m, n, a, lda, x, y)

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        i32, i64, double = ir.IntType(32), ir.IntType(64), ir.DoubleType()
        pointer = double.as_pointer()
        function = ir.FunctionType(
            ir.VoidType(), [i32, i32, i64, i64, double, pointer, i64, pointer, i64, double,
                            pointer, i64]
        )  # fmt: skip
        address_v, order_v, m_v, n_v, a_v, lda_v, x_v, y_v = args
        one = ir.Constant(i64, 1)
        builder.call(
            builder.inttoptr(address_v, function.as_pointer()),
            [
                builder.trunc(order_v, i32),
                ir.Constant(i32, TRANS),
                m_v,
                n_v,
                ir.Constant(double, 1.0),
                _data(context, builder, sig.args[4], a_v),
                lda_v,
                _data(context, builder, sig.args[6], x_v),
                one,
                ir.Constant(double, 0.0),
                _data(context, builder, sig.args[7], y_v),
                one,
            ],
        )
        return context.get_dummy_value()

    return signature, codegen


@intrinsic
def ddot(typingctx: Any, address: Any, n: Any, x: Any, y: Any) -> Any:
    """cblas_ddot(n, x, 1, y, 1) of two contiguous arrays."""
    signature = types.float64(address, n, x, y)

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        i64, double = ir.IntType(64), ir.DoubleType()
        pointer = double.as_pointer()
        function = ir.FunctionType(double, [i64, pointer, i64, pointer, i64])
        address_v, n_v, x_v, y_v = args
        one = ir.Constant(i64, 1)
        return builder.call(
            builder.inttoptr(address_v, function.as_pointer()),
            [
                n_v,
                _data(context, builder, sig.args[2], x_v),
                one,
                _data(context, builder, sig.args[3], y_v),
                one,
            ],
        )

    return signature, codegen


@intrinsic
def daxpy(typingctx: Any, address: Any, n: Any, alpha: Any, x: Any, y: Any) -> Any:
    """y += alpha * x by cblas_daxpy(n, alpha, x, 1, y, 1), both contiguous."""
    signature = types.void(address, n, alpha, x, y)

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        i64, double = ir.IntType(64), ir.DoubleType()
        pointer = double.as_pointer()
        function = ir.FunctionType(ir.VoidType(), [i64, double, pointer, i64, pointer, i64])
        address_v, n_v, alpha_v, x_v, y_v = args
        one = ir.Constant(i64, 1)
        builder.call(
            builder.inttoptr(address_v, function.as_pointer()),
            [
                n_v,
                alpha_v,
                _data(context, builder, sig.args[3], x_v),
                one,
                _data(context, builder, sig.args[4], y_v),
                one,
            ],
        )
        return context.get_dummy_value()

    return signature, codegen


@intrinsic
def strided_loop(
    typingctx: Any, address: Any, loop_context: Any, auxdata: Any, src: Any, dst: Any, n: Any
) -> Any:
    """A numpy unary strided loop over n contiguous float64: loop(context, data, &n,
    strides, auxdata) with data = {src, dst} and strides = {8, 8}; returns its status."""
    signature = types.int32(address, loop_context, auxdata, src, dst, n)

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        i8p, i32, i64 = ir.IntType(8).as_pointer(), ir.IntType(32), ir.IntType(64)
        function = ir.FunctionType(i32, [i8p, i8p.as_pointer(), i64.as_pointer(),
                                         i64.as_pointer(), i8p])  # fmt: skip
        address_v, context_v, auxdata_v, src_v, dst_v, n_v = args
        data = cgutils.alloca_once(builder, i8p, size=2)  # in the entry block: no growth
        dims = cgutils.alloca_once(builder, i64, size=1)
        strides = cgutils.alloca_once(builder, i64, size=2)
        src_p = builder.bitcast(_data(context, builder, sig.args[3], src_v), i8p)
        dst_p = builder.bitcast(_data(context, builder, sig.args[4], dst_v), i8p)
        builder.store(src_p, builder.gep(data, [ir.Constant(i32, 0)]))
        builder.store(dst_p, builder.gep(data, [ir.Constant(i32, 1)]))
        builder.store(n_v, dims)
        eight = ir.Constant(i64, 8)
        builder.store(eight, builder.gep(strides, [ir.Constant(i32, 0)]))
        builder.store(eight, builder.gep(strides, [ir.Constant(i32, 1)]))
        return builder.call(
            builder.inttoptr(address_v, function.as_pointer()),
            [
                builder.inttoptr(context_v, i8p),
                data,
                dims,
                strides,
                builder.inttoptr(auxdata_v, i8p),
            ],
        )

    return signature, codegen
