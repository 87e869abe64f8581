"""Projector focus (`z`) in the real App under Pilot, at 80x24 and 120x40, by real keys.

Each panel is read off the screen (the big digits decoded back with the font they were
drawn in) and compared with the session's own numbers; stepping, and training, inside
focus update what is shown.
"""

from __future__ import annotations

import re

import pytest
from screen import PacedTraining, screen_lines, screen_text, workers_done
from textual.pilot import Pilot

from model.config import RNNConfig
from model.encoding import carry_out
from model.network import RNN
from model.stepper import BACKWARD
from tui import glyphs
from tui.app import RNNApp
from tui.screens.focus import FocusScreen
from tui.screens.main import MainScreen
from tui.widgets.focus_error import FocusError
from tui.widgets.focus_font import glyph_height, read_big
from tui.widgets.focus_hidden import FocusHidden, signed_digits, two_digits, unit_of_ten
from tui.widgets.focus_sum import LABEL, FocusSum, sum_layout
from tui.widgets.hidden import STATE_TITLES

SIZES = [(80, 24), (120, 40)]
IDS = ["80x24", "120x40"]


def fresh_app() -> RNNApp:
    return RNNApp(RNN(RNNConfig()))


async def settle(pilot: Pilot) -> None:
    await workers_done(pilot.app)
    await pilot.pause()


def focus_of(app: RNNApp) -> FocusScreen:
    screen = app.screen
    assert isinstance(screen, FocusScreen)
    return screen


def big_sum_on_screen(app: RNNApp) -> str:
    """The big `a + b = pred` line as the screen shows it, decoded with its font."""
    widget = app.screen.query_one(FocusSum)
    ascii = glyphs.current().ascii
    layout = sum_layout(widget.size.width, widget.size.height, 8, widget.value, ascii)
    lines = screen_lines(app)
    verdict = next(i for i, line in enumerate(lines) if re.match(r"\s*true \d+ \+ \d+ = ", line))
    height = glyph_height(layout.sum_scale, ascii)
    start = widget.region.x + LABEL
    rows = [line[start:] for line in lines[verdict - height : verdict]]
    return read_big(rows, layout.sum_scale, ascii, gap=layout.sum_scale)


@pytest.mark.parametrize("size", SIZES, ids=IDS)
async def test_z_cycles_the_panels_then_returns_and_escape_leaves(size: tuple[int, int]) -> None:
    app = fresh_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        seen = []
        for _ in range(3):
            await pilot.press("z")
            seen.append(focus_of(app).panel)
        assert seen == ["sum", "hidden", "error"]
        await pilot.press("z")
        assert isinstance(app.screen, MainScreen)
        await pilot.press("z", "z", "escape")
        assert isinstance(app.screen, MainScreen)
        assert app.main.followers == []


@pytest.mark.parametrize("size", SIZES, ids=IDS)
async def test_the_big_sum_reads_9_plus_60_equals_1_after_eight_steps(
    size: tuple[int, int],
) -> None:
    app = fresh_app()
    async with app.run_test(size=size) as pilot:
        await pilot.press(*"n" * 8)
        await settle(pilot)
        await pilot.press("z")
        await pilot.pause()
        widget = app.screen.query_one(FocusSum)
        assert widget.value == "9 + 60 = 1"
        assert big_sum_on_screen(app) == "9 + 60 = 1"
        text = screen_text(app)
        assert "true 9 + 60 = 69" in text and "2 bits wrong" in text
        marks = next(line for line in screen_lines(app) if "✓" in line or "✗" in line)
        assert marks.count("✗") == 2 and marks.count("✓") == 6
        # the wrong bits are positions 6 and 2: MSB first, the 2nd and the 6th mark
        assert [m for m in marks if m in "✓✗"] == list("✓✗✓✓✓✗✓✓")


@pytest.mark.parametrize("size", SIZES, ids=IDS)
async def test_stepping_inside_focus_updates_the_sum(size: tuple[int, int]) -> None:
    app = fresh_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("z")
        widget = app.screen.query_one(FocusSum)
        assert widget.value == "9 + 60 = ?"
        assert big_sum_on_screen(app) == "9 + 60 = ?"
        await pilot.press("n")
        assert "forward t=0" in screen_text(app)
        await pilot.press(*"n" * 7)
        await pilot.pause()
        assert widget.value == "9 + 60 = 1"
        assert big_sum_on_screen(app) == "9 + 60 = 1"
        await pilot.press("b")  # back to forward t=6: bit 7 unknown again
        await pilot.pause()
        assert "forward t=6" in screen_text(app)
        assert widget.value == "9 + 60 = 1"  # bit 7 of the prediction was 0
        await pilot.press("enter")  # through the update, still in focus
        await settle(pilot)
        assert isinstance(app.screen, FocusScreen)
        assert app.session.net.iteration == 1
        await pilot.press("f")  # the next example's forward pass: 91 + 111
        await pilot.pause()
        predicted = app.session.view().predicted_value
        assert widget.value == f"91 + 111 = {predicted}"
        assert big_sum_on_screen(app) == f"91 + 111 = {predicted}"


