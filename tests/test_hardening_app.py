"""Hardening (issue 5, item 4): random keys, training and resizes under Pilot.

A seeded explorer drives the real App with events drawn from every binding of the app
(read from RNNApp.BINDINGS, so n, space, t, escape, +, -, r, ? and the exploration keys
e, o, a, h, x, [, ], s, l, w, R, p), keys the app does not bind (letters, digits,
function keys, tab, enter, arrows, ...; never q, ctrl+c or ctrl+q, which quit, nor
ctrl+p, whose palette can quit), training bursts (t, a random wait, then escape or t),
terminal sizes from 10x5 to 250x80, and, rarely, weights poisoned with NaN or inf
(training itself cannot overflow them: the sigmoid saturates, even at alpha 1e308, so
this is the only way to reach the DIVERGED state from a test). Keys typed while a
prompt is open answer it (saves and screenshots land in a scratch folder).

After every event: the app is still running with no exception, N is within 1..100,000,
the error history is bounded, and the iteration count has not decreased unless r, R, l
or enter was pressed since the last look. After settled events (no training, workers
done), the screen agrees with the model: the status panel shows the model's iteration,
phase and N, and DIVERGED exactly when the weights are not finite; the inputs panel
shows the example under way; the error panel's range ends at the current iteration; a
terminal below 80x24 shows the enlarge message with its real size, and a bigger one
never does. Deterministic tests below pin each bug the explorer found.

Most key presses send the same Key event Pilot sends, through the same driver, but wait
only for the message queues to drain, not for the process to go idle (Pilot's 40-60 ms
a key); PILOT_SHARE of them go through Pilot itself. Timing (training progress) makes
a seed's run vary a little from run to run.

Scale: HARDENING_APP_SEEDS (default 3) explorers of HARDENING_APP_EVENTS (default 100)
events in the default run, HARDENING_APP_SLOW_SEEDS x HARDENING_APP_SLOW_EVENTS
(default 10 x 400) in the `slow` run. A failure names its seed and its last events.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
import unicodedata
import warnings
from dataclasses import dataclass, field

import numpy as np
import pytest
from hardening import Figures, figures_fixture, scaled
from screen import screen_lines, workers_done
from textual import events
from textual.keys import REPLACED_KEYS, _character_to_key, _get_unicode_name_from_key

from model.config import RNNConfig
from model.history import RECENT
from model.network import RNN
from tui.app import RNNApp
from tui.screens.main import MainScreen
from tui.screens.too_small import TooSmallScreen, smallest_for, too_small
from tui.session import TRAIN_COUNTS
from tui.widgets.error import ErrorPanel
from tui.widgets.inputs import InputsPanel
from tui.widgets.status import StatusPanel

figures = figures_fixture("app")

SEEDS = scaled("HARDENING_APP_SEEDS", 3)
EVENTS = scaled("HARDENING_APP_EVENTS", 100)
SLOW_SEEDS = scaled("HARDENING_APP_SLOW_SEEDS", 10)
SLOW_EVENTS = scaled("HARDENING_APP_SLOW_EVENTS", 400)

QUITTING = {"q", "ctrl+c", "ctrl+q", "ctrl+p"}  # quit, or the palette (which can quit)
# Every key of every binding of the app (read from the app, so new keys are covered too).
BOUND = sorted(
    {
        key.strip()
        for binding in [*RNNApp.BINDINGS, *MainScreen.BINDINGS]
        for key in binding.key.split(",")  # type: ignore[union-attr]
        if binding.action != "quit"  # type: ignore[union-attr]
    }
    - QUITTING
)
# Keys the app does not bind. No "/" or "~": typed into a save prompt they could name a
# path outside the test's folder. Letters typed into prompts make random answers.
UNBOUND = sorted(
    {
        *"abcdefghijklmnopqrstuvwxyz",
        *"ABCDEFGHIJKLMNOPSTUVWXYZ",  # no Q
        *"0123456789",
        "f1", "f2", "f5", "f10", "f12",
        "tab", "shift+tab", "enter", "backspace", "delete", "insert",
        "up", "down", "left", "right", "home", "end", "pageup", "pagedown",
        "ctrl+a", "ctrl+d", "ctrl+l", "ctrl+s", "ctrl+x", "ctrl+z",
        "comma", "full_stop", "asterisk", "exclamation_mark", "underscore",
        "equals_sign", "colon",
    }
    - set(BOUND)
    - QUITTING
)  # fmt: skip
# Keys after which the iteration count may go down: reset, a new network, undo, a step
# back, and enter (which answers the load, new-network and go-to prompts).
RESETTING = {"r", "R", "l", "enter", "u", "b", "left"}
CONFIGS = [
    {"hidden": 16, "bits": 8, "alpha": 0.1},
    {"hidden": 3, "bits": 4, "alpha": 1.0},
    {"hidden": 1, "bits": 2, "alpha": 0.1},
    {"hidden": 24, "bits": 12, "alpha": 1000.0},
]
# Pilot.press waits for the whole process to go idle (two 20 ms samples at least, longer
# while a worker computes); most presses here go the same way into the app (a Key event
# through the driver) and then only wait until every message queue is empty.
PILOT_SHARE = 0.15
SETTLE_SHARE = 0.4  # events after which the app is let settle and the screen compared
MAX_TRAINING_SECONDS = 0.3  # a run still going after this long is stopped with escape or t
ITERATION = re.compile(r"^iteration ([\d,]+)")


@dataclass
class Explorer:
    app: RNNApp
    pilot: object
    seed: int
    rng: random.Random
    figs: Figures
    log: list[str] = field(default_factory=list)
    last_iteration: int = 0
    reset_allowed: bool = False
    training_since: float | None = None
    poisoned: int = 0
    settled_checks: int = 0

    # -- reporting ------------------------------------------------------------------

    def fail(self, problem: str) -> None:
        recent = "\n  ".join(self.log[-25:])
        pytest.fail(f"seed {self.seed}, event {len(self.log)}: {problem}\nlast events:\n  {recent}")

    def expect(self, ok: bool, problem: str) -> None:
        if not ok:
            self.fail(problem)

    # -- events ---------------------------------------------------------------------

    async def press(self, key: str) -> None:
        screen = "" if not self.help_open() else f" on {type(self.app.screen).__name__}"
        self.log.append(f"press {key}{screen} (iteration {self.app.session.stepper.net.iteration})")
        if key in RESETTING:
            self.reset_allowed = True
        if self.rng.random() < PILOT_SHARE:
            await self.pilot.press(key)
        else:
            await quick_press(self.app, key)
        self.figs.count("bound key presses" if key in BOUND else "unbound key presses")

    async def event(self) -> None:
        roll = self.rng.random()
        if roll < 0.62:
            pool = BOUND if self.rng.random() < 0.6 else UNBOUND
            await self.press(self.rng.choice(pool))
        elif roll < 0.78:
            width, height = self.rng.randint(10, 250), self.rng.randint(5, 80)
            if self.rng.random() < 0.4:  # often around the 80x24 limit
                width, height = self.rng.randint(76, 84), self.rng.randint(22, 26)
            self.log.append(f"resize {width}x{height}")
            await self.pilot.resize_terminal(width, height)
            self.figs.count("resizes")
        elif roll < 0.92:
            await self.burst()
        elif roll < 0.94 and self.app.main.training is None and self.app.screen is self.app.main:
            self.poison()
            await self.press("n")  # a step redraws the status from the poisoned weights
        else:
            pause = self.rng.uniform(0, 0.05)
            self.log.append(f"pause {pause:.3f}")
            await self.pilot.pause(pause)
        await self.stop_long_training()
        self.check_always()
        if self.app.main.training is None and self.rng.random() < SETTLE_SHARE:
            await self.settle()
            self.check_screen()

    async def burst(self) -> None:
        """Start training, let it run a random moment, then stop it with escape or t."""
        self.figs.count("training bursts")
        if self.help_open():
            await self.press("escape")  # closes the help or cancels a prompt
        if self.app.main.training is None and not self.help_open():
            await self.press("t")
        wait = self.rng.uniform(0, 0.1)
        self.log.append(f"pause {wait:.3f}")
        await self.pilot.pause(wait)
        self.check_always()
        await self.press(self.rng.choice(["escape", "t"]))

    def help_open(self) -> bool:
        """Whether a screen (help, a prompt, the weights) is over the main screen (the
        enlarge screen of a terminal below 80x24 is not one: it is checked for itself)."""
        return not isinstance(self.app.screen, (MainScreen, TooSmallScreen))

    def too_small(self) -> bool:
        return any(isinstance(screen, TooSmallScreen) for screen in self.app.screen_stack)

    def poison(self) -> None:
        net = self.app.session.stepper.net
        where = self.rng.randrange(net.params.size)
        net.params[where] = self.rng.choice([np.nan, np.inf, -np.inf])
        self.poisoned += 1
        self.log.append(f"poison params[{where}]")
        self.figs.count("weights poisoned with NaN/inf")

    async def stop_long_training(self) -> None:
        app = self.app
        if app.main.training is None:
            self.training_since = None
            return
        now = time.monotonic()
        if self.training_since is None:
            self.training_since = now
            return
        if now - self.training_since < MAX_TRAINING_SECONDS:
            return
        if self.too_small():  # below 80x24 keys do nothing: the terminal is enlarged first
            self.log.append("resize 80x24")
            await self.pilot.resize_terminal(80, 24)
            await self.pilot.pause()
        for _ in range(50):
            if app.main.training is None:
                break
            if self.help_open():
                await self.press("escape")  # closes the help or a prompt first
            await self.press(self.rng.choice(["escape", "t"]))
            await self.pilot.pause(0.05)
        self.expect(
            app.main.training is None,
            "training could not be stopped: app.main.training stays set although no worker runs "
            "(see test_a_quick_double_press_does_not_leave_training_stuck)",
        )
        self.training_since = None

    async def settle(self) -> None:
        await workers_done(self.app)
        await self.pilot.pause()
        if self.app.main.training is None and not self.app.main._reset_when_stopped:
            # every reset asked for has happened: from here the count may only grow
            self.check_iteration()
            self.reset_allowed = False

    # -- invariants -----------------------------------------------------------------

    def check_iteration(self) -> None:
        now = self.app.session.stepper.net.iteration
        if now < self.last_iteration:
            self.expect(
                self.reset_allowed,
                f"iteration went from {self.last_iteration} to {now} without r",
            )
            self.figs.count("resets seen")
        self.last_iteration = now

    def check_always(self) -> None:
        app = self.app
        self.expect(app.is_running, "the app stopped")
        self.expect(app._exception is None, f"the app raised {app._exception!r}")
        self.expect(app.return_code is None, f"the app exited with {app.return_code}")
        self.expect(TRAIN_COUNTS[0] <= app.session.train_count <= TRAIN_COUNTS[1], "N out of range")
        self.expect(len(app.session.errors.recent) <= 2 * RECENT, "error history unbounded")
        self.check_iteration()
        self.figs.count("invariant checks")

    def check_screen(self) -> None:
        app = self.app
        self.expect(app.main.training is None, "settled but still training")
        if self.help_open():
            shown = "".join(screen_lines(app)).strip()
            self.expect(bool(shown), f"{type(app.screen).__name__} is blank")
            self.figs.count(f"screen checks on {type(app.screen).__name__}")
            return
        app.clear_notifications()  # toasts may cover the status panel
        width, height = app.size.width, app.size.height
        lines = screen_lines(app)
        text = "\n".join(lines)
        smallest = smallest_for(app.screen_stack)  # 80x24; 60x20 over the focus
        if too_small(width, height, smallest):
            words = " ".join(text.split())  # the message wraps in narrow terminals
            least = f"{smallest[0]}x{smallest[1]}"
            message = f"Enlarge the terminal to at least {least} (now {width}x{height})"
            if width >= 13 and height >= 6:
                self.expect(message in words, f"no enlarge message at {width}x{height}: {words}")
            else:  # too small for the whole sentence: at least its start
                self.expect(words.startswith("Enlarge"), f"blank at {width}x{height}")
            self.figs.count("screen checks below 80x24")
            self.settled_checks += 1
            return
        self.expect(
            "Enlarge the terminal" not in text, f"enlarge message at {width}x{height}: {text[:80]}"
        )
        # the stepper on show: the user's own sum (a probe) if there is one
        shown_snapshot = app.session.view()
        net = app.session.net
        status = panel_lines(app, lines, StatusPanel)
        found = ITERATION.match(status[0]) if status else None
        self.expect(found is not None, f"no iteration line in the status panel: {status}")
        shown = int(found.group(1).replace(",", ""))
        # during an update the iteration on show is the one updated, already counted
        on_show = shown_snapshot.example_iteration
        self.expect(
            shown == on_show and shown_snapshot.iteration == net.iteration,
            f"screen shows iteration {shown}, model {net.iteration}",
        )
        self.expect(
            ("DIVERGED" in status[0]) == (not net.is_finite()),
            f"finite={net.is_finite()} but status line is {status[0]!r}",
        )
        label = shown_snapshot.phase_label
        phase = status[1].split()
        self.expect(
            phase[0] == "phase" and " ".join(phase[1:]).endswith(label), f"{status[1]!r} vs {label}"
        )
        self.expect(
            status[3].startswith(f"N {app.session.train_count:,} "),
            f"{status[3]!r} vs N {app.session.train_count}",
        )
        inputs = panel_lines(app, lines, InputsPanel)
        for line, value in zip(inputs[1:3], (shown_snapshot.a, shown_snapshot.b), strict=True):
            words = line.split()
            self.expect(
                words[1] == str(value)
                and "".join(words[2:]).startswith(format(value, f"0{net.bits}b")),
                f"inputs row {line!r} does not show {value}",
            )
        error = panel_lines(app, lines, ErrorPanel)
        found = re.search(r"it ([\d,]+) \.\. ([\d,]+)", error[0]) if error else None
        if found and app.session.errors:
            now = f"{app.session.stepper.net.iteration:,}"
            clipped = found.end() == len(error[0])  # the number may run past the panel
            self.expect(
                found.group(2) == now or (clipped and now.startswith(found.group(2))),
                f"error panel ends at {found.group(2)}, not {now}",
            )
        self.settled_checks += 1
        self.figs.count("screen checks against the model")


async def quick_press(app: RNNApp, key: str) -> None:
    """Send `key` as Pilot does (same Key event, same driver), then drain the queues."""
    if len(key) == 1 and not key.isalnum():
        key = _character_to_key(key)
    original = REPLACED_KEYS.get(key, key)
    try:
        char: str | None = unicodedata.lookup(_get_unicode_name_from_key(original))
    except KeyError:
        char = key if len(key) == 1 else None
    event = events.Key(key, char)
    event.set_sender(app)
    app._driver.send_message(event)  # type: ignore[union-attr]
    await drain(app)


async def drain(app: RNNApp, quiet_rounds: int = 3, limit: int = 5000) -> None:
    """Yield to the event loop until no message queue of the app has anything in it."""
    quiet = 0
    for _ in range(limit):
        await asyncio.sleep(0)
        pumps = [app, *app.screen.walk_children(with_self=True)]
        if all(pump._message_queue.empty() for pump in pumps):
            quiet += 1
            if quiet >= quiet_rounds:
                return
        else:
            quiet = 0


def panel_lines(app: RNNApp, lines: list[str], kind: type) -> list[str]:
    region = app.query_one(kind).region
    return [
        lines[y][region.x : region.x + region.width]
        for y in range(region.y, min(region.y + region.height, len(lines)))
    ]


@pytest.fixture(autouse=True)
def in_scratch_folder(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Screenshots (p) and saves (s) go to the current folder: keep them out of the repo."""
    monkeypatch.chdir(tmp_path)


