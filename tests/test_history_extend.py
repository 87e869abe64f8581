"""ErrorHistory.extend, the bulk path of a compiled-kernel chunk, is append after append."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from model.history import BLOCK, RECENT, ErrorHistory

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


@settings(max_examples=40, deadline=None)
@given(
    split=st.sampled_from([1, 37, 100, 5_000, 5_050, 12_345]),
    later=st.sampled_from([1, 150, 9_000, 25_001]),
)
def test_a_history_followed_by_the_rest_of_its_run_is_the_whole_history(split, later) -> None:
    errors = [((i * 7919) % 1000) / 997 for i in range(split + later)]
    whole, earlier, rest = ErrorHistory(), ErrorHistory(), ErrorHistory(split)
    whole.extend(errors)
    earlier.extend(errors[:split])
    rest.extend(errors[split:])
    joined = earlier.followed_by(rest)
    assert (joined.start, joined.end) == (0, whole.end)
    held = min(len(joined.recent), len(whole.recent))  # both the last RECENT at least
    assert held >= min(RECENT, whole.end) and joined.recent[-held:] == whole.recent[-held:]
    assert len(joined.blocks) == len(whole.blocks)
    if rest.recent_start == split or split % BLOCK == 0:  # every raw value, or blocks align
        assert joined.blocks == whole.blocks
        assert joined.view(40) == whole.view(40)
    else:  # the shared block, summed in two parts: a rounding away
        assert all(
            abs(a - b) <= 1e-12 * b for a, b in zip(joined.blocks, whole.blocks, strict=True)
        )
