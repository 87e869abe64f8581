"""The main screen: the panels, the keys, and the workers that train and jump.

The screen owns its bindings (a modal on top owns the keyboard, so no key here acts
behind help, a prompt or the weights) and draws what the `Session` shows. Stepping runs
on the UI thread (a step is microseconds; a step back replays at most a few thousand
iterations); training and long jumps run in a thread worker that owns the session until
its last message arrives.
"""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.worker import Worker, WorkerState, get_current_worker

from model.history import bucket_means
from model.network import RNN
from model.probes import NONE, Ablation
from model.stepper import BACKWARD, Snapshot
from tui.messages import Measured, Progress, Seeking
from tui.parsing import (
    parse_iteration,
    parse_reset,
    parse_save_path,
    parse_state_unit,
    parse_sum,
    read_typed_checkpoint,
)
from tui.screens.too_small import cover_if_too_small
from tui.session import ALPHA_RANGE, Refused, Session, ablation_label
from tui.sweep_map import MapMemory
from tui.training import WATCHED_SECONDS, Probes, measure_net, run_seek, run_training
from tui.widgets.error import ErrorPanel
from tui.widgets.footer import KeysFooter
from tui.widgets.gradients import GradientScreen
from tui.widgets.help import HelpScreen
from tui.widgets.hidden import STATE_TITLES, HiddenPanel
from tui.widgets.inputs import InputsPanel
from tui.widgets.phase import PhasePanel
from tui.widgets.prompt import PromptScreen
from tui.widgets.status import StatusPanel, TrainingView
from tui.widgets.sums import SumsPanel
from tui.widgets.weights import WeightsScreen

if TYPE_CHECKING:
    from model.checkpoint import Checkpoint
    from tui.screens.focus import FollowingScreen

# While training, the example panels (inputs, sums, heatmap) are redrawn together once a
# second: one example stays long enough to read, all three show the same one, and the
# screen work left to the UI thread leaves the training thread more of the GIL.
EXAMPLE_REDRAW = 1.0
AFTER_TRAINING = "after training, next sum:"


