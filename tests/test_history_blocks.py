"""ErrorHistory's blocks when the history starts between two block boundaries (a run
resumed at an iteration like 12,345), and the curve drawn from its cached block means."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from model.checkpoint import read_checkpoint, save_checkpoint
from model.config import RNNConfig
from model.history import BLOCK, BlockMissing, ErrorHistory, bucket_means
from model.network import Network


def _filled(start: int, count: int) -> ErrorHistory:
    history = ErrorHistory(start)
    history.extend([((i * 7919) % 1000) / 997 for i in range(count)])
    return history


@pytest.mark.parametrize("start", [0, 37, 100, 12_345])
def test_a_saved_history_loads_back_whatever_its_start(start: int) -> None:
    history = _filled(start, 30_263)
    saved = history.to_arrays()
    loaded = ErrorHistory.from_arrays(
        start, history.end, saved["error_blocks"], saved["error_recent"], 8
    )
    assert loaded.blocks == history.blocks
    assert loaded.view(40) == history.view(40)


@pytest.mark.parametrize("start", [37, 12_345])
def test_truncating_at_the_end_keeps_every_complete_block(start: int) -> None:
    history = _filled(start, 263)
    blocks = list(history.blocks)
    assert len(blocks) == (history.end // BLOCK) - (start // BLOCK)
    assert history.truncate(history.end)
    assert history.blocks == blocks


def test_the_curve_after_going_back_and_on_again_is_the_fresh_runs() -> None:
    errors = [((i * 31) % 101) / 50 for i in range(50_000)]
    history = ErrorHistory(37)
    history.extend(errors)
    history.view(40)  # the block means are cached up to iteration 50,037
    assert history.truncate(20_000)  # a block boundary: nothing to rebuild
    kept = 20_000 - 37
    other_future = [e + 1 for e in errors[kept:]]
    history.extend(other_future)
    fresh = ErrorHistory(37)
    fresh.extend(errors[:kept] + other_future)
    assert history.blocks == fresh.blocks
    for width in (40, 77):
        assert history.view(width) == fresh.view(width)


def test_bucket_means_split_as_documented() -> None:
    values = [float(v) for v in range(10)]
    assert bucket_means(values, 3) == [1.0, 4.0, 7.5]  # 0-2, 3-5, 6-9
    assert bucket_means(values, 20) == values
    assert bucket_means(np.arange(4.0), 2) == [0.5, 2.5]
    assert bucket_means(values, 0) == []


def test_a_file_whose_history_lost_a_block_going_back_loads_without_its_curve(
    tmp_path: Path,
) -> None:
    # written before 2026-12-03: going back in a run that started at 12,345 dropped one
    # block too many; the weights and the rest of the file are sound
    net = Network(RNNConfig(seed=3))
    net.iteration = 12_345 + 263
    history = _filled(12_345, 263)
    history.blocks.pop()
    path = tmp_path / "old.npz"
    arrays = history.to_arrays()
    with pytest.raises(BlockMissing):
        ErrorHistory.from_arrays(
            12_345, net.iteration, arrays["error_blocks"], arrays["error_recent"], 8
        )
    save_checkpoint(path, net)
    with np.load(path) as saved:
        members = dict(saved)
    np.savez(path, **members, **arrays)
    loaded = read_checkpoint(path)
    assert loaded.errors is None
    assert np.array_equal(loaded.net.params, net.params)
    assert loaded.net.iteration == net.iteration