async def explore(seed: int, events: int, figs: Figures) -> None:
    rng = random.Random(seed)
    config = dict(rng.choice(CONFIGS), seed=seed)
    width, height = rng.choice([(80, 24), (120, 40), (rng.randint(10, 250), rng.randint(5, 80))])
    app = RNNApp(RNN(RNNConfig(**config)))  # type: ignore[arg-type]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        await _explore(app, rng, seed, events, figs, (width, height), config)
    # Only poisoned (NaN/inf) weights may make numpy warn; counted here, and checked on
    # their own in test_poisoned_weights_never_warn.
    messages = sorted({f"{w.filename}:{w.lineno}: {w.message}" for w in caught})
    figs.count("numpy warnings (after poisoning)", len(caught))
    for message in messages:
        figs.note(f"seed {seed} warned: {message}")
    assert not caught or app_poisoned[seed], f"seed {seed}: warnings {messages}"


app_poisoned: dict[int, bool] = {}


async def _explore(app, rng, seed, events, figs, size, config) -> None:
    width, height = size
    async with app.run_test(size=(width, height)) as pilot:
        explorer = Explorer(app, pilot, seed, rng, figs)
        explorer.log.append(f"start {config} at {width}x{height}")
        for _ in range(rng.choice([2, 3])):  # N = 10 or 1: training runs stay short
            await explorer.press("minus")
        for _ in range(events):
            await explorer.event()
        await explorer.stop_long_training()
        await explorer.settle()
        explorer.check_always()
        explorer.check_screen()
        # the divergence (if any) is resettable
        if not app.session.stepper.net.is_finite():
            if explorer.too_small():  # keys do nothing below 80x24
                await pilot.resize_terminal(80, 24)
                await pilot.pause()
            for _ in range(5):
                if explorer.help_open():
                    await explorer.press("escape")
            await explorer.press("r")
            await explorer.settle()
            explorer.expect(app.session.stepper.net.is_finite(), "r did not clear the divergence")
            explorer.check_screen()
        app_poisoned[seed] = explorer.poisoned > 0
        figs.count("events", events)
        figs.note(
            f"seed {seed}: {config}, {events} events, {explorer.settled_checks} settled "
            f"checks, {explorer.poisoned} poisonings, final iteration "
            f"{app.session.stepper.net.iteration:,}"
        )


