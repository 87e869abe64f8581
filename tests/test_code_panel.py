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
