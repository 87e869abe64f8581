"""Exploration and lecture tools of the app, as actions mixed into RNNApp.

Your own sum (a probe that never trains), ablations, live alpha, save and load,
weights, a new seed or hidden size, and SVG screenshots. Every action that would
change the model is refused while the training worker owns it.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from model.config import RNNConfig
from model.network import RNN
from model.probes import NONE, Ablation
from model.stepper import ProbeStepper, Stepper
from tui.parsing import parse_load_path, parse_reset, parse_save_path, parse_sum, parse_unit
from tui.widgets.prompt import PromptScreen
from tui.widgets.weights import WeightsScreen, weights_text, wider_accuracy

if TYPE_CHECKING:
    from tui.app import RNNApp

ALPHA_RANGE = (1e-4, 1e4)


def ablation_label(ablation: Ablation) -> str:
    parts = []
    if ablation.clamped_unit is not None:
        parts.append(f"h{ablation.clamped_unit}=0")
    if ablation.cut_recurrence:
        parts.append("synapse_h=0")
    return ", ".join(parts)


class ExploreActions:
    """Mixin for RNNApp: the keys of the exploration tools."""

    # -- your own sum ------------------------------------------------------------------

    def action_enter_sum(self: RNNApp) -> None:
        if self._refuse_while_training("entering a sum"):
            return
        bits = self.stepper.net.bits
        self.push_screen(
            PromptScreen(
                "Your own sum, run forward without training (a probe)",
                lambda text: parse_sum(text, bits),
                hint="e.g. 9 + 60   then n steps it, o trains on it once, escape leaves",
            ),
            self._start_probe,
        )

    def _start_probe(self: RNNApp, operands: tuple[int, int] | None) -> None:
        if operands is None:
            return
        self.probe = self._new_probe(*operands)
        self._show(self.probe.snapshot())

    def _new_probe(self: RNNApp, a: int, b: int) -> ProbeStepper:
        ab = self.ablation
        return ProbeStepper(
            self.stepper.net, a, b, clamped_unit=ab.clamped_unit, cut_recurrence=ab.cut_recurrence
        )

    def action_train_on_sum(self: RNNApp) -> None:
        if self._refuse_while_training("training on a sum"):
            return
        if self.probe is None:
            self.notify("Enter a sum first (e), then o trains one iteration on it.", timeout=3)
            return
        a, b = self.probe.a, self.probe.b
        self.errors.append(self.stepper.train_on(a, b))
        self.probe = self._new_probe(a, b)
        self._show(self.probe.snapshot())
        self._show_errors()
        self._measure()
        self.notify(f"Trained one iteration on {a} + {b} (not from the random stream).", timeout=3)

    def action_leave(self: RNNApp) -> None:
        """Escape: stop training; otherwise leave the probe."""
        if self.training is not None:
            self.action_stop_training()
        elif self.probe is not None:
            self.probe = None
            self._show(self.stepper.snapshot())

    # -- ablations ---------------------------------------------------------------------

    def action_ablate_unit(self: RNNApp) -> None:
        hidden = self.stepper.net.hidden
        unit = self.ablation.clamped_unit
        if unit is None:
            unit = self.carry_unit
        self.push_screen(
            PromptScreen(
                "Clamp a hidden unit to 0 (the carry-like unit is pre-selected)",
                lambda text: parse_unit(text, hidden),
                value="" if unit is None else str(unit),
                hint="blank for none; h cuts synapse_h; x removes every ablation",
            ),
            self._set_clamped_unit,
        )

    def _set_clamped_unit(self: RNNApp, unit: int | None) -> None:
        if unit is None:
            return
        clamped = None if unit < 0 else unit
        self._set_ablation(Ablation(clamped, self.ablation.cut_recurrence))

    def action_cut_recurrence(self: RNNApp) -> None:
        ab = self.ablation
        self._set_ablation(Ablation(ab.clamped_unit, not ab.cut_recurrence))

    def action_clear_ablation(self: RNNApp) -> None:
        if self.ablation != NONE:
            self._set_ablation(NONE)

    def _set_ablation(self: RNNApp, ablation: Ablation) -> None:
        self.ablation = ablation
        if self.probe is not None:
            self.probe = self._new_probe(self.probe.a, self.probe.b)
            self._show(self.probe.snapshot())
        self._show_status()
        self.query_one("#error").show_accuracy(None, None, ablation_label(ablation))
        if self.training is None:
            self._measure()

    # -- hyperparameters -----------------------------------------------------------------

    def action_alpha_up(self: RNNApp) -> None:
        self._scale_alpha(2.0)

    def action_alpha_down(self: RNNApp) -> None:
        self._scale_alpha(0.5)

    def _scale_alpha(self: RNNApp, factor: float) -> None:
        if self._refuse_while_training("changing alpha"):
            return
        net = self.stepper.net
        net.alpha = min(max(net.alpha * factor, ALPHA_RANGE[0]), ALPHA_RANGE[1])
        self._show(self._current().snapshot())
        self.notify(f"alpha = {net.alpha:g}", timeout=2)

    def action_new_network(self: RNNApp) -> None:
        if self._refuse_while_training("starting a new network"):
            return
        config = self.stepper.net.config
        self.push_screen(
            PromptScreen(
                "New network: seed and hidden size (starts from iteration 0)",
                parse_reset,
                value=f"{config.seed} {config.hidden}",
                hint="e.g. 3 8",
            ),
            self._new_network,
        )

    def _new_network(self: RNNApp, choice: tuple[int, int] | None) -> None:
        if choice is None:
            return
        seed, hidden = choice
        old = self.stepper.net
        config = RNNConfig(seed=seed, hidden=hidden, alpha=old.alpha, bits=old.bits)
        self._replace_network(RNN(config), f"New network: seed {seed}, {hidden} hidden units.")

    # -- save and load -------------------------------------------------------------------

    def action_save(self: RNNApp) -> None:
        if self._refuse_while_training("saving"):
            return
        self.push_screen(
            PromptScreen(
                "Save the network to",
                parse_save_path,
                value=self.last_path,
                hint="a .npz checkpoint; saving replaces the file atomically",
            ),
            self._save_to,
        )

    def _save_to(self: RNNApp, path: str | None, confirmed: bool = False) -> None:
        if path is None:
            return
        if os.path.exists(path) and not confirmed:
            self.push_screen(
                PromptScreen(
                    f"{path} exists. Type yes to overwrite it.",
                    lambda text: (text.strip().lower() == "yes", None),
                ),
                lambda yes: self._save_to(path, confirmed=True) if yes else None,
            )
            return
        from model.checkpoint import CheckpointError, save_checkpoint  # not needed to start

        try:
            save_checkpoint(path, self.stepper.net, rng_state=self.stepper.resume_rng_state())
        except CheckpointError as err:
            self.notify(str(err), severity="error", timeout=6)
            return
        self.last_path = path
        self.notify(f"Saved iteration {self.stepper.net.iteration:,} to {path}", timeout=3)

    def action_load(self: RNNApp) -> None:
        if self._refuse_while_training("loading"):
            return
        self.push_screen(
            PromptScreen("Load a network from", parse_load_path, value=self.last_path),
            self._load_from,
        )

    def _load_from(self: RNNApp, path: str | None) -> None:
        if path is None:
            return
        from model.checkpoint import CheckpointError, load_checkpoint  # not needed to start

        try:
            net = load_checkpoint(path)
        except CheckpointError as err:
            self.notify(str(err), severity="error", timeout=6)
            return
        self.last_path = path
        self._replace_network(net, f"Loaded {path}: iteration {net.iteration:,}.")

    def _replace_network(self: RNNApp, net: RNN, message: str) -> None:
        self.stepper = Stepper(net)
        self.probe = None
        self.errors.clear()
        self._show(self.stepper.snapshot())
        self._show_errors()
        self._show_status()
        self._measure()
        self.notify(message, timeout=3)

    # -- looking closer --------------------------------------------------------------------

    def action_weights(self: RNNApp) -> None:
        if self._refuse_while_training("opening the weights"):
            return
        net = self.stepper.net
        last = self.stepper.snapshot().update_size or self.last_update_size
        text = weights_text(
            net.synapse_0,
            net.synapse_1,
            net.synapse_h,
            last,
            wider_accuracy(net.synapse_0, net.synapse_1, net.synapse_h),
        )
        self.push_screen(WeightsScreen(text))

    def action_screenshot(self: RNNApp) -> None:
        path = self.save_screenshot(path=os.getcwd())
        self.notify(f"Screenshot saved to {path}", timeout=4)