def heat_rows(app: RNNApp) -> dict[str, list[str]]:
    """The hidden focus panel's rows by their label (h0.., c0.., a gate's i0.., carry): the
    cells' digits."""
    rows: dict[str, list[str]] = {}
    for line in screen_lines(app):
        words = line.split()
        unit = words and words[0][0] in "hcifogzrn" and words[0][1:].isdigit()
        if words and (unit or words[0] == "carry"):
            rows[words[0]] = words[1:]
    return rows


def digits_of(cells: list[str]) -> list[str]:
    """The two-digit values among a row's words (shades and notes dropped)."""
    return [w for w in cells if any(c.isdigit() for c in w) and w[-1].isdigit()][:8]


@pytest.mark.parametrize("size", SIZES, ids=IDS)
async def test_the_hidden_panel_shows_every_value_in_two_digits(size: tuple[int, int]) -> None:
    app = fresh_app()
    async with app.run_test(size=size) as pilot:
        await pilot.press(*"n" * 8)
        await settle(pilot)
        await pilot.press("z", "z")
        await pilot.pause()
        snap = app.session.view()
        rows = heat_rows(app)
        for unit in range(16):
            expected = []
            for t in range(7, -1, -1):
                state = snap.layer_1[t]
                assert state is not None
                expected.append(two_digits(state[unit], False).strip())
            assert digits_of(rows[f"h{unit}"]) == expected, unit
        carries = carry_out(9, 60, 8)[::-1]
        assert rows["carry"][:8] == [str(c) for c in carries]
        panel = app.screen.query_one(FocusHidden)
        assert panel.carry_unit is not None
        marked = " ".join(rows[f"h{panel.carry_unit}"])
        assert "◀ carry r=" in marked or "◀ anti r=" in marked


@pytest.mark.parametrize("size", SIZES, ids=IDS)
async def test_going_backward_in_focus_shows_signed_deltas(size: tuple[int, int]) -> None:
    app = fresh_app()
    async with app.run_test(size=size) as pilot:
        await pilot.press(*"n" * 8)
        await settle(pilot)
        await pilot.press("z", "z", "n", "n", "n")  # backward t=7, 6, 5, inside focus
        await pilot.pause()
        snap = app.session.view()
        assert snap.phase == BACKWARD and snap.timestep == 5
        text = screen_text(app)
        assert "hidden units: layer_1_delta" in text and "backward t=5" in text
        known = [v for row in snap.layer_1_delta if row is not None for v in row]
        exponent = unit_of_ten(known)
        assert f"(digits x 1e{exponent})" in text
        rows = heat_rows(app)
        for unit in (0, 7, 15):
            expected = []
            for t in (7, 6, 5):
                delta = snap.layer_1_delta[t]
                assert delta is not None
                expected.append(two_digits(delta[unit], True, exponent))
            assert digits_of(rows[f"h{unit}"]) == expected
            assert all(d[0] in "+-" for d in expected)


@pytest.mark.parametrize(
    "cell, states", [("lstm", "h c i f o g"), ("gru", "h z r n")], ids=["lstm", "gru"]
)
async def test_v_in_focus_shows_each_state_and_gate_with_its_digits(cell: str, states: str) -> None:
    app = RNNApp(RNN(RNNConfig(cell=cell)))
    info = app.session.net.info
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"n" * 8)
        await settle(pilot)
        await pilot.press("z", "z")
        assert focus_of(app).panel == "hidden"
        snap = app.session.view()
        for index, state in enumerate(states.split()):
            if index:
                await pilot.press("v")  # inside focus: the next state or gate
            await pilot.pause()
            assert isinstance(app.screen, FocusScreen) and app.session.shown_state == state
            text = screen_text(app)
            assert f"hidden units: {STATE_TITLES[state]}" in text and f"v: {states}" in text
            rows = heat_rows(app)
            letter = state  # rows named by what they draw: r0, i5, c15
            signed = state in info.signed
            for unit in (0, 5, 15):
                expected = []
                for t in range(7, -1, -1):
                    row = snap.states[state][t]
                    assert row is not None
                    expected.append(
                        signed_digits(row[unit]) if signed else two_digits(row[unit], False)
                    )
                assert digits_of(rows[f"{letter}{unit}"]) == expected, (state, unit)
                assert all(d[0] in "+-" for d in expected) == signed
        await pilot.press("v")  # back to h, then backward: the delta into h
        assert app.session.shown_state == "h"
        if cell == "lstm":
            await pilot.press("v")  # c: going backward, the delta into c
        await pilot.press("n", "n")  # backward t=7, 6
        await pilot.pause()
        snap = app.session.view()
        carried = "c" if cell == "lstm" else "h"
        assert f"hidden units: delta into {carried}" in screen_text(app)
        deltas = snap.deltas[carried]
        exponent = unit_of_ten([v for row in deltas if row is not None for v in row])
        rows = heat_rows(app)
        for unit in (0, 15):
            expected = []
            for t in (7, 6):
                row = snap.deltas[carried][t]
                assert row is not None
                expected.append(two_digits(row[unit], True, exponent))
            assert digits_of(rows[f"{carried}{unit}"])[:2] == expected  # then blanks, a note


