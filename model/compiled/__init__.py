"""The optional compiled kernel (the `fast` extra, numba): the tutorial's RNN iteration
compiled, bit-identical to model/cells/rnn.py because every floating-point sum is made
by the very routine numpy uses for it (its own BLAS, its own float64 `exp` loop).

`native` finds those routines in the loaded numpy (ctypes only, no numba);
`rnn_loop` is the compiled training loop (imports numba); model/kernel_choice.py
decides, once per machine, whether the compiled kernel may be used.
"""
