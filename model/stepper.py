"""The tutorial's training iteration as a walk of small, observable steps.

One iteration is 2 + 2B steps (B = bits):

    ready        an example a + b has been drawn from the random stream
    forward t    t = 0 .. B-1: the cell's states (layer_1 = h) and layer_2 of timestep t
                 (overallError after the last)
    backward t   t = B-1 .. 0: the deltas into h (layer_1_delta) and, for the LSTM, into c
                 of timestep t (backpropagation through time)
    update       every weight += alpha * its summed gradient

Every step runs the same kernel code as bulk training, so walking an iteration step by
step and training it in one call leave bit-identical weights and random state. After
each step `snapshot()` returns an immutable picture (plain tuples and numbers) that a
UI may keep and draw from any thread.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from model.config import DEFAULT_INIT
from model.encoding import bits_lsb_first, from_bits_lsb_first, problem_bits
from model.network import RNN
from model.trainer import ChunkReport, Kernel, kernel_for, train

READY, FORWARD, BACKWARD, UPDATE = "ready", "forward", "backward", "update"


@dataclass(frozen=True)
class Snapshot:
    """Everything a screen shows about the iteration under way. LSB-first sequences."""

    iteration: int  # iterations completed (the update on show is counted: see example_iteration)
    phase: str  # READY, FORWARD, BACKWARD or UPDATE
    timestep: int | None  # the timestep the last forward/backward step computed
    a: int
    b: int
    bits: int
    hidden: int
    seed: int
    alpha: float
    true_bits: tuple[int, ...]
    predicted: tuple[int | None, ...]  # None until that timestep's forward step ran
    layer_2: tuple[float | None, ...]
    layer_1: tuple[tuple[float, ...] | None, ...]  # per timestep: H activations
    layer_1_delta: tuple[tuple[float, ...] | None, ...]  # per timestep, filled going backward
    overall_error: float | None  # known once the forward pass is complete
    update_size: tuple[float, float, float] | None  # max |change| of synapse_0, _1, _h
    finite: bool  # False once the weights have overflowed to inf/nan
    probe: bool = False  # a sum chosen by the user, run forward without training
    typed: bool = False  # a sum chosen by the user that this iteration trains on (o)
    cell: str = "rnn"
    init: tuple[float, float] = DEFAULT_INIT  # the range the initial weights were drawn from
    # every state and gate the cell exposes (RNN: h; LSTM: h c i f o g; GRU: h z r n), per
    # timestep, None until that timestep's forward step ran; "h" is layer_1
    states: Mapping[str, tuple[tuple[float, ...] | None, ...]] = field(default_factory=dict)
    # the deltas flowing into h (layer_1_delta) and, for the LSTM, into c, per timestep
    deltas: Mapping[str, tuple[tuple[float, ...] | None, ...]] = field(default_factory=dict)
    update_sizes: Mapping[str, float] | None = None  # max |change| of every weight, bias too

    @property
    def example_iteration(self) -> int:
        """The tutorial's j of the example on show: the iterations completed before it, so
        during its update (already counted in `iteration`) one less."""
        return self.iteration - 1 if self.phase == UPDATE else self.iteration

    @property
    def phase_label(self) -> str:
        if self.phase in (FORWARD, BACKWARD):
            return f"{self.phase} t={self.timestep}"
        if self.phase == READY:
            return "your sum" if self.probe or self.typed else "example drawn"
        return "update"

    @property
    def true_value(self) -> int:
        return self.a + self.b

    @property
    def predicted_value(self) -> int:
        """The tutorial's `out`: predicted bits read as a number (unknown bits as 0)."""
        return sum((bit or 0) << t for t, bit in enumerate(self.predicted))


