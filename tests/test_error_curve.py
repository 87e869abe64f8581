"""The error sparkline spans the whole run however small the later errors are.

After a long run the network's errors are a hundredth of the first ones; rounded to bar
heights they were blanks, so at 340,000 iterations only the first 10 of 28 columns showed
anything and the curve looked as if it stopped early.
"""

from __future__ import annotations

from screen import OneWidget, workers_done

from model.config import RNNConfig
from model.history import ErrorHistory
from model.network import RNN
from tui.app import RNNApp
from tui.glyphs import current
from tui.widgets.error import ErrorPanel, spark_rows
from tui.widgets.grid import MAX_CELL, BitGrid
from tui.widgets.hidden import HiddenPanel


def test_small_errors_are_the_lowest_bar_not_blanks() -> None:
    history = ErrorHistory()
    history.extend([4.0] * 30_000 + [0.01] * 310_000)  # learned at 30k of 340k
    curve = history.view(28).curve
    assert len(curve) == 28
    rows = spark_rows(curve, 4, max(curve))
    blank = current().bars[0]
    assert all(column != blank for column in rows[-1]), rows[-1]  # every column drawn
    assert rows[0][0] != blank and rows[0][-1] == blank  # the tall start, the low end


def test_no_value_is_still_a_blank() -> None:
    blank = current().bars[0]
    assert spark_rows([float("nan"), 0.0, 1.0], 2, 1.0)[-1][:2] == blank * 2


async def test_the_span_of_a_long_run_fits_the_title_at_80x24() -> None:
    app = OneWidget(ErrorPanel())
    async with app.run_test(size=(28, 9)) as pilot:
        panel = app.query_one(ErrorPanel)
        for first, end in ((0, 1_000), (0, 202_003), (340_584, 1_355_883)):
            history = ErrorHistory(first)
            history.extend([1.0] * (end - first))
            panel.show(history.view(28))
            await pilot.pause()
            title = str(panel.render().split()[0])
            assert f"{end:,}" in title and len(title) <= 28, title
            assert title.startswith("overallError")


async def test_the_curve_is_drawn_between_its_lowest_and_highest_columns() -> None:
    app = OneWidget(ErrorPanel())
    async with app.run_test(size=(28, 9)) as pilot:
        history = ErrorHistory()
        history.extend([3.4 + 0.6 * ((i // 10) % 2) for i in range(230)])  # 3.4, 4.0 by tens
        panel = app.query_one(ErrorPanel)
        panel.show(history.view(panel.curve_width()))
        await pilot.pause()
        rows = [line.plain for line in panel.render().split()][1:5]
        assert rows[0].endswith(" 4.00") and rows[-1].endswith(" 3.40"), rows
        full = "█"
        assert not all(set(row[:-5].strip()) <= {full} for row in rows[1:]), rows


async def test_a_projector_wide_terminal_gives_the_curve_the_room_left() -> None:
    """At 200 columns the bit rows are at their widest cells already: the side column,
    and its error curve, take the rest (the curve stayed 37 columns wide at 200x60)."""
    widths = {}
    for size in ((120, 40), (200, 60)):
        app = RNNApp(RNN(RNNConfig()))
        async with app.run_test(size=size) as pilot:
            await workers_done(app)
            await pilot.pause()
            widths[size] = app.screen.query_one(ErrorPanel).curve_width()
            if size == (200, 60):
                hidden = app.screen.query_one(HiddenPanel)
                assert BitGrid(8, hidden.size.width).cell == MAX_CELL  # the bits lose nothing
    assert widths[(200, 60)] >= widths[(120, 40)] + 20, widths


async def test_a_resize_redraws_the_curve_at_the_new_width() -> None:
    """Idle after training, the curve kept the width it was drawn at (23 columns in a
    60-column panel at 200x60, its top label wrong) until the next key."""
    app = RNNApp(RNN(RNNConfig()))
    async with app.run_test(size=(80, 24)) as pilot:
        app.session.train(20_000)  # 200 blocks: more than either width holds
        app.main._draw()
        await workers_done(app)
        await pilot.pause()
        panel = app.screen.query_one(ErrorPanel)
        assert panel.history is not None
        narrow = len(panel.history.curve)
        assert narrow == panel.curve_width()
        for size in ((200, 60), (80, 24)):
            await pilot.resize_terminal(*size)
            for _ in range(3):
                await pilot.pause()
            assert panel.history is not None
            assert len(panel.history.curve) == panel.curve_width(), size
        assert len(panel.history.curve) == narrow
