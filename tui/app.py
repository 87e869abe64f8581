"""The rnn-tui application: live panels over the model, stepped or trained by key.

The App owns a `Stepper`. Stepping happens on the UI thread (a step is microseconds);
training runs in a thread worker that owns the model until it finishes, and the UI
only ever sees the immutable progress values it posts.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterable

from textual import work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.events import Resize
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Static
from textual.worker import Worker, WorkerState, get_current_worker

from model.network import RNN
from model.probes import NONE, Ablation
from model.stepper import UPDATE, ProbeStepper, Snapshot, Stepper
from tui.explore import ExploreActions, ablation_label
from tui.training import Probes, TrainingProgress, measure_weights, run_training
from tui.widgets.error import ErrorPanel
from tui.widgets.footer import KeysFooter
from tui.widgets.help import HelpScreen
from tui.widgets.hidden import HiddenPanel
from tui.widgets.inputs import InputsPanel
from tui.widgets.phase import PhasePanel
from tui.widgets.status import StatusPanel, TrainingView
from tui.widgets.sums import SumsPanel

MIN_WIDTH, MIN_HEIGHT = 80, 24
ERROR_WINDOW = 10_000  # iterations of overallError history kept for the sparkline
# While training, the example panels (inputs, sums, heatmap) are redrawn together once a
# second: one example stays long enough to read, all three show the same one, and the
# screen work left to the UI thread leaves the training thread more of the GIL.
EXAMPLE_REDRAW = 1.0
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


class RNNApp(ExploreActions, App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "rnn-tui"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (34, "-tall")]
    BINDINGS = [
        Binding("n,space", "step", "Step", key_display="n"),
        Binding("t", "toggle_training", "Train N"),
        Binding("escape", "leave", "Stop / leave probe", show=False),
        Binding("plus", "more", "N×10", key_display="+"),
        Binding("minus", "fewer", "N÷10", key_display="-"),
        Binding("r", "reset", "Reset"),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("q", "quit", "Quit"),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
        # exploration tools: in the help screen and the command palette (ctrl+p)
        Binding("e", "enter_sum", "Your own sum", show=False),
        Binding("o", "train_on_sum", "Train once on your sum", show=False),
        Binding("a", "ablate_unit", "Clamp a unit", show=False),
        Binding("h", "cut_recurrence", "Cut synapse_h", show=False),
        Binding("x", "clear_ablation", "Remove ablations", show=False),
        Binding("right_square_bracket", "alpha_up", "alpha x2", show=False),
        Binding("left_square_bracket", "alpha_down", "alpha /2", show=False),
        Binding("s", "save", "Save", show=False),
        Binding("l", "load", "Load", show=False),
        Binding("w", "weights", "Weights", show=False),
        Binding("R", "new_network", "New seed/hidden", show=False),
        Binding("p", "screenshot", "SVG screenshot", show=False),
    ]

    def __init__(self, net: RNN) -> None:
        super().__init__()
        self.stepper = Stepper(net)
        self.train_count = 1000
        self.errors: deque[float] = deque(maxlen=ERROR_WINDOW)
        self.training: TrainingView | None = None
        self._reset_when_stopped = False
        self._example_drawn_at = 0.0  # time.monotonic() of the last example redraw
        self.probe: ProbeStepper | None = None  # a user's sum on show, or None
        self.ablation: Ablation = NONE
        self.carry_unit: int | None = None
        self.last_update_size: tuple[float, float, float] | None = None
        self.last_path = "rnn-tui.npz"
        self._last_refusal = -1e9
        self._stop_requested = threading.Event()

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
        yield KeysFooter()

    def on_mount(self) -> None:
        self._show(self.stepper.snapshot())
        self._show_status()
        self._measure()
        self._check_size(self.size.width, self.size.height)

    def on_resize(self, event: Resize) -> None:
        self._check_size(event.size.width, event.size.height)

    def _check_size(self, width: int, height: int) -> None:
        small = width < MIN_WIDTH or height < MIN_HEIGHT
        main = self.screen_stack[0]  # not a help or prompt screen that may be on top
        main.set_class(small, "-too-small")
        if small:
            main.query_one("#too-small", Static).update(
                f"Enlarge the terminal to at least {MIN_WIDTH}x{MIN_HEIGHT}\n(now {width}x{height})"
            )

    # -- drawing -------------------------------------------------------------------------

    def _show(self, snapshot: Snapshot) -> None:
        training = self.training is not None
        now = time.monotonic()
        if not training or now - self._example_drawn_at >= EXAMPLE_REDRAW:
            self._example_drawn_at = now
            self.query_one(InputsPanel).show(snapshot)
            self.query_one(SumsPanel).show(snapshot)
            self.query_one(HiddenPanel).show(snapshot)
        self.query_one(StatusPanel).show(snapshot)
        self.query_one(PhasePanel).show(snapshot, training=training)

    def _current(self) -> Stepper:
        return self.probe if self.probe is not None else self.stepper

    def _show_status(self) -> None:
        self.query_one(StatusPanel).show_training(
            self.training, self.train_count, ablation_label(self.ablation)
        )

    def _show_errors(self) -> None:
        # an untrained network errs by about half a bit per position: bars are drawn
        # against that, so the fall of the error stays visible once it is small
        self.query_one(ErrorPanel).show(self.errors, scale=self.stepper.net.bits / 2)

    def _show_probes(self, probes: Probes) -> None:
        label = ablation_label(self.ablation) if probes.ablation == self.ablation else ""
        self.query_one(ErrorPanel).show_accuracy(probes.accuracy, probes.ablated, label)
        self.query_one(HiddenPanel).show_carry(probes.carry_unit, probes.carry_correlation)
        self.carry_unit = probes.carry_unit

    # -- keys ------------------------------------------------------------------------------

    def _refuse_while_training(self, what: str) -> bool:
        if self.training is None:
            return False
        now = time.monotonic()
        if now - self._last_refusal > 1.5:  # keys mashed during training: one message
            self._last_refusal = now
            self.notify(
                f"Training is running: press t or escape to stop it before {what}.",
                severity="warning",
                timeout=3,
            )
        return True

    def action_step(self) -> None:
        if self._refuse_while_training("stepping"):
            return
        if self.probe is not None:
            if self.probe.done:
                self.notify(
                    "The probe's forward pass is done: o trains on this sum, "
                    "e enters another, escape goes back.",
                    timeout=3,
                )
            self._show(self.probe.step())
            return
        snapshot = self.stepper.step()
        self._show(snapshot)
        if snapshot.phase == UPDATE and self.stepper.last_error is not None:
            self.last_update_size = snapshot.update_size
            self.errors.append(self.stepper.last_error)
            self._show_errors()
            self._measure()

    def action_toggle_training(self) -> None:
        if self.training is not None:
            self.action_stop_training()
            return
        self.probe = None  # training shows the examples it trains on
        self.training = TrainingView(0, self.train_count, 0.0)
        self._show_status()
        self._stop_requested = threading.Event()
        self._train(self.train_count, self.ablation, self._stop_requested)

    def action_stop_training(self) -> None:
        # A flag the worker polls, not Worker.cancel(): a worker cancelled before its
        # thread starts never runs, so it would never post the report that ends training.
        self._stop_requested.set()

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
        fresh = RNN(net.config)
        fresh.alpha = net.alpha
        self._replace_network(fresh, "Reset to the seed's initial weights.")

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    # -- workers -----------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="training", exit_on_error=False)
    def _train(self, total: int, ablation: Ablation, stop: threading.Event) -> None:
        worker = get_current_worker()  # cancelled when the app quits
        run_training(
            self.stepper,
            total,
            lambda p: self.post_message(Progress(p)),
            lambda: stop.is_set() or worker.is_cancelled,
            ablation=ablation,
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
            self._training_ended(progress.problem)

    def _training_ended(self, problem: str) -> None:
        """After the last report (or a crashed worker): measure, tell, reset if asked."""
        self._measure()
        if problem:
            self.notify(problem, severity="error")
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
            self.ablation,
        )

    @work(thread=True, exclusive=True, group="measure")
    def _measure_in_background(
        self, s0, s1, sh, bits: int, iteration: int, ablation: Ablation
    ) -> None:
        probes = measure_weights(s0, s1, sh, bits, iteration, ablation)
        if not get_current_worker().is_cancelled:
            self.post_message(Measured(probes))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """run_training reports its own end; this catches the unforeseen: a crashed worker."""
        worker = event.worker
        if worker.group != "training" or worker.state != WorkerState.ERROR:
            return
        self.training = None
        self._show(self.stepper.snapshot())
        self._show_status()
        self._training_ended(f"Training stopped: {worker.error}")

    def on_measured(self, message: Measured) -> None:
        self._show_probes(message.probes)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # While help, a prompt or the weights are open, keys belong to them: the app's
        # keys must not step or train the network hidden behind.
        behind_a_modal = isinstance(self.screen, ModalScreen)
        return not behind_a_modal or action in ("quit", "command_palette")

    def get_system_commands(self, screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for binding in self.BINDINGS:
            if isinstance(binding, Binding) and binding.action not in ("quit", "help"):
                action = getattr(self, f"action_{binding.action}")
                yield SystemCommand(binding.description, f"key {binding.key}", action)
