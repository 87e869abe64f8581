"""The app's state without a screen: stepping, going back by replay, jumps, ablations, undo."""

from __future__ import annotations

import numpy as np
import pytest

from model.config import RNNConfig
from model.history import ErrorHistory
from model.network import RNN
from model.probes import Ablation
from model.stepper import BACKWARD, FORWARD, READY, UPDATE
from model.trainer import train
from tui.session import Position, Refused, Session, steps_per_iteration


def fresh(**config: object) -> Session:
    return Session(RNN(RNNConfig(**config)))  # type: ignore[arg-type]


def trained_net(iterations: int, **config: object) -> RNN:
    net = RNN(RNNConfig(**config))  # type: ignore[arg-type]
    train(net, iterations)
    return net


def state(session: Session) -> tuple[bytes, bytes, int, float]:
    net = session.net
    rng = session.stepper.resume_rng_state()
    return (
        net.params.tobytes(),
        np.asarray(rng[1]).tobytes() + bytes([rng[2] % 256]),
        (net.iteration),
        net.alpha,
    )


def test_back_retraces_every_screen_of_three_iterations() -> None:
    session = fresh()
    steps = 3 * steps_per_iteration(8) + 5
    seen = [(session.view(), session.errors.view(40))]
    for _ in range(steps):
        session.step()
        seen.append((session.view(), session.errors.view(40)))
    twin = fresh()
    for _ in range(steps):
        twin.step()
    for expected in reversed(seen[:-1]):
        session.back()
        assert (session.view(), session.errors.view(40)) == expected
    assert session.position == Position(0, 0)
    with pytest.raises(Refused, match="where the run starts: iteration 0"):
        session.back()
    for _ in range(steps):
        session.step()
    assert session.view() == seen[-1][0]
    assert state(session) == state(twin)


def test_back_across_an_update_restores_the_previous_weights_exactly() -> None:
    session = fresh()
    before = session.net.params.copy()
    session.finish_iteration()
    assert session.stepper.phase == UPDATE
    assert not np.array_equal(session.net.params, before)
    session.back()
    assert session.stepper.phase == BACKWARD and session.stepper.timestep == 0
    assert np.array_equal(session.net.params, before)
    assert len(session.errors) == 0


def test_going_back_after_training_replays_exactly() -> None:
    session = Session(RNN(RNNConfig()), spacing=300)
    session.train(2500)
    assert session.net.iteration == 2500
    assert len(session.timeline) > 5  # anchors were recorded on the way
    assert session.stepper.phase == FORWARD and session.stepper.timestep == 7  # as after f
    for _ in range(steps_per_iteration(8) * 2):
        session.back()
    here = session.position
    assert here.iteration == 2498
    reference = trained_net(2498)
    assert np.array_equal(session.net.params, reference.params)
    session.go_to(1234)
    assert np.array_equal(session.net.params, trained_net(1234).params)
    session.go_to(2500)
    twin = Session(RNN(RNNConfig()))
    twin.train(2500)
    assert state(session) == state(twin)
    assert session.errors.view(30) == twin.errors.view(30)


def test_go_to_equals_training_from_the_seed() -> None:
    session = fresh()
    for _ in range(11):
        session.step()
    assert session.go_to(5000)
    reference = trained_net(5000)
    assert reference.same_state(_resumed(session))
    assert session.stepper.phase == FORWARD and session.stepper.timestep == 7
    assert session.go_to(17)
    assert trained_net(17).same_state(_resumed(session))


def _resumed(session: Session) -> RNN:
    net = session.net.copy()
    net.rng.set_state(session.stepper.resume_rng_state())
    return net


def test_f_after_three_steps_equals_eight_steps() -> None:
    stepped, finished = fresh(), fresh()
    for _ in range(8):
        stepped.step()
    for _ in range(3):
        finished.step()
    snapshot = finished.finish_forward()
    assert snapshot == stepped.view()
    assert all(bit is not None for bit in snapshot.predicted)
    assert snapshot.predicted_value == 1 and snapshot.true_value == 69


def test_an_ablation_changes_what_stepping_shows_and_refuses_training() -> None:
    session = Session(trained_net(10_000))
    plain = session.finish_forward()
    session.back()
    session.back()
    session.set_ablation(Ablation(clamped_unit=3))
    shown = session.finish_forward()
    assert all(row is not None and row[3] == 0.0 for row in shown.layer_1)
    assert plain.layer_1[0] is not None and plain.layer_1[0][3] != 0.0
    assert shown.layer_2 != plain.layer_2
    with pytest.raises(Refused, match="ablated network"):
        session.step()
    with pytest.raises(Refused, match="ablated network"):
        session.check_can_train()
    with pytest.raises(Refused, match="ablated network"):
        session.finish_iteration()
    session.set_ablation(Ablation())
    assert session.view() == plain


def test_reset_is_undone_with_u() -> None:
    session = fresh()
    session.train(300)
    trained = state(session)
    message = session.reset()
    assert "u brings back" in message
    assert session.net.iteration == 0 and session.position == Position(0, 0)
    session.undo()
    assert state(session) == trained
    assert len(session.errors) == 300


def test_alpha_changes_survive_going_back_and_forward() -> None:
    session = Session(RNN(RNNConfig()), spacing=100)
    session.train(250)
    session.scale_alpha(2.0)
    session.train(200)
    target = state(session)
    session.go_to(120)
    assert session.net.alpha == 0.1
    session.go_to(260)
    assert session.net.alpha == 0.2
    session.go_to(450)
    assert state(session) == target