@pytest.mark.parametrize("seed", range(SEEDS))
async def test_random_keys_training_and_resizes(seed: int, figures: Figures) -> None:
    await explore(seed, EVENTS, figures)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(100, 100 + SLOW_SEEDS))
async def test_random_keys_training_and_resizes_many(seed: int, figures: Figures) -> None:
    await explore(seed, SLOW_EVENTS, figures)


async def test_divergence_is_shown_and_reset_clears_it(figures: Figures) -> None:
    app = RNNApp(RNN(RNNConfig()))
    async with app.run_test(size=(80, 24)) as pilot:
        explorer = Explorer(app, pilot, -1, random.Random(0), figures)
        app.session.stepper.net.synapse_h[3, 4] = np.nan
        explorer.log.append("synapse_h[3, 4] = nan")
        await explorer.press("n")
        await explorer.settle()
        explorer.check_screen()
        assert "DIVERGED" in "\n".join(screen_lines(app))
        for key in ["minus", "minus", "t"]:  # training on NaN weights must not crash
            await explorer.press(key)
        await explorer.settle()
        explorer.check_always()
        await explorer.press("r")
        await explorer.settle()
        assert app.session.stepper.net.is_finite() and app.session.stepper.net.iteration == 0
        explorer.check_screen()
        assert "DIVERGED" not in "\n".join(screen_lines(app))


