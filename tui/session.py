"""The app's state and its history, without a screen: what every key does to the model.

A `Session` holds the run on show (stepper, error history, replay anchors, accuracy
points), the user's probe sum and ablation, N, the last file path and one level of
undo. Its methods are the keys' meanings (`step`, `back`, `finish_forward`, `go_to`,
`set_ablation`, `replace`, `save`, `load`, ...); a refusal is a `Refused` carrying the
sentence to show. Tests drive it directly; the screen only calls it and draws `view()`.

Positions: iteration i (the tutorial's j) and step s within it, 0 <= s < 2B + 2 for B
bits: 0 the example drawn, 1..B forward t=0..B-1, B+1..2B backward t=B-1..0, 2B+1 the
update. `back` goes to the previous position by exact replay (model.replay), so every
number on screen after going back is the number that was there.

Threads: while a training or replay worker runs (`busy`), it owns the session; the UI
only reads the messages it posts, except `accuracy`, which the UI thread adds to (a
worker going back only drops the points after where it left the run, when it ends).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from model.history import AVERAGE_OVER, RECENT, ErrorHistory
from model.kernel_choice import compiled_for
from model.network import RNN
from model.probes import NONE, Ablation
from model.replay import (
    COMPILED_SPACING,
    RECENT_STARTS,
    Anchor,
    Timeline,
    replay,
    same_state,
)
from model.stepper import BACKWARD, FORWARD, READY, UPDATE, ProbeStepper, Snapshot, Stepper
from model.trainer import ChunkReport, train

if TYPE_CHECKING:
    from model.checkpoint import Checkpoint, Probe

DEFAULT_PATH = "rnn-tui.npz"
TRAIN_COUNTS = (1, 100_000)  # the range of N
ALPHA_RANGE = (1e-4, 1e4)
MAX_GO_TO = 10**9


class Refused(Exception):
    """A key that cannot act now; `str()` is the sentence that says why."""


@dataclass(frozen=True)
class Position:
    iteration: int
    step: int


def steps_per_iteration(bits: int) -> int:
    return 2 * bits + 2


def position_of(stepper: Stepper) -> Position:
    bits, phase, t = stepper.net.bits, stepper.phase, stepper.timestep
    if phase == UPDATE:
        return Position(stepper.net.iteration - 1, 2 * bits + 1)
    if phase == READY:
        return Position(stepper.net.iteration, 0)
    assert t is not None
    if phase == FORWARD:
        return Position(stepper.net.iteration, 1 + t)
    return Position(stepper.net.iteration, 2 * bits - t)


def ablation_label(ablation: Ablation) -> str:
    parts = []
    if ablation.clamped_unit is not None:
        parts.append(f"{ablation.clamped_state}{ablation.clamped_unit}=0")
    if ablation.cut_recurrence:
        parts.append("synapse_h=0")
    return ", ".join(parts)


@dataclass
class Run:
    """One network's run: what `u` brings back after `r`, `R` or `l`."""

    stepper: Stepper
    errors: ErrorHistory
    timeline: Timeline
    accuracy: list[tuple[int, float]]  # (iteration, exact accuracy) as measured
    saved_at: int | None  # iteration last saved or loaded (None: never)
    # the longest error history this run has had since its last event: going back
    # truncates `errors`, and a jump forward again takes the curve from here, not by replay
    longest: ErrorHistory | None = None
    # the state the run was started or loaded in (its timeline's first anchor, as it came)
    origin: Anchor | None = None
    not_from_seed: bool = False  # a replay from the seed did not reach `origin`: not again