class MainScreen(Screen[None]):
    BINDINGS = [
        Binding("n,space,right", "step", "Step", key_display="n"),
        Binding("b,left", "back", "Back", key_display="b"),
        Binding("f", "finish_forward", "Fwd"),
        Binding("enter", "finish_iteration", "Finish iteration", show=False),
        Binding("t", "toggle_training", "Train N"),
        Binding("T", "train_slowly", "Train N slowly", show=False),
        Binding("escape", "leave", "Stop / leave probe", show=False),
        Binding("plus", "more", "N*10", key_display="+"),
        Binding("minus", "fewer", "N/10", key_display="-"),
        Binding("g", "go_to", "Go to", show=False),
        Binding("v", "next_state", "State/gate shown", show=False),
        Binding("d", "gradient_check", "Gradient check", show=False),
        Binding("r", "reset", "Reset", show=False),
        Binding("u", "undo", "Undo", show=False),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("q", "quit", "Quit"),
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
        # projector focus and the cell inspector (tui/screens/focus.py, inspect.py)
        Binding("z", "zoom", "Focus"),
        Binding("i", "inspect", "Inspect a cell", show=False),
        Binding("m", "convergence_map", "Convergence map", show=False),  # tui/screens/map.py
    ]

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.training: TrainingView | None = None  # a worker's progress, while one runs
        self.last_training: TrainingView | None = None  # the last t's figures, once ended
        self.note = ""  # how the screen got here, said in the code panel
        self.carry_unit: int | None = None
        self.carry_state = "h"
        self._reset_when_stopped = False
        self._example_drawn_at = 0.0  # time.monotonic() of the last example redraw
        self._last_refusal = -1e9
        self._stop_requested = threading.Event()
        self.progress_frames = 0  # training progress messages handled (tests wait on it)
        self._worker_idle = threading.Event()  # set when a worker's thread has returned
        self._worker_idle.set()
        self.followers: list[FollowingScreen] = []  # focus/inspector screens drawing along
        self.map_memory = MapMemory()  # the convergence map's settings and last sweep

    # -- layout ---------------------------------------------------------------------------

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
        yield KeysFooter()

    def on_mount(self) -> None:
        self._draw()
        self._measure()

    def on_screen_resume(self) -> None:
        # back from the focus, which fits a smaller terminal than this screen: covered now
        # if the terminal is too small for this one (tui/screens/too_small.py)
        cover_if_too_small(self.app)

    def on_error_panel_resized(self, message: ErrorPanel.Resized) -> None:
        # the curve is squeezed into the panel's width: drawn again at its new one (the
        # screen's own resize comes before the layout has given the panels their sizes)
        self._draw_errors()

    # -- drawing ----------------------------------------------------------------------------

    def _draw(self, snapshot: Snapshot | None = None) -> None:
        """Redraw the panels from the session (or from a worker's snapshot)."""
        busy = self.training is not None
        snap = snapshot if snapshot is not None else self.session.view()
        now = time.monotonic()
        if not busy or now - self._example_drawn_at >= EXAMPLE_REDRAW:
            self._example_drawn_at = now
            self.query_one(InputsPanel).show(snap)
            self.query_one(SumsPanel).show(snap)
            self.query_one(HiddenPanel).show(snap, self.session.shown_state)
        self.query_one(StatusPanel).show(snap)
        self.query_one(PhasePanel).show(snap, training=busy, note=self.note)
        self._draw_status()
        if not busy:
            self._draw_errors()
        self._tell_followers()

    def _draw_status(self) -> None:
        session = self.session
        self.query_one(StatusPanel).show_training(
            self.training,
            session.train_count,
            ablation_label(session.ablation),
            self.last_training,
        )

    def _curve_width(self) -> int:
        wanted = [follower.curve_width() for follower in self.followers]  # a focus chart
        return max(self.query_one(ErrorPanel).curve_width(), 1, *wanted)

    def _draw_errors(self) -> None:
        if self.training is not None:
            return  # a worker owns the history: it sends the curve with its progress
        session = self.session
        view = session.errors.view(self._curve_width())
        self.query_one(ErrorPanel).show(view)

    def _draw_probes(self, probes: Probes) -> None:
        session = self.session
        at = probes.accuracy.iteration
        # while training, a measurement of an iteration already passed; never one later than
        # the run on show (measured before going back)
        if at == session.net.iteration or (
            self.training is not None and at < session.net.iteration
        ):
            session.add_accuracy(at, probes.accuracy.exact)
        label = ablation_label(session.ablation) if probes.ablation == session.ablation else ""
        climb = [exact for _, exact in session.run.accuracy]
        self.query_one(ErrorPanel).show_accuracy(probes.accuracy, probes.ablated, label, climb)
        self.query_one(HiddenPanel).show_carry(
            probes.carry_unit, probes.carry_correlation, probes.carry_state
        )
        self.carry_unit, self.carry_state = probes.carry_unit, probes.carry_state
        self._tell_followers()

    def _say(self, message: str, *, severity: str = "information", timeout: float = 3) -> None:
        """A notification; user text in it (paths, typed values) is never read as markup."""
        self.notify(message, severity=severity, timeout=timeout, markup=False)  # type: ignore[arg-type]

    def _act(self, action: Callable[[], object], *, measure: bool = False) -> bool:
        """Run a session method; a refusal becomes a message (one per burst of keys)."""
        try:
            action()
        except Refused as refusal:
            now = time.monotonic()
            if now - self._last_refusal > 1.5 or self.training is None:
                self._last_refusal = now
                self._say(str(refusal), severity="warning")
            if self.training is None:  # nothing moved, but the screen is brought up to date
                self._draw()
            return False
        self.note = ""
        self._draw()
        if measure:
            self._measure()
        return True

    # -- stepping keys ----------------------------------------------------------------------

    def action_step(self) -> None:
        before = self.session.net.iteration
        self._act(self.session.step)
        if self.session.net.iteration != before:  # an update happened: new weights
            self._measure()

    def action_back(self) -> None:
        if self.training is None and self.session.back_replays_from_seed():
            where = self.session.previous_position()  # before a loaded run's first anchor
            self._start_worker(TrainingView(0, 1, 0.0, kind="replaying from the seed"))
            self._seek(where.iteration, self._stop_requested, where.step)
            return
        before = self.session.net.iteration
        self._act(self.session.back)
        if self.session.net.iteration != before:
            self._measure()

    def action_finish_forward(self) -> None:
        before = self.session.net.iteration
        self._act(self.session.finish_forward, measure=False)
        if self.session.net.iteration != before:
            self._measure()

    def action_finish_iteration(self) -> None:
        self._act(self.session.finish_iteration, measure=True)

    def action_go_to(self) -> None:
        if self._refused_while_busy("going to an iteration"):
            return
        # the iteration the status line names (during an update, the one being updated)
        now, start = self.session.position.iteration, self.session.timeline.start
        hint = f"now at {now:,}; exactly as training from the seed gets there"
        parse = parse_iteration
        if start > 0 and self.session.replays_from_seed():
            seed = self.session.net.config.seed
            hint = f"now at {now:,}; before {start:,} (loaded there): replayed from seed {seed}"
        elif start > 0:
            hint = f"now at {now:,}; from {start:,}, where this run was loaded"
            parse = partial(parse_iteration, first=start)
        self.app.push_screen(
            PromptScreen("Go to iteration", parse, hint=hint, replace_refused=True), self._go_to
        )

    def _go_to(self, iteration: int | None) -> None:
        if iteration is None:
            return
        if iteration > self.session.errors.end and self.session.ablation != NONE:
            self._act(lambda: self.session.go_to(iteration))  # refused: says why
            return
        self._start_worker(TrainingView(0, 1, 0.0, kind=f"going to {iteration:,}"))
        self._seek(iteration, self._stop_requested)

    # -- training ---------------------------------------------------------------------------

    def _refused_while_busy(self, what: str) -> bool:
        if self.training is None:
            return False
        return not self._act(lambda: self._raise_busy(what))

    @staticmethod
    def _raise_busy(what: str) -> None:
        raise Refused(f"Training is running: press t or escape to stop it before {what}.")

    def action_toggle_training(self) -> None:
        self._toggle_training(0.0)

    def action_train_slowly(self) -> None:
        """T: N iterations spread over some 10 s, so a class sees the error fall."""
        self._toggle_training(WATCHED_SECONDS)

    def _toggle_training(self, seconds: float) -> None:
        if self.training is not None:
            self.action_stop_training()
            return
        if not self._act(self.session.check_can_train):
            return
        self.session.probe = None  # training shows the examples it trains on
        count = self.session.train_count
        kind = f"training over {seconds:g} s" if seconds else "training"
        self._start_worker(TrainingView(0, count, 0.0, kind=kind))
        self._train(count, self.session.ablation, self._stop_requested, seconds)

    def _start_worker(self, view: TrainingView) -> None:
        self.training = view
        self._last_refusal = -1e9  # the first refusal while busy is always said
        self.session.busy = True
        self._worker_idle.clear()
        self._stop_requested = threading.Event()
        self._draw_status()

    def action_stop_training(self) -> None:
        # A flag the worker polls, not Worker.cancel(): a worker cancelled before its
        # thread starts never runs, so it would never post the report that ends training.
        self._stop_requested.set()

    def action_more(self) -> None:
        self.session.set_train_count(self.session.train_count * 10)
        self._draw_status()

    def action_fewer(self) -> None:
        self.session.set_train_count(self.session.train_count // 10)
        self._draw_status()

    @work(thread=True, exclusive=True, group="training", exit_on_error=False)
    def _train(
        self, total: int, ablation: Ablation, stop: threading.Event, seconds: float = 0.0
    ) -> None:
        worker = get_current_worker()  # cancelled when the app quits
        try:
            run_training(
                self.session,
                total,
                lambda p: self.post_message(Progress(p)),
                lambda: stop.is_set() or worker.is_cancelled,
                width=self._curve_width,
                ablation=ablation,
                seconds=seconds,
            )
        finally:
            self._worker_idle.set()

    @work(thread=True, exclusive=True, group="training", exit_on_error=False)
    def _seek(self, iteration: int, stop: threading.Event, step: int | None = None) -> None:
        worker = get_current_worker()
        try:
            run_seek(
                self.session,
                iteration,
                lambda p: self.post_message(Seeking(p)),
                lambda: stop.is_set() or worker.is_cancelled,
                step=step,
            )
        finally:
            self._worker_idle.set()

    def on_progress(self, message: Progress) -> None:
        progress = message.progress
        self.progress_frames += 1
        if progress.finished:
            paced = self.training is not None and self.training.kind != "training"
            self._worker_done()
            if not paced:  # "last t: R it/s" is the kernel's pace, not the one asked for
                self.last_training = TrainingView(progress.done, progress.total, progress.rate)
            self.note = AFTER_TRAINING
            self._draw()
        else:
            kind = self.training.kind if self.training is not None else "training"
            self.training = TrainingView(progress.done, progress.total, progress.rate, kind)
            self._draw(progress.snapshot)
            self.query_one(ErrorPanel).show(progress.errors)
        if progress.probes is not None:
            self._draw_probes(progress.probes)
        if progress.finished:
            self._worker_ended(progress.problem)

    def on_seeking(self, message: Seeking) -> None:
        progress = message.progress
        back = progress.step is not None  # b before a loaded run's first anchor
        if not progress.finished:
            kind = "replaying from the seed" if back else f"going to {progress.target:,}"
            self.training = TrainingView(progress.done, progress.total, 0.0, kind=kind)
            self._draw_status()
            return
        self._worker_done()
        # a refusal is no stop: its reason is said below, and nothing moved
        stopped = not progress.reached and not progress.problem
        self.note = "stopped on the way" if stopped else ""
        self._draw()
        if progress.reached and back:
            self._say("The history before this run was loaded, replayed from its seed.")
        elif progress.reached:
            self._say(f"Iteration {progress.target:,}, forward pass done.", timeout=2)
        self._worker_ended(progress.problem)

    def _worker_done(self) -> None:
        self.training = None
        self.session.busy = False

    def _worker_ended(self, problem: str) -> None:
        """After a worker's last report (or its crash): measure, tell, reset if asked."""
        self._measure()
        if problem:
            self._say(problem, severity="error", timeout=6)
        if self._reset_when_stopped:
            self._reset_when_stopped = False
            self._replaced(self.session.reset())

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The workers report their own end; this catches the unforeseen: a crash."""
        worker = event.worker
        if worker.group != "training" or worker.state != WorkerState.ERROR:
            return
        self._worker_done()
        self._draw()
        self._worker_ended(f"Training stopped: {worker.error}")

    # -- measuring --------------------------------------------------------------------------

    def _measure(self) -> None:
        self._measure_in_background(self.session.net.copy(), self.session.ablation)

    @work(thread=True, exclusive=True, group="measure")
    def _measure_in_background(self, net: RNN, ablation: Ablation) -> None:
        probes = measure_net(net, ablation)
        if not get_current_worker().is_cancelled:
            self.post_message(Measured(probes))

    def on_measured(self, message: Measured) -> None:
        self._draw_probes(message.probes)

    # -- replacing the network ----------------------------------------------------------------

    def action_reset(self) -> None:
        if self.training is not None:
            self._reset_when_stopped = True
            self.action_stop_training()
            self._say("Stopping training, then resetting.", timeout=2)
            return
        self._act(lambda: self._replaced(self.session.reset()))

    def _replaced(self, message: str) -> None:
        self.last_training = None  # another network's figures
        self.note = ""
        self._draw()
        self._measure()
        self._say(message, timeout=4)

    def open_run(self, net: RNN, iteration: int, what: str) -> bool:
        """Show `net` trained from its seed to `iteration` (a run chosen on the convergence
        map), as R then g would: False, with the reason said, when it cannot now."""

        def replace() -> None:
            try:
                message = self.session.open_run(net)
            except Refused as refusal:  # it names main-screen keys, and the map is on top
                raise Refused(f"{refusal} Escape leaves the map for those keys.") from None
            self._replaced(f"{what}. {message}")

        if not self._act(replace):
            return False
        self._go_to(iteration)
        return True

    def action_undo(self) -> None:
        self._act(lambda: self._replaced(self.session.undo()))

    def action_new_network(self) -> None:
        if self._refused_while_busy("starting a new network"):
            return
        config = self.session.net.config
        self.app.push_screen(
            PromptScreen(
                "New network: seed and hidden size (starts from iteration 0)",
                parse_reset,
                value=f"{config.seed} {config.hidden}",
                hint="e.g. 3 8   (u brings back the network you have now)",
                replace_refused=True,
            ),
            self._new_network,
        )

    def _new_network(self, choice: tuple[int, int] | None) -> None:
        if choice is None:
            return
        seed, hidden = choice
        old = self.session.net
        # the same cell, init range, alpha and width: only the seed and size are new
        config = dataclasses.replace(old.config, seed=seed, hidden=hidden, alpha=old.alpha)

        def replace() -> None:
            note = self.session.replace(RNN(config))
            self._replaced(f"New network: seed {seed}, {hidden} hidden units. {note}")

        self._act(replace)

    # -- your own sum ---------------------------------------------------------------------------

    def action_enter_sum(self) -> None:
        if self._refused_while_busy("entering a sum"):
            return
        bits = self.session.net.bits
        self.app.push_screen(
            PromptScreen(
                "Your own sum, run forward without training (a probe)",
                lambda text: parse_sum(text, bits),
                hint="e.g. 9 + 60   then n steps it, o trains on it once, escape leaves",
                replace_refused=True,
            ),
            self._start_probe,
        )

    def _start_probe(self, operands: tuple[int, int] | None) -> None:
        if operands is not None:
            self._act(lambda: self.session.start_probe(*operands))

    def action_train_on_sum(self) -> None:
        def train_once() -> None:
            self.session.train_on_probe()
            probe = self.session.probe
            assert probe is not None
            self._say(
                f"Trained one iteration on {probe.a} + {probe.b} (not from the random stream)."
            )

        self._act(train_once, measure=True)

    def action_leave(self) -> None:
        """Escape: stop training; otherwise leave the probe."""
        if self.training is not None:
            self.action_stop_training()
        elif self.session.leave_probe():
            self._draw()

    # -- ablations ------------------------------------------------------------------------------

    def action_ablate_unit(self) -> None:
        if self._refused_while_busy("clamping a unit"):
            return
        session = self.session
        hidden, carried = session.net.hidden, session.net.info.carried
        unit, state = session.ablation.clamped_unit, session.ablation.clamped_state
        if unit is None and self.carry_unit is not None:
            unit, state = self.carry_unit, self.carry_state
        units = " or ".join(f"{name}3" for name in carried)
        self.app.push_screen(
            PromptScreen(
                "Clamp a unit to 0 (the carry-like unit is pre-selected)",
                lambda text: parse_state_unit(text, hidden, carried),
                value="" if unit is None else f"{state}{unit}",
                hint=(
                    f"type {units} (units 0 to {hidden - 1}), or leave it blank for none;"
                    " on the main screen h cuts synapse_h and x removes every ablation"
                ),
                replace_refused=True,
            ),
            self._set_clamped_unit,
        )

    def _set_clamped_unit(self, choice: tuple[str, int] | None) -> None:
        if choice is None:
            return
        state, unit = choice
        clamped = None if unit < 0 else unit
        cut = self.session.ablation.cut_recurrence
        self._set_ablation(Ablation(clamped, cut, state if clamped is not None else "h"))

    def action_cut_recurrence(self) -> None:
        ab = self.session.ablation
        self._set_ablation(Ablation(ab.clamped_unit, not ab.cut_recurrence))

    def action_clear_ablation(self) -> None:
        if self.session.ablation != NONE:
            self._set_ablation(NONE)

    def _set_ablation(self, ablation: Ablation) -> None:
        if self._refused_while_busy("changing the ablation"):
            return
        if self._act(lambda: self.session.set_ablation(ablation)):
            self.query_one(ErrorPanel).show_accuracy(None, None, ablation_label(ablation))
            if self.training is None:
                self._measure()

    # -- hyperparameters ----------------------------------------------------------------------

    def action_alpha_up(self) -> None:
        self._scale_alpha(2.0)

    def action_alpha_down(self) -> None:
        self._scale_alpha(0.5)

    def _scale_alpha(self, factor: float) -> None:
        before = self.session.net.alpha
        if self._act(lambda: self.session.scale_alpha(factor)):
            alpha = self.session.net.alpha
            if alpha == before:  # at the keys' limit (or beyond it, from --alpha)
                low, high = ALPHA_RANGE
                limit = f"] raises it to {high:g}" if factor > 1 else f"[ lowers it to {low:g}"
                self._say(f"alpha = {alpha:g}: {limit} at most", timeout=2)
            else:
                self._say(f"alpha = {alpha:g}", timeout=2)

    # -- files ------------------------------------------------------------------------------------

    def action_save(self) -> None:
        if self._refused_while_busy("saving"):
            return
        self.app.push_screen(
            PromptScreen(
                "Save the network to",
                parse_save_path,
                value=self.session.last_path,
                hint="a .npz checkpoint; saving replaces the file atomically",
            ),
            self._save_to,
        )

    def _save_to(self, path: str | None, confirmed: bool = False) -> None:
        if path is None:
            return
        if os.path.exists(path) and not confirmed:
            self.app.push_screen(
                PromptScreen(
                    f"{path} exists. Type yes to overwrite it.",
                    lambda text: (text.strip().lower() == "yes", None),
                ),
                lambda yes: self._save_to(path, confirmed=True) if yes else None,
            )
            return
        from model.checkpoint import CheckpointError  # not needed to start

        try:
            self.session.save(path)
        except CheckpointError as err:
            self._say(str(err), severity="error", timeout=6)
            return
        self._say(f"Saved iteration {self.session.net.iteration:,} to {path}")

    def action_load(self) -> None:
        if self._refused_while_busy("loading"):
            return
        self.app.push_screen(
            PromptScreen(
                "Load a network from",
                read_typed_checkpoint,
                value=self.session.last_path,
                hint="u afterwards brings back the network you have now",
            ),
            self._load_from,
        )

    def _load_from(self, loaded: tuple[str, Checkpoint] | None) -> None:
        if loaded is None:
            return
        path, saved = loaded
        self._replaced(self.session.install(saved, path))

    # -- looking closer -------------------------------------------------------------------------

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(self.session.net.cell))

    def action_weights(self) -> None:
        if self._refused_while_busy("opening the weights"):
            return
        net = self.session.net
        self.app.push_screen(WeightsScreen(net.copy(), self.session.stepper.last_update_sizes()))

    def action_next_state(self) -> None:
        session = self.session
        if len(session.net.info.states) == 1:
            self._say("The RNN has one state, layer_1: v chooses among an LSTM's or GRU's.")
            return
        shown = session.next_shown_state()
        self._draw()
        message = f"Heatmap: {STATE_TITLES.get(shown, shown)}"
        if session.view().phase == BACKWARD:  # the heatmap shows deltas until the update
            message += " (forward; going backward it shows the deltas)"
        self._say(message, timeout=2)

    def action_gradient_check(self) -> None:
        if self._refused_while_busy("checking gradients"):
            return
        from model.gradcheck import size_problem

        problem = size_problem(self.session.net)
        if problem:
            self._say(f"No gradient check here: {problem}.", severity="warning")
            return
        snap = self.session.view()
        self.app.push_screen(GradientScreen(self.session.net.copy(), snap.a, snap.b))

    # -- projector focus and the inspector: screens that follow this one (z, i) -------------

    def action_zoom(self) -> None:
        from tui.screens.focus import FocusScreen, open_follower

        open_follower(self, FocusScreen(self))

    def action_inspect(self) -> None:
        from tui.screens.focus import open_follower
        from tui.screens.inspect import InspectScreen

        open_follower(self, InspectScreen(self))

    def action_convergence_map(self) -> None:
        from tui.screens.map import open_map

        open_map(self)

    def follow(self, follower: FollowingScreen) -> None:
        self.followers.append(follower)

    def unfollow(self, follower: FollowingScreen) -> None:
        """A follower has closed: the error curve goes back to this screen's width."""
        self.followers.remove(follower)
        panel = self.query_one(ErrorPanel)
        if self.training is None:
            self._draw_errors()
        elif panel.history is not None:  # until the worker's next frame, squeezed
            curve = tuple(bucket_means(panel.history.curve, self._curve_width()))
            panel.show(dataclasses.replace(panel.history, curve=curve))

    def _tell_followers(self) -> None:
        for follower in self.followers:
            follower.main_drew()

    def action_screenshot(self) -> None:
        try:
            path = self.app.save_screenshot(path=os.getcwd())
        except OSError as err:  # a read-only, full or vanished working folder
            reason = err.strerror or str(err)
            self._say(f"Could not save a screenshot here: {reason}.", severity="error", timeout=6)
            return
        self._say(f"Screenshot saved to {path}", timeout=4)

    async def action_quit(self) -> None:
        await self.app.action_quit()

    def stop_workers(self, timeout: float = 5.0) -> bool:
        """Stop training or a jump and wait for its thread: True once the session is whole."""
        if self.training is None:
            return True
        self.action_stop_training()
        if not self._worker_idle.wait(timeout):
            return False
        self._worker_done()  # its last message may never be handled: the app is ending
        return True

    def binding_actions(self) -> list[tuple[str, str, Any]]:
        """(key, description, action) of every binding, for the command palette."""
        actions = []
        for binding in self.BINDINGS:
            if isinstance(binding, Binding) and binding.action not in ("quit", "help"):
                actions.append((binding.key, binding.description, binding.action))
        return actions