@pytest.mark.parametrize(("matrix", "value"), [("synapse_1", np.inf), ("synapse_h", -np.inf)])
async def test_infinite_weights_in_the_backward_pass_do_not_crash(
    matrix: str, value: float, figures: Figures
) -> None:
    """An infinite weight makes layer_1_delta infinite; the hidden panel must still draw.

    tui/widgets/hidden.py: shade_level(value, scale) computes int(abs(value) / scale * 5),
    which raises OverflowError for value=inf and ValueError for inf/inf (the backward
    scale is the largest |delta|, inf itself); both take the App down.
    """
    app = RNNApp(RNN(RNNConfig()))
    async with app.run_test(size=(80, 24)) as pilot:
        explorer = Explorer(app, pilot, -2, random.Random(0), figures)
        getattr(app.session.stepper.net, matrix)[0, 0] = value
        explorer.log.append(f"{matrix}[0, 0] = {value}")
        for _ in range(2 * app.session.stepper.net.bits + 2):  # forward, backward, update, next
            await pilot.press("n")
            await pilot.pause()  # draw every step: the backward ones are the dangerous ones
            screen_lines(app)
            explorer.check_always()
        await explorer.settle()
        explorer.check_screen()
        await explorer.press("r")
        await explorer.settle()
        assert app.session.stepper.net.is_finite()