class Session:
    def __init__(
        self,
        net: RNN,
        *,
        errors: ErrorHistory | None = None,
        saved_at: int | None = None,
        spacing: int | None = None,
    ) -> None:
        self._spacing = spacing
        self.run = self._new_run(net, errors, saved_at)
        self.probe: ProbeStepper | None = None
        self.ablation: Ablation = NONE
        self.train_count = 1000
        self.last_path = DEFAULT_PATH
        self.busy = False  # a worker owns the session
        self.shown_state = "h"  # the state or gate the heatmap shows (v)
        self._undo: Run | None = None

    def _new_run(self, net: RNN, errors: ErrorHistory | None, saved_at: int | None) -> Run:
        if errors is None or errors.end != net.iteration:
            errors = ErrorHistory(net.iteration)
        start = Anchor.of(net, net.rng_state(), event=True, tail=errors.tail())
        spacing = {} if self._spacing is None else {"spacing": self._spacing}
        timeline = Timeline(start, **spacing)
        stepper = Stepper(net, timeline.typed)
        return Run(stepper, errors, timeline, [], saved_at, origin=timeline.anchors()[0])

    # -- what there is -------------------------------------------------------------------

    @property
    def stepper(self) -> Stepper:
        return self.run.stepper

    @property
    def net(self) -> RNN:
        return self.run.stepper.net

    @property
    def errors(self) -> ErrorHistory:
        return self.run.errors

    @property
    def timeline(self) -> Timeline:
        return self.run.timeline

    @property
    def position(self) -> Position:
        return position_of(self.stepper)

    @property
    def unsaved(self) -> int:
        """Iterations trained since the run started or was last saved or loaded."""
        since = self.run.saved_at if self.run.saved_at is not None else self.timeline.start
        return max(0, self.net.iteration - since)

    def view(self) -> Snapshot:
        """The snapshot the panels draw: the probe, the ablated network, or the run."""
        if self.probe is not None:
            return self.probe.snapshot()
        snapshot = self.stepper.snapshot()
        if self.ablation == NONE:
            return snapshot
        forward = sum(1 for value in snapshot.layer_2 if value is not None)
        if snapshot.phase != FORWARD and snapshot.phase != READY:
            forward = snapshot.bits
        lens = self._ablated(snapshot.a, snapshot.b)
        for _ in range(forward):
            lens.step()
        return dataclasses.replace(lens.snapshot(), probe=False)

    def _ablated(self, a: int, b: int) -> ProbeStepper:
        ab = self.ablation
        return ProbeStepper(
            self.net,
            a,
            b,
            clamped_unit=ab.clamped_unit,
            cut_recurrence=ab.cut_recurrence,
            clamped_state=ab.clamped_state,
        )

    # -- stepping --------------------------------------------------------------------------

    def _check_free(self, what: str) -> None:
        if self.busy:
            raise Refused(f"Training is running: press t or escape to stop it before {what}.")

    def _check_not_ablated(self, what: str) -> None:
        if self.ablation != NONE:
            raise Refused(
                f"The ablation ({ablation_label(self.ablation)}) is on: {what} would train "
                "the ablated network. x removes the ablation."
            )

    def step(self) -> Snapshot:
        """One observable step (n, space, right)."""
        self._check_free("stepping")
        if self.probe is not None:
            if self._probe_done():
                raise Refused(
                    "The probe's forward pass is done: o trains on this sum, "
                    "e enters another, escape goes back."
                )
            self.probe.step()
            return self.view()
        stepper = self.stepper
        at_end_of_forward = stepper.phase == FORWARD and stepper.timestep == self.net.bits - 1
        if at_end_of_forward or stepper.phase == BACKWARD:
            self._check_not_ablated("the backward pass")
        self._advance()
        return self.view()

    def _probe_done(self) -> bool:
        return self.probe is not None and self.probe.done

    def _advance(self) -> None:
        """One step of the run, keeping the error history and the anchors up to date."""
        self.stepper.advance()  # the screen asks for one snapshot, at the end
        if self.stepper.phase == UPDATE:
            assert self.stepper.last_error is not None
            self.errors.append(self.stepper.last_error)
        elif self.stepper.phase == READY:
            self._began_iteration()

    def _began_iteration(self) -> None:
        """The stepper has just drawn the example of a new iteration."""
        net, timeline = self.net, self.timeline
        event = timeline.event_at(net.iteration)
        if event is not None and not _same_start(event, net, self.stepper):
            event.restore(net)  # a change made here before going back: made again
            previous, self.run.stepper = self.run.stepper, Stepper(net, timeline.typed)
            self.run.stepper.inherit_update(previous)
        rng = self.stepper.resume_rng_state()
        if timeline.wants(net.iteration):
            timeline.record(Anchor.of(net, rng))
        timeline.remember_start(Anchor.of(net, rng, tail=self.errors.tail()))

    def back(self) -> Snapshot:
        """One step back (b, left): the previous position, number for number."""
        self._check_free("stepping back")
        if self.probe is not None:
            steps = self._probe_steps()
            if steps == 0:
                raise Refused("This is the start of the probe: escape leaves it.")
            self.probe = self._new_probe(self.probe.a, self.probe.b, steps - 1)
            return self.view()
        self.seek(self.previous_position())
        return self.view()

    def previous_position(self) -> Position:
        """Where `back` goes from the run's position (Refused at iteration 0's start)."""
        here = self.position
        if here.step > 0:
            return Position(here.iteration, here.step - 1)
        if here.iteration == 0:
            raise Refused("This is where the run starts: iteration 0, before its first example.")
        return Position(here.iteration - 1, steps_per_iteration(self.net.bits) - 1)

    def replays_from_seed(self) -> bool:
        """Might the history before the run's first anchor be rebuilt from its seed?"""
        run = self.run
        origin = run.origin
        return not run.not_from_seed and (origin is None or origin.alpha == self.net.config.alpha)

    def back_replays_from_seed(self) -> bool:
        """Does `back` from here first rebuild the history before the run's first anchor (a
        run loaded or resumed at a later iteration)? Then it can take a while: a worker's."""
        if self.probe is not None or not self.replays_from_seed():
            return False  # the refusal, known already, is said at once
        try:
            return self.previous_position().iteration < self.timeline.start
        except Refused:
            return False

    def finish_forward(self) -> Snapshot:
        """The rest of the forward pass of the example on show (f)."""
        self._check_free("stepping")
        if self.probe is not None:
            self.probe.run_forward()
            return self.view()
        if self.stepper.phase == UPDATE:
            self._advance()
        self.finish_forward_quietly()
        return self.view()

    def finish_iteration(self) -> Snapshot:
        """The rest of the iteration under way, through its update (enter)."""
        self._check_free("stepping")
        if self.probe is not None:
            raise Refused("A probe never trains: o trains one iteration on it, escape leaves.")
        self._check_not_ablated("finishing the iteration")
        if self.stepper.phase == UPDATE:
            self._advance()
        while self.stepper.phase != UPDATE:
            self._advance()
        return self.view()

    # -- going anywhere -----------------------------------------------------------------------

    def seek(
        self,
        target: Position,
        *,
        on_chunk: Callable[[ChunkReport], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> bool:
        """Put the run at `target` exactly as stepping from its start would; False if stopped."""
        try:
            if target.iteration < self.timeline.start and not self._replay_from_seed(
                on_chunk=on_chunk, should_stop=should_stop
            ):
                return False
            if not self._reach(target.iteration, on_chunk=on_chunk, should_stop=should_stop):
                return False
            for _ in range(target.step):
                self._advance()
            return True
        finally:  # also when stopped on the way: no point is later than the run on show
            self._forget_accuracy_after(self.net.iteration)

    def _replay_from_seed(
        self,
        *,
        on_chunk: Callable[[ChunkReport], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> bool:
        """The history before the run's first anchor, rebuilt by training from the seed: kept
        if that reaches the very state the run started from (a checkpoint of a run trained
        from its seed alone), refused if not. False if stopped on the way (nothing changes)."""
        run, config = self.run, self.net.config
        origin = run.origin
        assert origin is not None
        fresh = RNN(config)
        why = (
            f"its alpha, {origin.alpha:g}, is not the {fresh.alpha:g} it started with"
            if fresh.alpha != origin.alpha
            else f"its weights there are not what seed {config.seed} trains to (it trained "
            "on a sum typed with o, or elsewhere)"
        )
        unknown = Refused(
            f"Iterations before {origin.iteration:,}, where this run was loaded, are not "
            f"known: {why}."
        )
        if run.not_from_seed or fresh.alpha != origin.alpha:
            run.not_from_seed = True
            raise unknown
        earlier = Timeline(Anchor.of(fresh, fresh.rng_state()), spacing=self.timeline.spacing)
        errors = ErrorHistory(0)

        def chunk(report: ChunkReport) -> None:
            errors.extend(report.errors)
            if earlier.wants(fresh.iteration):
                earlier.record(Anchor.of(fresh, fresh.rng_state()))
            if on_chunk is not None:
                on_chunk(report)

        ran = train(
            fresh,
            origin.iteration,
            on_chunk=chunk,
            should_stop=should_stop,
            boundary=earlier.spacing,
        )
        if ran < origin.iteration:
            return False
        reached = Anchor.of(fresh, fresh.rng_state())
        if not same_state(reached, origin):
            run.not_from_seed = True
            raise unknown
        self.timeline.extend_back(earlier, reached)
        if run.errors.start == origin.iteration:  # the curve from the file, after the replay's
            run.errors = errors.followed_by(run.errors)
        if run.longest is not None and run.longest.start == origin.iteration:
            run.longest = errors.followed_by(run.longest)
        return True

    def go_to(
        self,
        iteration: int,
        *,
        on_chunk: Callable[[ChunkReport], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> bool:
        """Iteration `iteration` with its example's forward pass complete (g)."""
        if not 0 <= iteration <= MAX_GO_TO:
            raise Refused(f"Type an iteration from 0 to {MAX_GO_TO:,}.")
        if iteration > self.errors.end:
            self._check_not_ablated("going forward")
        self.probe = None
        target = Position(iteration, self.net.bits)
        return self.seek(target, on_chunk=on_chunk, should_stop=should_stop)

    def _history_complete(self) -> bool:
        """Does the history hold what the error panel draws at its end?"""
        errors = self.errors
        if len(errors) <= RECENT:
            return errors.recent_start <= errors.start
        return len(errors.recent) >= AVERAGE_OVER

    def _reach(
        self,
        iteration: int,
        *,
        on_chunk: Callable[[ChunkReport], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> bool:
        """The start of `iteration` (its example drawn), the error history ending there."""
        net, errors, timeline, run = self.net, self.errors, self.timeline, self.run
        if iteration < errors.end and (run.longest is None or errors.end > run.longest.end):
            run.longest = errors.copy()
        if iteration > errors.end and run.longest is not None and run.longest.end > errors.end:
            run.errors = errors = run.longest.copy()  # the same run, so the same errors
        known = iteration <= errors.end and errors.truncate(iteration) and self._history_complete()
        if known:
            base = timeline.base(iteration)
            record = None
        else:
            if iteration - errors.start <= RECENT:
                want = errors.start
            else:
                want = min(errors.block_start(iteration), iteration - AVERAGE_OVER)
            base = timeline.base(iteration, not_after=min(want, errors.end))
            if not errors.truncate(base.iteration, base.tail):
                self.run.errors = errors = ErrorHistory(base.iteration)
            record = errors

        replayed: list[float] = []  # the errors the replay made again (known: not recorded)

        def chunk(report: ChunkReport) -> None:
            if record is not None:
                record.extend(report.errors)
            else:
                replayed.extend(report.errors)
            if on_chunk is not None:
                on_chunk(report)

        # the last few iterations one by one, keeping their starts: stepping back from the
        # target across updates then costs no replay at all
        warm = max(base.iteration, iteration - RECENT_STARTS)
        done = replay(net, base, warm, on_chunk=chunk, should_stop=should_stop)
        if base.iteration + done == warm:
            while net.iteration < iteration and not (should_stop is not None and should_stop()):
                tail = self.errors.tail(net.iteration)
                timeline.remember_start(Anchor.of(net, net.rng_state(), tail=tail))
                train(net, 1, on_chunk=chunk)
        if known and net.iteration < iteration:  # stopped on the way: the history ends here
            self._cut_known_history(base, replayed)
        previous, self.run.stepper = self.run.stepper, Stepper(net, timeline.typed)
        self.run.stepper.inherit_update(previous)
        self._began_iteration()
        return net.iteration == iteration  # False: stopped on the way, left there

    def _cut_known_history(self, base: Anchor, replayed: list[float]) -> None:
        """The error history (known up to the target) cut at the iteration a stopped
        replay reached; the raw errors of the block under way there are the anchor's tail
        and what the replay made again."""
        errors, reached = self.errors, self.net.iteration
        first = errors.block_start(base.iteration)
        raw = [*(base.tail or ()), *replayed]
        tail = raw[errors.block_start(reached) - first :]
        if len(tail) != reached - errors.block_start(reached) or not errors.truncate(reached, tail):
            self.run.errors = ErrorHistory(reached)  # (not met: an anchor keeps its tail)

    # -- training ------------------------------------------------------------------------------

    def check_can_train(self) -> None:
        self._check_free("training again")
        self._check_not_ablated("training")

    def train(
        self,
        total: int,
        *,
        on_chunk: Callable[[ChunkReport], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
        report_every: int = 0,
    ) -> int:
        """Train `total` iterations (the first is the one under way); return how many ran.

        `report_every` > 0: chunks end at its multiples too (and at the spacing's: their
        greatest common divisor), so a paced run reports often.

        Keeps an anchor at every multiple of the timeline's spacing on the way (chunks end
        there), stops at each event of the run's recorded course to make it again, as
        stepping does (a change made after the point the run was taken back to), and ends
        with the next example's forward pass complete (what `f` shows).
        """
        self.probe = None
        net, timeline = self.net, self.timeline
        if self._spacing is None and compiled_for(net.cell):
            timeline.spacing = max(timeline.spacing, COMPILED_SPACING)
        done = 0
        while done < total and not (should_stop is not None and should_stop()):
            # the iteration trained next is net.iteration, whatever the step under way
            event = timeline.next_event_after(net.iteration)
            segment = total - done if event is None else min(total - done, event - net.iteration)
            offset = done

            def chunk(report: ChunkReport, offset: int = offset) -> None:
                self.errors.extend(report.errors)
                if timeline.wants(net.iteration):  # its example not drawn yet: an anchor
                    timeline.record(Anchor.of(net, net.rng_state()))
                if on_chunk is not None:
                    on_chunk(ChunkReport(report.iteration, offset + report.done, report.errors))

            ran = self.stepper.train(
                segment,
                on_chunk=chunk,
                should_stop=should_stop,
                boundary=math.gcd(timeline.spacing, report_every or timeline.spacing),
            )
            done += ran
            self._began_iteration()
            if ran < segment:
                break
        self.finish_forward_quietly()
        return done

    def finish_forward_quietly(self) -> None:
        """The forward pass of the example drawn, for the screen after training."""
        last = self.net.bits - 1
        while self.stepper.phase == READY or (
            self.stepper.phase == FORWARD and self.stepper.timestep != last
        ):
            self._advance()

    def train_on_probe(self) -> float:
        """One training iteration on the probe's sum (o), off the random stream."""
        self._check_free("training on a sum")
        if self.probe is None:
            raise Refused("Enter a sum first (e), then o trains one iteration on it.")
        self._check_not_ablated("training on it")
        a, b = self.probe.a, self.probe.b
        typed_at = self.net.iteration
        error = self.stepper.train_on(a, b)
        self.errors.append(error)
        self._event()
        self.timeline.note_typed(typed_at, a, b)  # stepping back into it shows this sum
        if self.stepper.phase == UPDATE:  # the update on show is an older iteration's
            self._advance()
        self.probe = self._new_probe(a, b, 0)
        return error

    def _event(self) -> None:
        """A change no replay can make: the run goes on from an event anchor."""
        self.run.longest = None  # what came after this point before is another run's
        rng = self.stepper.resume_rng_state()
        self.timeline.record(Anchor.of(self.net, rng, event=True, tail=self.errors.tail()))
        typed = self._typed_under_way()  # forgotten with the course after it: noted again
        if typed is not None:
            self.timeline.note_typed(self.net.iteration, *typed)

    # -- your own sum, ablations, alpha ------------------------------------------------------

    def start_probe(self, a: int, b: int) -> Snapshot:
        self._check_free("entering a sum")
        self.probe = self._new_probe(a, b, 0)
        return self.view()

    def _new_probe(self, a: int, b: int, steps: int) -> ProbeStepper:
        probe = self._ablated(a, b)
        for _ in range(steps):
            probe.step()
        return probe

    def _probe_steps(self) -> int:
        assert self.probe is not None
        return sum(1 for value in self.probe.snapshot().layer_2 if value is not None)

    def leave_probe(self) -> bool:
        if self.probe is None:
            return False
        self.probe = None
        return True

    def next_shown_state(self) -> str:
        """The next state or gate for the heatmap (v): LSTM h c i f o g, GRU h z r n."""
        states = self.net.info.states
        here = states.index(self.shown_state) if self.shown_state in states else 0
        self.shown_state = states[(here + 1) % len(states)]
        return self.shown_state

    def set_ablation(self, ablation: Ablation) -> None:
        unit = ablation.clamped_unit
        if unit is not None and not 0 <= unit < self.net.hidden:
            raise Refused(f"Type a unit number from 0 to {self.net.hidden - 1}.")
        if ablation.clamped_state not in self.net.info.carried:
            raise Refused(f"The {self.net.cell.upper()} has no state {ablation.clamped_state}.")
        self.ablation = ablation
        if self.probe is not None:
            self.probe = self._new_probe(self.probe.a, self.probe.b, self._probe_steps())

    def scale_alpha(self, factor: float) -> float:
        self._check_free("changing alpha")
        net = self.net
        low, high = ALPHA_RANGE  # the keys' range (--alpha may start outside it)
        scaled = net.alpha * factor
        # up never lowers alpha, down never raises it, even from outside the range
        if factor > 1:
            alpha = max(net.alpha, min(scaled, high))
        else:
            alpha = min(net.alpha, max(scaled, low))
        if alpha != net.alpha:  # at a limit nothing changes: no event in the run's course
            net.alpha = alpha
            self._event()
        return net.alpha

    def set_train_count(self, count: int) -> None:
        self.train_count = min(max(count, TRAIN_COUNTS[0]), TRAIN_COUNTS[1])

    # -- accuracy points (UI thread only) ----------------------------------------------------

    def add_accuracy(self, iteration: int, exact: float) -> None:
        points = self.run.accuracy
        self._forget_accuracy_after(iteration - 1)
        points.append((iteration, exact))

    def _forget_accuracy_after(self, iteration: int) -> None:
        points = self.run.accuracy
        while points and points[-1][0] > iteration:
            points.pop()

    # -- other networks ------------------------------------------------------------------------

    def replace(
        self, net: RNN, *, errors: ErrorHistory | None = None, saved_at: int | None = None
    ) -> str:
        """Show another network (r, R, l); the run it replaces comes back with `u`."""
        self._check_free("replacing the network")
        replaced = self.run
        self.run = self._new_run(net, errors, saved_at)
        self._undo = replaced
        self.probe = None
        self._fit_view_to(net)
        lost = replaced.stepper.net.iteration
        return f"u brings back the network you had (iteration {lost:,})."

    def open_run(self, net: RNN) -> str:
        """`replace` with a run about to be trained forward from its seed (a run chosen on
        the convergence map, then `go_to`): refused up front where going forward would be."""
        self._check_free("opening a run")
        self._check_not_ablated("training it to its iteration")
        return self.replace(net)

    def _fit_view_to(self, net: RNN) -> None:
        """After another network came on show: drop what does not apply to it."""
        ab = self.ablation
        if (ab.clamped_unit is not None and ab.clamped_unit >= net.hidden) or (
            ab.clamped_state not in net.info.carried
        ):
            self.ablation = NONE
        if self.shown_state not in net.info.states:
            self.shown_state = "h"

    def reset(self) -> str:
        old = self.net
        fresh = RNN(old.config)
        fresh.alpha = old.alpha
        return "Reset to the seed's initial weights. " + self.replace(fresh)

    def undo(self) -> str:
        self._check_free("undoing")
        if self._undo is None:
            raise Refused("Nothing to undo: u undoes the last r, R or l.")
        self.run, self._undo = self._undo, self.run
        self.probe = None
        self._fit_view_to(self.net)
        return (
            f"Back to the network you had: iteration {self.net.iteration:,} (u again swaps back)."
        )

    # -- files ---------------------------------------------------------------------------------

    def save(self, path: str, *, as_session: bool = False) -> None:
        """Write the run (and its error history) to `path`; CheckpointError when it cannot.

        `as_session`: also N and the step under way, as the session file keeps them."""
        self._check_free("saving")
        from model.checkpoint import save_checkpoint  # not needed to start

        save_checkpoint(
            path,
            self.net,
            rng_state=self.stepper.resume_rng_state(),
            errors=self.errors,
            train_count=self.train_count if as_session else None,
            step=self._resume_step() if as_session else None,
            typed=self._typed_under_way() if as_session else None,
            probe=self._probe_on_show() if as_session else None,
            ablation=None if not as_session or self.ablation == NONE else self.ablation,
            accuracy=self.run.accuracy,
        )
        if not as_session:
            self.last_path = path
            self.run.saved_at = self.net.iteration

    def _resume_step(self) -> int:
        """The step to walk to after loading: 0 at an update (the file holds its result)."""
        return 0 if self.stepper.phase == UPDATE else self.position.step

    def _typed_under_way(self) -> tuple[int, int] | None:
        """The example under way when it is a typed sum (o's iteration, stepped back into)."""
        stepper = self.stepper
        if stepper.typed and stepper.phase != UPDATE:
            return stepper.a, stepper.b
        return None

    def _probe_on_show(self) -> Probe | None:
        from model.checkpoint import Probe  # not needed to start

        if self.probe is None:
            return None
        return Probe(self.probe.a, self.probe.b, self._probe_steps())

    def save_session(self, path: str) -> None:
        """The session file: the checkpoint plus N and the step under way."""
        self.save(path, as_session=True)

    @classmethod
    def resumed(cls, path: str) -> Session:
        """The session saved in `path` by `save_session`, at the step it was saved at."""
        from model.checkpoint import read_checkpoint

        saved = read_checkpoint(path)
        session = cls(saved.net, errors=saved.errors, saved_at=saved.net.iteration)
        session.run.accuracy = list(saved.accuracy)  # the climb, as measured before
        if saved.typed is not None:  # the example under way was typed, not drawn
            net = session.net
            net.rng.set_state(session.stepper.resume_rng_state())
            session.timeline.note_typed(net.iteration, *saved.typed)
            session.run.stepper = Stepper(net, session.timeline.typed)
        if saved.train_count is not None:
            session.set_train_count(saved.train_count)
        for _ in range(saved.step or 0):
            session._advance()
        if saved.ablation is not None:  # checked against the network when read
            session.set_ablation(saved.ablation)
        if saved.probe is not None:  # your own sum on show, as far as it was stepped
            probe = saved.probe
            session.probe = session._new_probe(probe.a, probe.b, probe.steps)
        return session

    def load(self, path: str) -> str:
        self._check_free("loading")
        from model.checkpoint import read_checkpoint  # not needed to start

        return self.install(read_checkpoint(path), path)

    def install(self, saved: Checkpoint, path: str) -> str:
        """Put a checkpoint read from `path` in place of the network (what `load` does
        after reading; the app reads in its prompt, so that a refusal keeps it open)."""
        self._check_free("loading")
        self.last_path = path
        net = saved.net
        message = self.replace(net, errors=saved.errors, saved_at=net.iteration)
        self.run.accuracy = list(saved.accuracy)
        return f"Loaded {path}: iteration {net.iteration:,}. {message}"


def _same_start(anchor: Anchor, net: RNN, stepper: Stepper) -> bool:
    return same_state(anchor, Anchor.of(net, stepper.resume_rng_state()))
