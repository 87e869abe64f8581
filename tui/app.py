"""The rnn-tui application: live panels over the model, stepped or trained by key.

The App owns a `Stepper`. Stepping happens on the UI thread (a step is microseconds);
training runs in a thread worker that owns the model until it finishes, and the UI
only ever sees the immutable progress values it posts.
"""

from __future__ import annotations

from collections import deque

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.events import Resize
from textual.message import Message
from textual.widgets import Footer, Static
from textual.worker import get_current_worker

from model.network import RNN
from model.stepper import UPDATE, Snapshot, Stepper
from tui.training import Probes, TrainingProgress, measure_weights, run_training
from tui.widgets.error import ErrorPanel
from tui.widgets.help import HelpScreen
from tui.widgets.hidden import HiddenPanel
from tui.widgets.inputs import InputsPanel
from tui.widgets.phase import PhasePanel
from tui.widgets.status import StatusPanel, TrainingView
from tui.widgets.sums import SumsPanel

MIN_WIDTH, MIN_HEIGHT = 80, 24
ERROR_WINDOW = 10_000  # iterations of overallError history kept for the sparkline
TRAIN_COUNTS = (1, 100_000)


class Progress(Message):
    """Carries a TrainingProgress from the worker thread to the UI."""

    def __init__(self, progress: TrainingProgress) -> None:
        super().__init__()
        self.progress = progress


class Measured(Message):
    def __init__(self, probes: Probes) -> None:
        super().__init__()
        self.probes = probes


class RNNApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "rnn-tui"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (34, "-tall")]
    BINDINGS = [
        Binding("n,space", "step", "Step", key_display="n"),
        Binding("t", "toggle_training", "Train N"),
        Binding("escape", "stop_training", "Stop", show=False),
        Binding("plus", "more", "N×10", key_display="+"),
        Binding("minus", "fewer", "N÷10", key_display="-"),
        Binding("r", "reset", "Reset"),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("q", "quit", "Quit"),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
    ]

    def __init__(self, net: RNN) -> None:
        super().__init__()
        self.stepper = Stepper(net)
        self.train_count = 1000
        self.errors: deque[float] = deque(maxlen=ERROR_WINDOW)
        self.training: TrainingView | None = None
        self._reset_when_stopped = False

    # -- layout ------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Horizontal(id="main"):
            with Vertical(id="bits"):
                yield InputsPanel(id="inputs")
                yield SumsPanel(id="sums")
                yield HiddenPanel(id="hidden")
            with Vertical(id="side"):
                yield StatusPanel(id="status")
                yield PhasePanel(id="phase")
                yield ErrorPanel(id="error")
        yield Static(id="too-small")
        yield Footer()

    def on_mount(self) -> None:
        self._show(self.stepper.snapshot())
        self._show_status()
        self._measure()
        self._check_size(self.size.width, self.size.height)

    def on_resize(self, event: Resize) -> None:
        self._check_size(event.size.width, event.size.height)

    def _check_size(self, width: int, height: int) -> None:
        small = width < MIN_WIDTH or height < MIN_HEIGHT
        self.screen.set_class(small, "-too-small")
        if small:
            self.query_one("#too-small", Static).update(
                f"Enlarge the terminal to at least {MIN_WIDTH}x{MIN_HEIGHT}\n(now {width}x{height})"
            )

    # -- drawing -------------------------------------------------------------------------

    def _show(self, snapshot: Snapshot) -> None:
        self.query_one(InputsPanel).show(snapshot)
        self.query_one(SumsPanel).show(snapshot)
        self.query_one(HiddenPanel).show(snapshot)
        self.query_one(StatusPanel).show(snapshot)
        self.query_one(PhasePanel).show(snapshot, training=self.training is not None)

    def _show_status(self) -> None:
        self.query_one(StatusPanel).show_training(self.training, self.train_count)

    def _show_errors(self) -> None:
        first = self.stepper.net.iteration - len(self.errors) + 1
        self.query_one(ErrorPanel).show(self.errors, first)

    def _show_probes(self, probes: Probes) -> None:
        self.query_one(ErrorPanel).show_accuracy(probes.accuracy)
        self.query_one(HiddenPanel).show_carry(probes.carry_unit, probes.carry_correlation)

    # -- keys ------------------------------------------------------------------------------

    def _refuse_while_training(self, what: str) -> bool:
        if self.training is None:
            return False
        self.notify(
            f"Training is running: press t or escape to stop it before {what}.",
            severity="warning",
            timeout=3,
        )
        return True

    def action_step(self) -> None:
        if self._refuse_while_training("stepping"):
            return
        snapshot = self.stepper.step()
        self._show(snapshot)
        if snapshot.phase == UPDATE and self.stepper.last_error is not None:
            self.errors.append(self.stepper.last_error)
            self._show_errors()
            self._measure()

    def action_toggle_training(self) -> None:
        if self.training is not None:
            self.action_stop_training()
            return
        self.training = TrainingView(0, self.train_count, 0.0)
        self._show_status()
        self._train(self.train_count)

    def action_stop_training(self) -> None:
        if self.training is not None:
            self.workers.cancel_group(self, "training")

    def action_more(self) -> None:
        self.train_count = min(self.train_count * 10, TRAIN_COUNTS[1])
        self._show_status()

    def action_fewer(self) -> None:
        self.train_count = max(self.train_count // 10, TRAIN_COUNTS[0])
        self._show_status()

    def action_reset(self) -> None:
        if self.training is not None:
            self._reset_when_stopped = True
            self.action_stop_training()
            self.notify("Stopping training, then resetting.", timeout=2)
            return
        self._reset()

    def _reset(self) -> None:
        net = self.stepper.net
        self.stepper = Stepper(RNN(net.config))
        self.stepper.net.alpha = net.alpha
        self.errors.clear()
        self._show(self.stepper.snapshot())
        self._show_errors()
        self._measure()
        self.notify("Reset to the seed's initial weights.", timeout=2)

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    # -- workers -----------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="training")
    def _train(self, total: int) -> None:
        worker = get_current_worker()
        run_training(
            self.stepper,
            total,
            lambda p: self.post_message(Progress(p)),
            lambda: worker.is_cancelled,
        )

    def on_progress(self, message: Progress) -> None:
        progress = message.progress
        if progress.finished:
            self.training = None
        else:
            self.training = TrainingView(progress.done, progress.total, progress.rate)
        self.errors.extend(progress.errors)
        self._show(progress.snapshot)
        self._show_errors()
        self._show_status()
        if progress.probes is not None:
            self._show_probes(progress.probes)
        if progress.finished:
            if progress.problem:
                self.notify(progress.problem, severity="error")
            if self._reset_when_stopped:
                self._reset_when_stopped = False
                self._reset()

    def _measure(self) -> None:
        net = self.stepper.net
        self._measure_in_background(
            net.synapse_0.copy(),
            net.synapse_1.copy(),
            net.synapse_h.copy(),
            net.bits,
            net.iteration,
        )

    @work(thread=True, exclusive=True, group="measure")
    def _measure_in_background(self, s0, s1, sh, bits: int, iteration: int) -> None:
        probes = measure_weights(s0, s1, sh, bits, iteration)
        if not get_current_worker().is_cancelled:
            self.post_message(Measured(probes))

    def on_measured(self, message: Measured) -> None:
        self._show_probes(message.probes)