async def test_the_weights_screen_of_infinite_weights_does_not_crash() -> None:
    """w draws every weight with hidden.shade_level (tui/widgets/weights.py), which
    raises OverflowError for an infinite weight."""
    app = RNNApp(RNN(RNNConfig()))
    async with app.run_test(size=(120, 40)) as pilot:
        app.session.stepper.net.synapse_h[2, 3] = np.inf
        await pilot.press("w")
        await pilot.pause()
        screen_lines(app)
        assert app.is_running and app._exception is None
        await pilot.press("escape", "r")
        await pilot.pause()
        assert app.is_running and app.session.stepper.net.is_finite()


async def test_poisoned_weights_never_warn() -> None:
    """Non-finite weights must show as numbers (DIVERGED), not as numpy warnings printed
    over the screen. Stepper._begin_example -> IterationKernel.load_example
    (model/kernel.py, np.dot of the input bits with -synapse_0) runs outside np.errstate
    when a Stepper or ProbeStepper is made and at the end of Stepper.train, so an
    infinite weight times a 0 bit warns "invalid value encountered in dot"."""
    app = RNNApp(RNN(RNNConfig()))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        async with app.run_test(size=(80, 24)) as pilot:
            app.session.stepper.net.synapse_0[0, 0] = np.inf
            await pilot.press("minus", "minus", "minus", "t")  # train N = 1
            await workers_done(app)
            await pilot.pause()
            app.session.stepper.net.synapse_0[1, 1] = -np.inf
            await pilot.press("e", *"9+60", "enter")  # your own sum: a ProbeStepper
            await pilot.press("escape")  # (stepping it would crash: see the test above)
            # the weights screen of a matrix that is all NaN (tui/widgets/weights.py takes
            # np.nanmax of it: "All-NaN slice encountered")
            app.session.stepper.net.synapse_0[:] = 0.5  # no inf left: an inf here crashes too
            app.session.stepper.net.synapse_1[:] = np.nan
            await pilot.press("w")
            await pilot.pause()
            await pilot.press("escape")
            await workers_done(app)
            await pilot.pause()
            assert app.is_running
    assert not caught, sorted({f"{w.filename}:{w.lineno}: {w.message}" for w in caught})