def test_training_across_an_alpha_change_makes_it_again_as_stepping_does() -> None:
    """Taken back before a change of alpha, training forward (t) passes it on the run's
    recorded course, as stepping and jumps do: the same weights at the end, not another
    run under the old alpha (it used to train straight through at 0.1)."""
    session = fresh()
    session.train(1234)
    session.scale_alpha(2.0)
    session.train(766)
    target = state(session)
    assert target[2] == 2000 and target[3] == 0.2
    session.go_to(500)
    assert session.net.alpha == 0.1
    assert session.train(1500) == 1500
    assert state(session) == target
    session.go_to(500)
    session.go_to(2000)
    assert state(session) == target


def test_training_keeps_an_anchor_at_every_spacing_with_the_stream_before_its_draw() -> None:
    session = Session(RNN(RNNConfig()), spacing=100)
    session.train(1050)
    anchors = {anchor.iteration: anchor for anchor in session.timeline.anchors()}
    assert set(range(0, 1001, 100)) <= set(anchors)
    for iteration in (100, 500, 1000):
        net = trained_net(iteration)
        assert np.array_equal(anchors[iteration].params, net.params), iteration
        kept, fresh_state = anchors[iteration].rng_state, net.rng_state()
        assert np.array_equal(kept[1], fresh_state[1]) and kept[2:] == fresh_state[2:]


def test_a_loaded_run_of_its_seed_goes_back_past_where_it_was_loaded() -> None:
    net = trained_net(700)
    errors = ErrorHistory()
    errors.extend([0.5] * 700)
    session = Session(net, errors=errors)
    assert session.timeline.start == 700 and session.back_replays_from_seed()
    session.back()  # replayed from the seed: the update of iteration 699, as it was
    assert session.position == Position(699, steps_per_iteration(8) - 1)
    assert np.array_equal(session.net.params, trained_net(700).params)
    assert session.timeline.start == 0 and len(session.errors) == 700  # the file's curve kept
    walked = fresh()
    for _ in range(699 * steps_per_iteration(8) + steps_per_iteration(8) - 1):
        walked.step()
    assert session.view() == walked.view()
    session.go_to(0)
    assert np.array_equal(session.net.params, fresh().net.params)


UNKNOWN_BEFORE_700 = "before 700, where this run was loaded, are not known: its weights"


def test_a_loaded_run_not_of_its_seed_keeps_its_history_start() -> None:
    net = trained_net(700)
    net.params[0] = np.nextafter(net.params[0], np.inf)  # one bit off the seed's course
    session = Session(net)
    before = session.net.params.copy()
    with pytest.raises(
        Refused, match="before 700, where this run was loaded, are not known: its weights"
    ):
        session.back()
    assert np.array_equal(session.net.params, before) and session.timeline.start == 700
    assert not session.back_replays_from_seed()  # known now: refused at once, no replay
    with pytest.raises(
        Refused, match="before 700, where this run was loaded, are not known: its weights"
    ):
        session.go_to(5)
    session.step()
    session.back()
    assert session.stepper.phase == READY


def test_steps_and_training_agree() -> None:
    stepped, trained = fresh(), fresh()
    for _ in range(5 * steps_per_iteration(8)):
        stepped.step()
    trained.train(5)
    stepped.finish_forward()
    assert state(stepped) == state(trained)
    assert stepped.errors.view(20) == trained.errors.view(20)


def test_going_far_back_then_stepping_back_across_iterations_is_exact() -> None:
    session = Session(RNN(RNNConfig()), spacing=500)
    session.train(3000)
    session.go_to(1777)
    views = []
    for _ in range(3 * steps_per_iteration(8)):
        session.back()
        views.append((session.view(), session.errors.view(33)))
    twin = Session(RNN(RNNConfig()))
    twin.go_to(1777)
    for expected in views:
        twin.back()
        assert (twin.view(), twin.errors.view(33)) == expected
    assert np.array_equal(session.net.params, trained_net(1774).params)


def test_history_tails_rebuild_the_block_under_way() -> None:
    history = ErrorHistory()
    history.extend(float(i) for i in range(250))
    tail = history.tail(237)
    assert tail == tuple(float(i) for i in range(200, 237))
    history.extend([9.0] * 20_000)  # the raw values of 200..236 are gone
    assert not history.truncate(237)
    assert history.truncate(237, tail)
    history.extend(float(i) for i in range(237, 300))
    fresh = ErrorHistory()
    fresh.extend(float(i) for i in range(300))
    assert history.blocks == fresh.blocks
    mine, theirs = history.view(20), fresh.view(20)
    assert (mine.last, mine.average, mine.end) == (theirs.last, theirs.average, theirs.end)


def test_jumping_back_and_forward_again_keeps_the_whole_curve() -> None:
    session = Session(RNN(RNNConfig()), spacing=500)
    session.train(24_000)
    session.go_to(150)
    assert session.errors.end == 150
    session.go_to(23_456)
    twin = Session(RNN(RNNConfig()))
    twin.go_to(23_456)
    assert session.errors.view(40) == twin.errors.view(40)
    assert session.errors.blocks == twin.errors.blocks
    assert np.array_equal(session.net.params, twin.net.params)


def test_training_with_the_compiled_kernel_keeps_an_anchor_every_4000(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("tui.session.compiled_for", lambda cell: True)  # as when it trains
    session = fresh()
    session.train(9000)
    kept = [anchor.iteration for anchor in session.timeline.anchors() if not anchor.event]
    assert kept == [4000, 8000]
    session.go_to(5555)  # replayed from 4000: the same weights all the same
    assert np.array_equal(session.net.params, trained_net(5555).params)
