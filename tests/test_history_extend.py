"""ErrorHistory.extend, the bulk path of a compiled-kernel chunk, is append after append."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from model.history import BLOCK, ErrorHistory

SIZES = st.sampled_from([1, 2, 5, 99, 100, 101, 999, 1000, 4096, 25_000])


@settings(max_examples=60, deadline=None)
@given(start=st.sampled_from([0, 37, 100, 9_999, 123_456]), sizes=st.lists(SIZES, max_size=12))
def test_extend_keeps_the_blocks_and_the_trimming_of_single_appends(start, sizes) -> None:
    one_by_one, in_bulk = ErrorHistory(start), ErrorHistory(start)
    for k, size in enumerate(sizes):
        chunk = [((k * 7919 + i) % 1000) / 997 for i in range(size)]
        for error in chunk:
            one_by_one.append(error)
        in_bulk.extend(chunk)
        assert (in_bulk.start, in_bulk.end) == (one_by_one.start, one_by_one.end)
        assert in_bulk.blocks == one_by_one.blocks
        assert in_bulk.recent == one_by_one.recent
    # each block is its errors added in iteration order, from 0.0
    errors = [((k * 7919 + i) % 1000) / 997 for k, size in enumerate(sizes) for i in range(size)]
    want = []
    for end in range((start // BLOCK + 1) * BLOCK, start + len(errors) + 1, BLOCK):
        total = 0.0
        for value in errors[max(0, end - BLOCK - start) : end - start]:
            total += value
        want.append(total)
    assert in_bulk.blocks == want
