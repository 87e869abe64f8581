"""At 80x24 the code panel shows each cell's forward pass down to its new h.

The GRU's code took ten lines and the panel has room for six below the example's numbers:
the bias of n and the line that makes h were cut off."""

from __future__ import annotations

import pytest
from screen import screen_text

from model.config import RNNConfig
from model.network import RNN
from tui.app import RNNApp

LAST_FORWARD_LINE = {"gru": "h = (1-z)*n + z*h_prev", "lstm": "h = o*tanh(c)"}


@pytest.mark.parametrize("cell", ["gru", "lstm"])
async def test_the_forward_code_is_whole_down_to_h(cell: str) -> None:
    app = RNNApp(RNN(RNNConfig(cell=cell)))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("n", "n")
        await pilot.pause()
        text = screen_text(app)
        assert LAST_FORWARD_LINE[cell] in text, text
        if cell == "gru":
            assert "+ bias[n])" in text and "+ h_prev@synapse_h + bias)" in text


async def test_a_gated_cells_cut_code_says_how_many_lines_are_left_out() -> None:
    from screen import OneWidget, screen_lines

    from model.config import RNNConfig
    from model.network import RNN
    from model.stepper import Stepper
    from tui.widgets.phase import PhasePanel

    stepper = Stepper(RNN(RNNConfig(cell="lstm")))
    for _ in range(10):  # the forward pass, then backward t=7 and t=6
        stepper.step()
    app = OneWidget(PhasePanel())
    async with app.run_test(size=(28, 8)) as pilot:
        app.query_one(PhasePanel).show(stepper.snapshot())
        await pilot.pause()
        lines = [line.rstrip() for line in screen_lines(app)]
        assert lines[-1].endswith("more (taller screen)") and lines[-1].split()[1].isdigit()
