"""Notifications that arrive quickly do not pile up over the panels (tui/app.py MAX_TOASTS).

Each of v (on an RNN), ] and [ says something in a toast; pressed in a burst, the toasts
stacked up the right half of the screen, over the heatmap's labels, the status and the
code panel. At most MAX_TOASTS are shown, the newest.
"""

from __future__ import annotations

import pytest
from screen import PacedTraining, screen_lines, screen_text, workers_done
from textual.widgets._toast import Toast

from model.config import RNNConfig
from model.network import RNN
from tui.app import MAX_TOASTS, RNNApp
from tui.screens.main import MainScreen

BURST = ["v", "right_square_bracket", "left_square_bracket"] * 3  # nine messages


def toasts(app: RNNApp) -> list[str]:
    return [str(toast._notification.message) for toast in app.screen.query(Toast)]


async def test_a_burst_of_messages_shows_only_the_newest() -> None:
    assert MAX_TOASTS == 2
    app = RNNApp(RNN(RNNConfig()))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.press(*BURST)
        await pilot.pause()
        await pilot.pause()  # the toast rack mounts its toasts after the notification
        shown = toasts(app)
        # the last ] and [, newest last (the older of them may have timed out on a slow
        # machine: a toast of alpha stays 2 s)
        assert shown in (["alpha = 0.2", "alpha = 0.1"], ["alpha = 0.1"])
        assert [str(n.message) for n in app._notifications] == shown
        edges = [line for line in screen_lines(app) if "▌" in line]
        assert 0 < len(edges) <= 3 * MAX_TOASTS  # each toast is a few rows tall
        assert "one state, layer_1" not in screen_text(app)  # the older v's toast has gone
        assert app.session.net.alpha == 0.1  # every key acted


async def test_the_newest_of_keys_and_refusals_is_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    # While a training thread keeps the CPU busy, each Pilot press and pause waits up to 1 s
    # for the process to go idle, longer than a 3 s toast lives after a few of them: the
    # toasts here live a minute, so what is shown depends on the limit alone, not on speed.
    say = MainScreen._say

    def say_for_a_minute(self: MainScreen, message: str, **options: object) -> None:
        say(self, message, severity=str(options.get("severity", "information")), timeout=60)

    monkeypatch.setattr(MainScreen, "_say", say_for_a_minute)
    paced = PacedTraining(monkeypatch)
    app = RNNApp(RNN(RNNConfig()))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        for _ in range(3):  # prompts opened and cancelled, and a message each round
            await pilot.press("s", "escape", "l", "escape", "v", "right_square_bracket")
        await pilot.press("plus", "plus", "t")
        await paced.take(pilot)  # held at its first frame: still training
        await pilot.press("s")  # saving refused while training
        await pilot.pause()
        await pilot.pause()
        shown = toasts(app)
        assert len(shown) == MAX_TOASTS, shown
        assert shown[-1].startswith("Training is running"), shown
        await pilot.press("escape")  # stops training
        await workers_done(app)


async def test_the_same_message_again_replaces_its_toast() -> None:
    # b pressed over and over at the start of the run: one toast saying so, not a stack
    app = RNNApp(RNN(RNNConfig()))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.press("b", "b", "b", "b")
        await pilot.pause()
        await pilot.pause()
        shown = toasts(app)
        assert len(shown) == 1 and "where the run starts" in shown[0], shown
        await pilot.press("right_square_bracket", "b")
        await pilot.pause()
        await pilot.pause()
        assert len(toasts(app)) == 2  # a different message still shows beside it
