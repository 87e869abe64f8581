"""What loading a file costs, counted rather than timed: peak Python memory and the bytes
zlib inflated. Both are the same on every machine, so a bomb refused late fails here
whatever the machine's speed; the seconds are kept for the figures only."""

from __future__ import annotations

import time
import tracemalloc
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest

T = TypeVar("T")


@dataclass(frozen=True)
class Cost:
    peak: int  # bytes, tracemalloc's peak while loading
    inflated: int  # bytes zlib decompressed for zipfile while loading
    seconds: float  # reported, never asserted


class _CountingZlib:
    """zipfile's view of zlib, with every decompressor's output counted."""

    def __init__(self, counter: list[int]) -> None:
        self._counter = counter

    def __getattr__(self, name: str) -> Any:
        return getattr(zlib, name)

    def decompressobj(self, *args: Any, **kwargs: Any) -> Any:
        return _CountingDecompressor(zlib.decompressobj(*args, **kwargs), self._counter)


class _CountingDecompressor:
    def __init__(self, inner: Any, counter: list[int]) -> None:
        self._inner, self._counter = inner, counter

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def decompress(self, data: bytes, *args: Any) -> bytes:
        out: bytes = self._inner.decompress(data, *args)
        self._counter[0] += len(out)
        return out

    def flush(self, *args: Any) -> bytes:
        out: bytes = self._inner.flush(*args)
        self._counter[0] += len(out)
        return out


def measured(load: Callable[[], T]) -> tuple[T, Cost]:
    """Run `load()`, returning its result and what it cost."""
    inflated = [0]
    tracemalloc.start()
    began = time.perf_counter()
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(zipfile, "zlib", _CountingZlib(inflated))
            result = load()
        return result, Cost(
            tracemalloc.get_traced_memory()[1], inflated[0], time.perf_counter() - began
        )
    finally:
        tracemalloc.stop()