async def test_the_learning_curve_after_training_1000_in_focus() -> None:
    app = fresh_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("z", "z", "z", "t")
        await settle(pilot)
        await pilot.pause()
        assert app.main.training is None and app.session.net.iteration == 1000
        text = screen_text(app)
        history = app.session.errors.view(10)
        assert history.last is not None
        assert f"overallError  last {history.last:.4f}" in text
        lines = screen_lines(app)
        axis = next(line for line in lines if line.strip().startswith("iter "))
        assert axis.split()[1] == "0" and axis.split()[-1] == "1,000"
        curves = app.screen.query_one(FocusError).curves
        assert curves is not None and curves.history is not None
        assert len(curves.history.curve) == 70  # the plot's width: 78 less the y axis
        top = max(max(curves.history.curve), 4.0)  # at least bits / 2
        assert any(line.strip().startswith(f"{top:.3g} ┤") for line in lines)
        assert any(line.strip().startswith("100% ┤") for line in lines)
        iteration, exact = app.session.run.accuracy[-1]
        assert iteration == 1000
        assert f"exact accuracy  {exact:.2%} at iteration 1,000" in text
        # the curve spans the chart: every column of the error's bottom row is drawn
        bottom = next(line for line in lines if line.strip().startswith("0 ┤"))
        assert " " not in bottom.split("┤", 1)[1].rstrip()


async def test_focus_follows_training_live_and_the_example_moves_on(monkeypatch) -> None:
    paced = PacedTraining(monkeypatch)
    app = fresh_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("plus", "plus", "z", "t")
        widget = app.screen.query_one(FocusSum)
        seen, iterations = set(), set()
        for _ in range(400):  # progress messages, not seconds
            await paced.take(pilot)
            await pilot.pause()
            if app.main.training is None:
                break
            first = screen_lines(app)[0]
            assert "training" in first and "of 100,000" in first
            iterations.add(first.split()[1])
            seen.add(widget.value)
            if len(seen) > 2:
                break
        assert app.main.training is not None
        assert len(seen) > 2 and len(iterations) > 2
        await pilot.press("t")  # t stops training inside focus too
        await settle(pilot)
        assert app.main.training is None
        assert isinstance(app.screen, FocusScreen)
        snap = app.session.view()
        assert widget.value.startswith(f"{snap.a} + {snap.b} = ")


async def test_focus_in_ascii_draws_only_ascii() -> None:
    glyphs.use(glyphs.ASCII)
    try:
        app = fresh_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press(*"n" * 8)
            await settle(pilot)
            for _ in range(3):
                await pilot.press("z")
                await pilot.pause()
                body = "\n".join(screen_lines(app))
                assert body.isascii(), [ch for ch in body if not ch.isascii()][:5]
            await pilot.press("z", "z")
            assert big_sum_on_screen(app) == "9 + 60 = 1"
    finally:
        glyphs.use(glyphs.UNICODE)


async def test_the_current_column_is_marked_without_colour() -> None:
    """The timestep under way is drawn in reverse video (an attribute, not a colour)."""
    app = fresh_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"n" * 3, "z")  # forward t=2
        await pilot.pause()
        strips = app.screen._compositor.render_strips()
        lines = screen_lines(app)
        header = next(i for i, line in enumerate(lines) if "t=2" in line and " t " in line)
        column = lines[header].index("t=2")
        # in every big bit row the column under "t=2" is reversed
        reversed_rows = 0
        for strip in strips[header + 1 : header + 10]:
            x = 0
            for segment in strip:
                if x <= column < x + len(segment.text) and segment.style is not None:
                    reversed_rows += bool(segment.style.reverse)
                x += len(segment.text)
        assert reversed_rows >= 6  # a's and b's three rows each


async def test_escape_in_the_focus_stops_training_first() -> None:
    app = RNNApp(RNN(RNNConfig()))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("z", "T")  # over some 10 s: under way at the next key
        await pilot.pause()
        assert app.main.training is not None
        await pilot.press("escape")  # as the refusals say: escape stops it
        await workers_done(app)
        await pilot.pause()
        assert app.main.training is None and isinstance(app.screen, FocusScreen)
        await pilot.press("escape")  # then leaves
        await pilot.pause()
        assert app.screen is app.main


async def test_the_focus_keys_fit_a_60_column_terminal() -> None:
    """At 60x20, the smallest the focus is drawn at, its footer ended in "esc Le"; below 80
    columns the keys are set one space apart."""
    app = RNNApp(RNN(RNNConfig()))
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        await pilot.press("z")  # from the enlarge message: the focus opens
        await pilot.pause()
        footer = screen_lines(app)[-1]
        assert footer.rstrip().endswith("esc Leave"), footer
        assert "i Inspect" in footer and "n Step" in footer
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert "n Step  b Back" in screen_lines(app)[-1]  # spaced out again
