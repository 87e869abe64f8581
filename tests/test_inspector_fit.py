"""The inspector (`i`) fits 80x24: its heatmap's title is whole, and its statement wraps
only at spaces and operators, never inside a number or a name (statement_wrap.py).

Read off the screen, by real keys, for the RNN, the LSTM and the GRU, forward and
backward, over every state and gate `v` shows: every number and every name of the
statement (as the panel holds it, unwrapped) is on one row of the screen, whole.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest
from rich.text import Text
from screen import screen_lines, workers_done
from textual.pilot import Pilot

from model.config import RNNConfig
from model.network import RNN
from tui.app import RNNApp
from tui.screens.inspect import InspectScreen
from tui.widgets.inspector import InspectorPanel
from tui.widgets.statement_wrap import break_points, wrap_statement

# a name with its indexes (synapse_h.T[:,2], layer_1[t=3][h2]) or a number (-0.4112, 1e-05)
# (with its sign: a minus after no term), as the panel holds it and as the screen shows it
TOKEN = re.compile(
    r"[A-Za-z_]\w*(?:\.T)?(?:\[[^\]\s]*\])*|(?:(?<![\w)\]])-)?\d+(?:\.\d+)?(?:e[-+]\d+)?"
)
BORDER = "▏"  # the panel's left border: the statement is right of it


def tokens(text: str) -> Counter[str]:
    return Counter(TOKEN.findall(text))


def statement_rows(app: RNNApp) -> list[str]:
    """The statement panel's rows on screen (the rows below the status line)."""
    rows = [line.split(BORDER, 1)[1] for line in screen_lines(app)[1:-1] if BORDER in line]
    while rows and not rows[-1].strip():
        rows.pop()
    return [row.strip() for row in rows]


def check_fits(app: RNNApp, seen: set[str]) -> None:
    screen = app.screen
    assert isinstance(screen, InspectScreen)
    snap = app.session.view()
    title = screen_lines(app)[1].split(BORDER, 1)[0]
    assert snap.phase_label in title, f"title cut: {title!r}"
    statement = screen.query_one(InspectorPanel).text
    rows = statement_rows(app)
    on_screen: Counter[str] = Counter()
    for row in rows:
        on_screen += tokens(row)
    # every token whole on some row; a split one would show as two other tokens (a sign
    # parted from its number too: -0.1376 would show as 0.1376)
    assert on_screen == tokens(statement), f"{statement!r}\n---\n" + "\n".join(rows)
    seen.add(statement.splitlines()[0])


async def settle(pilot: Pilot) -> None:
    await workers_done(pilot.app)
    await pilot.pause()


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
async def test_the_inspector_fits_80x24_and_wraps_between_tokens(cell: str) -> None:
    app = RNNApp(RNN(RNNConfig(cell=cell)))
    states = len(app.session.net.info.states)
    seen: set[str] = set()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f", "enter", "n", "n", "n")  # iteration 1, forward t=2
        await settle(pilot)
        await pilot.press("i")
        await pilot.pause()
        for keys in (["down"], ["f"], ["n"], ["n", "left"], ["n", "n", "up"]):
            await pilot.press(*keys)  # forward, the pass done, then backward
            await settle(pilot)
            for _ in range(states):  # every state and gate of the cell
                check_fits(app, seen)
                await pilot.press("v")
                await pilot.pause()
        assert any(line.startswith(("layer_1_delta", "d")) for line in seen), seen
        assert len(seen) >= 4


def test_breaks_are_at_spaces_and_operators_only() -> None:
    line = "= (1 - 0.41)×-0.58 = 1.2e-05 l*(1-l) x·s[:,2]"
    starts = [line[p : p + 3] for p in break_points(line)]
    # after spaces, ×, *, · and the minus of 1-l; not after the sign of -0.58, nor in 1.2e-05
    assert starts == ["(1 ", "- 0", "0.4", "-0.", "= 1", "1.2", "l*(", "(1-", "l) ", "x·s", "s[:"]
    long = "layer_2_delta = (y - layer_2)*layer_2*(1-layer_2) = (1 - 0.4112)×0.4112×-0.5888"
    for width in range(len("layer_2_delta"), len(long) + 2):
        rows = [row.plain for row in wrap_statement(Text(long, "bold"), width)]
        assert all(len(row) <= width for row in rows), (width, rows)
        assert sum((tokens(row) for row in rows), Counter()) == tokens(long), (width, rows)
    assert wrap_statement(Text("x" * 30), 12)[0].plain == "x" * 12  # no place: cut