class Stepper:
    """Drives one RNN through iterations step by step (or many at once)."""

    is_probe = False

    def __init__(self, net: RNN, typed: Mapping[int, tuple[int, int]] | None = None) -> None:
        self.net = net
        # iterations the user trained on a sum of their own (o): those examples come from
        # here, drawn from no stream (the map is the run's own, so later entries count)
        self._typed: Mapping[int, tuple[int, int]] = {} if typed is None else typed
        self.typed = False  # the example under way is one of those
        self.kernel: Kernel = kernel_for(net)
        self._side_kernel: Kernel | None = None
        self.last_error: float | None = None
        # the update that made the weights on show: (the iteration count it led to, max
        # |change| of each weight), from whichever kernel made it (stepped, t, o)
        self._update_record: tuple[int, dict[str, float]] | None = None
        self._begin_example()

    # -- stepping --------------------------------------------------------------------

    def _begin_example(self) -> None:
        self._rng_before_example: tuple[Any, ...] | None = self.net.rng_state()
        typed = self._typed.get(self.net.iteration)
        self.typed = typed is not None
        self._load(*(typed if typed is not None else self.net.draw_example()))

    def _load(self, a: int, b: int) -> None:
        """Start an iteration on a + b with the current weights (phase READY)."""
        self.a, self.b = a, b
        X, Y = problem_bits(np.array([a]), np.array([b]), self.net.bits)
        with np.errstate(all="ignore"):  # diverged weights: numbers on screen, no warnings
            self.kernel.load_example(self.net, X[0], Y[0])
        self.phase: str = READY
        self.timestep: int | None = None
        self._forward_done = 0  # timesteps whose forward step has run
        self._backward_from = self.net.bits  # lowest timestep whose delta is known

    def step(self) -> Snapshot:
        """Advance by one observable step and return the new snapshot."""
        self.advance()
        return self.snapshot()

    def advance(self) -> None:
        """Advance by one observable step, building no snapshot (replays walk many)."""
        with np.errstate(all="ignore"):
            self._advance()

    def _advance(self) -> None:
        bits, kernel = self.net.bits, self.kernel
        if self.phase == UPDATE:
            self._begin_example()
            return
        t_now = -1 if self.timestep is None else self.timestep
        if self.phase == READY or (self.phase == FORWARD and t_now < bits - 1):
            t = self._forward_done
            kernel.forward(t, t + 1)
            kernel.outputs(t, t + 1)
            self._forward_step_done(t)
            self._forward_done = t + 1
            if t == bits - 1:
                kernel.score()
            self.phase, self.timestep = FORWARD, t
        elif self.phase == FORWARD or (self.phase == BACKWARD and t_now > 0):
            t = self._backward_from - 1
            if t == bits - 1:
                kernel.prepare_backward(self.net)
            kernel.backward(self.net, t, t - 1)
            self._backward_from = t
            self.phase, self.timestep = BACKWARD, t
        else:
            kernel.update(self.net)
            self._record_update(kernel)
            self.last_error = kernel.overall_error
            self.phase, self.timestep = UPDATE, None

    def _forward_step_done(self, t: int) -> None:
        """Timestep t's state and output are made, before the score (a probe clamps here)."""

    def finish_iteration(self) -> float:
        """Run the rest of the iteration under way (through its update); return its error."""
        while self.phase != UPDATE:
            with np.errstate(all="ignore"):
                self._advance()
        return self.kernel.overall_error

    # -- bulk training -----------------------------------------------------------------

    def train(
        self,
        iterations: int,
        *,
        on_chunk: Callable[[ChunkReport], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
        boundary: int = 0,
    ) -> int:
        """Train `iterations` iterations, the first being the one under way.

        Leaves the next example drawn (phase READY). Returns iterations completed.
        `boundary`: as model.trainer.train's (a report at each multiple of it).
        """
        if iterations <= 0:
            return 0
        done = 0
        while done < iterations:
            if done > 0 and should_stop is not None and should_stop():
                break
            # the iteration under way by itself (a typed one among them), then the stream's
            # examples in bulk up to the next typed iteration
            if self.phase == UPDATE:
                self._begin_example()
            error = self.finish_iteration()
            done += 1
            if on_chunk is not None:
                on_chunk(ChunkReport(self.net.iteration, done, (error,)))
            bulk = min(iterations - done, self._untyped_run())
            offset = done

            def shifted(report: ChunkReport, offset: int = offset) -> None:
                if on_chunk is not None:
                    on_chunk(ChunkReport(report.iteration, report.done + offset, report.errors))

            ran = train(
                self.net,
                bulk,
                kernel=self.kernel,
                on_chunk=shifted,
                should_stop=should_stop,
                boundary=boundary,
            )
            done += ran
            self.last_error = self.kernel.overall_error
            if ran:  # (else the iteration under way's update was recorded as it was made)
                self._record_update(self.kernel)
            self._begin_example()
            if ran < bulk:
                break
        return done

    def _record_update(self, kernel: Kernel) -> None:
        sizes = self.net.spec.max_abs(kernel.last_update)
        self._update_record = (
            self.net.iteration,
            dict(zip(self.net.spec.names, sizes, strict=True)),
        )

    def inherit_update(self, previous: Stepper) -> None:
        """Keep the update `previous` recorded, when it made the weights at this very
        iteration of the run (a stepper made again there, going back within an iteration)."""
        record = previous._update_record
        if record is not None and record[0] == self.net.iteration and previous.net is self.net:
            self._update_record = record

    def last_update_sizes(self) -> dict[str, float] | None:
        """Max |change| of each weight in the update that made the weights on show; None
        when no update made them in this stepper (restored: reset, loaded, gone to)."""
        record = self._update_record
        if record is None or record[0] != self.net.iteration:
            return None
        return dict(record[1])

    def _untyped_run(self) -> int:
        """How many iterations from the next one on draw their examples from the stream."""
        later = [i for i in self._typed if i >= self.net.iteration]
        return min(later) - self.net.iteration if later else 2**62

    def train_on(self, a: int, b: int) -> float:
        """One training iteration on a chosen sum, drawn from no random stream.

        The weights change, so an example under way is restarted from its first
        timestep (same a + b, nothing drawn). Returns the iteration's overallError.
        """
        if self._side_kernel is None:
            self._side_kernel = kernel_for(self.net)
        X, Y = problem_bits(np.array([a]), np.array([b]), self.net.bits)
        with np.errstate(all="ignore"):
            error = self._side_kernel.run(self.net, X[0], Y[0])
        self._record_update(self._side_kernel)
        self.last_error = error
        if self.phase != UPDATE:
            self._load(self.a, self.b)
        return error

    def resume_rng_state(self) -> tuple[Any, ...]:
        """The random state a checkpoint should hold: before the example under way."""
        if self.phase == UPDATE or self._rng_before_example is None:
            return self.net.rng_state()
        return self._rng_before_example

    # -- what a screen draws -------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        """The step under way: what has been computed so far of the current example."""
        return self._picture(
            self.phase,
            self.timestep,
            self.a,
            self.b,
            self._forward_done,
            self._backward_from,
            typed=self.typed,
        )

    def trained_snapshot(self) -> Snapshot:
        """The last iteration bulk training ran, complete (call between training chunks)."""
        bits = self.net.bits
        digits = self.kernel.X.astype(int)
        a, b = from_bits_lsb_first(digits[:, 0]), from_bits_lsb_first(digits[:, 1])
        return self._picture(UPDATE, None, a, b, bits, 0, typed=False)  # bulk: drawn

    def _picture(
        self,
        phase: str,
        timestep: int | None,
        a: int,
        b: int,
        known: int,
        backward_from: int,
        *,
        typed: bool,
    ) -> Snapshot:
        net, kernel, bits = self.net, self.kernel, self.net.bits
        outputs = kernel.layer_2.reshape(-1).tolist()
        states = {
            name: tuple(tuple(row) if t < known else None for t, row in enumerate(rows.tolist()))
            for name, rows in kernel.states().items()
        }
        deltas = {
            name: tuple(
                tuple(row) if t >= backward_from else None for t, row in enumerate(rows.tolist())
            )
            for name, rows in kernel.deltas().items()
        }
        scored = known == bits
        update_size = update_sizes = None
        if phase == UPDATE:
            update_sizes = dict(
                zip(net.spec.names, net.spec.max_abs(kernel.last_update), strict=True)
            )
            update_size = (
                update_sizes["synapse_0"],
                update_sizes["synapse_1"],
                update_sizes["synapse_h"],
            )
        return Snapshot(
            iteration=net.iteration,
            phase=phase,
            timestep=timestep,
            a=a,
            b=b,
            bits=bits,
            hidden=net.hidden,
            seed=net.config.seed,
            alpha=net.alpha,
            true_bits=tuple(bits_lsb_first(a + b, bits)),
            predicted=tuple(int(v > 0.5) if t < known else None for t, v in enumerate(outputs)),
            layer_2=tuple(v if t < known else None for t, v in enumerate(outputs)),
            layer_1=states["h"],
            layer_1_delta=deltas["h"],
            overall_error=kernel.overall_error if scored else None,
            update_size=update_size,
            finite=net.is_finite(),
            probe=self.is_probe,
            typed=typed,
            cell=net.cell,
            init=net.config.init,
            states=states,
            deltas=deltas,
            update_sizes=update_sizes,
        )


class ProbeStepper(Stepper):
    """A chosen sum run forward through the current weights: nothing drawn, nothing trained.

    Optionally under an ablation: one unit of h (or, for the LSTM, of c: `clamped_state`)
    forced to 0 after every timestep, and/or synapse_h taken as zero (the same ablations
    `model.probes` measures).
    """

    is_probe = True

    def __init__(
        self,
        net: RNN,
        a: int,
        b: int,
        *,
        clamped_unit: int | None = None,
        cut_recurrence: bool = False,
        clamped_state: str = "h",
    ) -> None:
        limit = net.config.operand_limit
        if not (0 <= a < limit and 0 <= b < limit):
            raise ValueError(f"operands must be between 0 and {limit - 1}")
        if clamped_unit is not None and not 0 <= clamped_unit < net.hidden:
            raise ValueError(f"unit must be between 0 and {net.hidden - 1}")
        if clamped_state not in net.info.carried:
            raise ValueError(f"a {net.cell} carries only {', '.join(net.info.carried)}")
        self._example = (a, b)
        self.clamped_unit, self.cut_recurrence = clamped_unit, cut_recurrence
        self.clamped_state = clamped_state
        super().__init__(net)

    def _begin_example(self) -> None:
        self._rng_before_example = None
        self._load(*self._example)
        if self.cut_recurrence:
            self.kernel.cut_recurrence()  # this kernel's copy only; the net is untouched

    @property
    def done(self) -> bool:
        return self.phase == FORWARD and self.timestep == self.net.bits - 1

    def _advance(self) -> None:
        if self.done:
            return  # a probe stops after the forward pass: no backward, no update
        super()._advance()

    def _forward_step_done(self, t: int) -> None:
        # before the last timestep's score: overallError sums the clamped outputs shown
        if self.clamped_unit is not None:
            self.kernel.clamp(t, self.clamped_unit, self.clamped_state)

    def run_forward(self) -> Snapshot:
        while not self.done:
            self.step()
        return self.snapshot()

    def train(self, iterations: int, **_: object) -> int:  # type: ignore[override]
        raise TypeError("a probe never trains; use Stepper.train_on(a, b)")

    def resume_rng_state(self) -> tuple[Any, ...]:
        return self.net.rng_state()