@pytest.mark.parametrize("opener", ["question_mark", "e", "w"])
async def test_a_resize_under_another_screen_keeps_it_for_later(
    opener: str, figures: Figures
) -> None:
    """Shrinking the terminal while the help (or a prompt, or the weights) is open.

    The enlarge message once was a class set on `self.screen` (the help, not the main
    screen), and later a class of the main screen that the help hid; now it is a screen
    over the top one (tui/screens/too_small.py): it shows at once, escape does not close
    the screen under it unseen, and enlarged again the help is back as it was and
    escape closes it onto the main screen, drawn at its new size.
    """
    app = RNNApp(RNN(RNNConfig()))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press(opener)
        await pilot.pause()
        opened = app.screen
        assert opened is not app.screen_stack[0], f"{opener} opened no screen"
        await pilot.resize_terminal(60, 20)
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        words = " ".join(" ".join(screen_lines(app)).split())
        assert "Enlarge the terminal" in words, f"{opener}, shrunk under it: {words[:120]}"
        assert opened in app.screen_stack
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert app.screen is opened
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.screen_stack[0]
        words = " ".join(" ".join(screen_lines(app)).split())
        assert "Enlarge the terminal" not in words and "pred" in words, words[:120]
    figures.count("resizes under another screen")


@pytest.mark.parametrize("second", ["t", "escape", "r"])
async def test_a_quick_double_press_does_not_leave_training_stuck(
    second: str, figures: Figures
) -> None:
    """t and then t, escape or r in quick succession, as a terminal delivers them when
    keys are typed fast or repeat (both arrive in one read and are handled back to back).

    The second key cancels the training worker before its thread has started, so
    run_training never runs and never posts the finished Progress that clears
    `app.main.training` (tui/app.py action_toggle_training / action_stop_training / on_progress).
    The app then says "Training is running" forever: no training, stepping, reset, save
    or load until it is quit.
    """
    app = RNNApp(RNN(RNNConfig()))
    async with app.run_test(size=(80, 24)) as pilot:
        await workers_done(app)
        await pilot.pause()
        for key, char in (("t", "t"), (second, "\x1b" if second == "escape" else second)):
            event = events.Key(key, char)
            event.set_sender(app)
            app._driver.send_message(event)  # type: ignore[union-attr]
        for _ in range(20):  # up to 2 s for the worker to finish either way
            await pilot.pause(0.1)
            if app.main.training is None:
                break
        await workers_done(app)
        await pilot.pause()
        figures.count("quick double presses")
        assert app.main.training is None, f"t then {second}: training stuck at {app.main.training}"
        await pilot.press("minus", "minus", "t")  # and training works again
        await workers_done(app)
        await pilot.pause()
        assert app.main.training is None and app.session.stepper.net.iteration > 0
