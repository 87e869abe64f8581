"""The rnn-tui application: a `Session` on a `MainScreen`.

The App holds the session, opens the main screen and sees the run safely out: on `q`,
ctrl+c, SIGHUP (a dropped SSH connection) and SIGTERM it stops any worker and saves the
session file first; an unexpected error saves it too and ends the app with one line and a
non-zero status (`crash`), never a traceback.
"""

from __future__ import annotations

import asyncio
import os
import signal
import threading
from collections.abc import Iterable

from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.filter import Monochrome, NoColor
from textual.notifications import Notify
from textual.screen import Screen

from model.network import RNN
from tui.autosave import autosave
from tui.glyphs import current
from tui.screens.main import MainScreen
from tui.screens.too_small import TooSmallScreen, smallest_for, too_small
from tui.session import Session
from tui.terminal_size import clamp_resize

SIGNALS = (signal.SIGHUP, signal.SIGTERM)
EXIT_GRACE = 3.0  # seconds an exit may take after a signal before the process ends anyway
# Notifications on screen at once: the newest ones. Keys pressed quickly (alpha, v, a
# refused save) each say something, and stacked toasts hid the heatmap.
MAX_TOASTS = 2


class RNNApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "rnn-tui"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide"), (170, "-huge")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (34, "-tall")]
    BINDINGS = [Binding("ctrl+c", "quit", "Quit", show=False, priority=True)]

    def __init__(
        self,
        net: RNN,
        *,
        session: Session | None = None,
        autosave_on_exit: bool = False,
        greeting: str = "",
        kernel: str = "",
    ) -> None:
        super().__init__()
        self.session = session if session is not None else Session(net)
        self.main = MainScreen(self.session)
        if current().ascii:
            self.add_class("-ascii")
        self._drop_colours_where_they_hurt()
        self.autosave_on_exit = autosave_on_exit  # off in tests unless asked for
        self.greeting = greeting
        # "auto": the kernel is chosen (numba imported, its cache loaded) in a worker once
        # the screen is up, not before: that is 0.3-0.5 s of every start, and the compile
        # and self-check of a first start on a machine take seconds. Until it is ready,
        # numpy trains (bit-identical, the self-check's point).
        self.kernel_wanted = kernel
        self.kernel_chosen = threading.Event()  # set once the worker has chosen
        self.crash: BaseException | None = None
        self.signal_received: int | None = None
        self.saved_to: str | None = None
        self.save_problem: str | None = None

    def _drop_colours_where_they_hurt(self) -> None:
        """No colour codes for TERM=dumb; under NO_COLOR the terminal's own colours.

        Textual sends 24-bit colour when a terminal declares no colour support at all, and
        under NO_COLOR it maps colours to greys that vanish on a dark screen. Marks that
        matter are also drawn with attributes (bold, underline, reverse), which stay.
        """
        term = os.environ.get("TERM", "")
        if self.no_color or term in ("dumb", "unknown"):
            self._filters = [f for f in self._filters if not isinstance(f, Monochrome)]
            self._filters.append(NoColor())

    def on_resize(self, event: events.Resize) -> None:
        # before App._on_resize stores it: a terminal (or a served page) asking for 99999
        # columns would otherwise have the app allocate gigabytes of screen
        clamp_resize(event)
        self._cover_when_too_small(event.size.width, event.size.height)

    def cover_when_too_small(self) -> None:
        """Cover the screen on top if the terminal is too small for it (a screen that
        fits a smaller terminal than the one under it, the focus, has just left)."""
        self._cover_when_too_small(self.size.width, self.size.height)

    def _cover_when_too_small(self, width: int, height: int) -> None:
        """Below the size the top screen needs (80x24; the focus 60x20) a screen over it asks
        for more room and takes the keys (tui/screens/too_small.py); it leaves once the
        terminal is large enough."""
        covers = [screen for screen in self.screen_stack if isinstance(screen, TooSmallScreen)]
        if too_small(width, height, smallest_for(self.screen_stack)):
            if covers:
                covers[0].show_size(width, height)
            else:
                self.push_screen(TooSmallScreen(self.session.net.cell))
        elif covers and self.screen is covers[0]:
            self.pop_screen()
        # under the help it leaves when the help closes (TooSmallScreen.on_screen_resume)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # the palette runs the main screen's actions: not while they are covered
        if action == "command_palette" and any(
            isinstance(screen, TooSmallScreen) for screen in self.screen_stack
        ):
            return False
        return super().check_action(action, parameters)

    def on_notify(self, event: Notify) -> None:
        """Make room before App's own handler (called after this one) shows the new one.

        Textual has no limit of its own (Textualize/textual#5129); `_notifications` and
        `_unnotify` are App's, which is one reason textual is pinned to an exact version."""
        shown = list(self._notifications)  # oldest first; expired ones already dropped
        # the same words again (a key pressed over and over): the new toast replaces the
        # old one instead of stacking beside it
        new = event.notification
        repeated = [old for old in shown if (old.message, old.title) == (new.message, new.title)]
        for old in repeated:
            self._unnotify(old, refresh=False)
        shown = [old for old in shown if old not in repeated]
        for old in shown[: max(0, len(shown) - (MAX_TOASTS - 1))]:
            self._unnotify(old, refresh=False)

    def get_default_screen(self) -> Screen[None]:
        return self.main

    def on_mount(self) -> None:
        if threading.current_thread() is threading.main_thread():
            loop = asyncio.get_running_loop()
            for signum in SIGNALS:
                loop.add_signal_handler(signum, self._on_signal, signum)
        self.cover_when_too_small()
        if self.greeting:
            self.notify(self.greeting, markup=False, timeout=6)
        if self.kernel_wanted:  # once the first frame is out
            self.call_after_refresh(self._start_choosing_kernel)

    def _start_choosing_kernel(self) -> None:
        # A daemon thread, not a worker: quitting never waits for it (a machine's first
        # start compiles for some 10 s; numba's and our cache files are written atomically)
        threading.Thread(target=self._choose_kernel, name="kernel choice", daemon=True).start()

    def _choose_kernel(self) -> None:
        from model.kernel_choice import choose, warm_up

        try:
            choose(self.kernel_wanted)
            warm_up(self.session.net.cell)
        except Exception:  # choose reports its own failures; numpy trains on
            pass  # a bare thread's traceback would land on the screen
        finally:
            self.kernel_chosen.set()

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        if screen is not self.main:
            return
        for key, description, action in self.main.binding_actions():
            yield SystemCommand(description, f"key {key}", getattr(self.main, f"action_{action}"))

    # -- seeing the run safely out ------------------------------------------------------------

    def save_before_exit(self) -> None:
        """Stop any worker, then save the session file (once); a failure is remembered."""
        if not self.autosave_on_exit or self.saved_to is not None or self.save_problem:
            return
        if not self.main.stop_workers():
            self.save_problem = "training did not stop in time; the session was not saved"
            return
        from model.checkpoint import CheckpointError

        try:
            self.saved_to = autosave(self.session)
        except CheckpointError as err:
            self.save_problem = str(err)
        except Exception as err:  # the app is ending: say what went wrong, in one line
            self.save_problem = f"the session could not be saved: {err}"

    async def action_quit(self) -> None:
        self.save_before_exit()
        self.exit(return_code=1 if self.save_problem else 0)

    def _on_signal(self, signum: int) -> None:
        self.signal_received = signum
        # the terminal may be gone (SIGHUP): the process ends even if the exit cannot draw
        timer = threading.Timer(EXIT_GRACE, os._exit, (128 + signum,))
        timer.daemon = True
        timer.start()
        self.save_before_exit()
        self.exit(return_code=128 + signum)

    def _handle_exception(self, error: Exception) -> None:
        """An unexpected error: save the session, end with a line and status 1, no traceback."""
        self.crash = error
        try:
            self.save_before_exit()
        finally:
            if self._exception is None:  # Pilot re-raises it in tests: crashes are not hidden
                self._exception = error
                self._exception_event.set()
            self.exit(return_code=1)
