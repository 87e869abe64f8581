"""The heatmap's title rows and the carry marker never share a row.

With the carry-like unit at h0 or h1 (the RNN's after training, often; a GRU's anti unit
at h0 for seed 0), the marker replaced the title, so nothing said which state was shown.
"""

from __future__ import annotations

import pytest
from screen import OneWidget

from model.config import RNNConfig
from model.network import Network
from model.stepper import Stepper
from tui.widgets.hidden import HiddenPanel


@pytest.mark.parametrize(("cell", "unit"), [("rnn", 0), ("rnn", 1), ("gru", 0), ("rnn", 5)])
async def test_the_title_shows_whichever_row_the_marker_is_on(cell: str, unit: int) -> None:
    stepper = Stepper(Network(RNNConfig(cell=cell)))
    for _ in range(3):
        stepper.step()
    app = OneWidget(HiddenPanel())
    async with app.run_test(size=(60, 20)) as pilot:
        panel = app.query_one(HiddenPanel)
        panel.show(stepper.snapshot())
        panel.show_carry(unit, -0.6 if cell == "gru" else 0.99)
        await pilot.pause()
        rows = str(panel.render()).splitlines()
        marker = "anti r=-0.60" if cell == "gru" else "carry r=+0.99"
        assert marker in rows[unit] and rows[unit].startswith(f"h{unit} ")
        title = "layer_1" if cell == "rnn" else "h hidden"
        assert sum(title in row for row in rows) == 1, rows[:4]
        assert title not in rows[unit]
        if cell == "rnn":
            assert sum("hidden units" in row for row in rows) == 1


@pytest.mark.parametrize(("cell", "state"), [("lstm", "i"), ("lstm", "c"), ("gru", "z")])
async def test_rows_are_named_after_what_is_drawn(cell: str, state: str) -> None:
    stepper = Stepper(Network(RNNConfig(cell=cell)))
    app = OneWidget(HiddenPanel())
    async with app.run_test(size=(60, 20)) as pilot:
        panel = app.query_one(HiddenPanel)
        panel.show(stepper.snapshot(), state)
        await pilot.pause()
        before = str(panel.render())
        assert "max |" not in before  # nothing computed yet: no scale to give
        for _ in range(3):
            stepper.step()
        panel.show(stepper.snapshot(), state)
        await pilot.pause()
        rows = str(panel.render()).splitlines()
        assert [row.split()[0] for row in rows[:16]] == [f"{state}{k}" for k in range(16)]
        if state == "c":  # signed: the scale of what has been computed
            assert any("max |c|" in row for row in rows)


def test_a_signed_cell_of_exactly_zero_has_no_sign() -> None:
    """The LSTM's h is exactly 0 where x = [0, 0] at t = 0: it was drawn "+··"."""
    from tui.widgets.grid import BitGrid
    from tui.widgets.hidden import HiddenPanel

    grid = BitGrid(8, 48)  # the heatmap's width at 80x24
    assert grid.cell > 1
    cell = HiddenPanel._cell  # a staticmethod: what one heatmap cell draws
    assert cell(grid, (0.0,), 0, True, 1.0, False).plain[0] == " "
    assert cell(grid, (-0.0,), 0, True, 1.0, False).plain[0] == " "
    assert cell(grid, (0.25,), 0, True, 1.0, False).plain[0] == "+"
    assert cell(grid, (-0.25,), 0, True, 1.0, False).plain[0] == "-"
