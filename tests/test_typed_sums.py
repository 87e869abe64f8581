"""An iteration trained on a sum the user typed (o) is part of the run's course: stepping
back into it shows that sum, forward again retraces it bit for bit, and training across
it (after going back) trains it again rather than the example the stream would draw."""

from __future__ import annotations

import numpy as np
import pytest

from model.config import RNNConfig
from model.encoding import problem_bits
from model.network import RNN
from model.replay import Anchor
from model.stepper import READY, UPDATE, Stepper
from model.trainer import kernel_for, train
from tui.session import Position, Session, steps_per_iteration

LAST = steps_per_iteration(8) - 1


def trained_on_typed(at: int = 1000) -> tuple[Session, np.ndarray, float, tuple[int, int]]:
    """A session trained to `at`, then one iteration on 5 + 7 (o); the weights after it."""
    session = Session(RNN(RNNConfig()))
    session.train(at)
    drawn = (session.view().a, session.view().b)
    session.start_probe(5, 7)
    error = session.train_on_probe()
    session.leave_probe()
    return session, session.net.params.copy(), error, drawn


def test_back_into_a_typed_iteration_shows_the_typed_sum() -> None:
    session, after, error, drawn = trained_on_typed()
    assert session.position == Position(1001, 0)
    assert (session.view().a, session.view().b) == drawn  # the stream's next example waits
    assert not session.view().typed
    session.back()
    view = session.view()
    assert session.position == Position(1000, LAST) and view.phase == UPDATE
    assert (view.a, view.b) == (5, 7) and view.typed
    session.seek(Position(1000, 0))
    assert session.view().typed and session.view().phase_label == "your sum"
    session.finish_iteration()  # stepped, not the side kernel: the very same bits
    assert np.array_equal(session.net.params, after)
    assert session.stepper.last_error == error
    session.step()  # the example after it is the stream's, as it was after o
    assert (session.view().a, session.view().b) == drawn and not session.view().typed


def test_training_across_a_typed_iteration_trains_it_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    session, _, _, _ = trained_on_typed()
    session.train(40)  # 1001 .. 1040
    later = session.net.params.copy()
    assert session.net.iteration == 1041
    restored: list[int] = []
    original = Anchor.restore

    def spy(anchor: Anchor, net: RNN) -> None:
        restored.append(anchor.iteration)
        original(anchor, net)

    session.go_to(990)
    monkeypatch.setattr(Anchor, "restore", spy)
    session.train(51)  # 990 .. 1040, the typed iteration 1000 among them
    assert session.net.iteration == 1041
    assert restored == []  # never put right by the event anchor: trained right
    assert np.array_equal(session.net.params, later)


def test_stepper_train_across_typed_iterations_equals_training_in_pieces() -> None:
    typed = {3: (100, 27), 4: (0, 0), 9: (127, 127)}
    stepper = Stepper(RNN(RNNConfig()), typed)
    assert stepper.train(12) == 12
    assert stepper.phase == READY and stepper.net.iteration == 12

    pieces = RNN(RNNConfig())
    kernel = kernel_for(pieces)

    def train_on(a: int, b: int) -> None:  # one iteration on a + b, nothing drawn
        X, Y = problem_bits(np.array([a]), np.array([b]), 8)
        kernel.run(pieces, X[0], Y[0])

    train(pieces, 3)
    train_on(100, 27)
    train_on(0, 0)
    train(pieces, 4)
    train_on(127, 127)
    train(pieces, 2)
    assert pieces.iteration == 12
    assert np.array_equal(stepper.net.params, pieces.params)
    ours, theirs = stepper.resume_rng_state(), pieces.rng_state()
    assert np.array_equal(ours[1], theirs[1]) and ours[2:] == theirs[2:]


def test_a_typed_iteration_is_forgotten_with_the_course_it_was_part_of() -> None:
    session, _, _, _ = trained_on_typed()
    session.go_to(900)
    session.scale_alpha(2.0)  # another course from 900 on
    assert session.timeline.typed == {}
    session.train(200)
    session.go_to(1000)
    assert not session.view().typed


def test_alpha_changed_at_the_start_of_a_typed_iteration_keeps_it_typed() -> None:
    session, _, _, _ = trained_on_typed()
    session.seek(Position(1000, 0))
    session.scale_alpha(0.5)
    assert session.timeline.typed == {1000: (5, 7)}
    session.finish_iteration()
    trained = session.net.params.copy()
    session.seek(Position(1000, 0))
    assert session.view().typed and (session.view().a, session.view().b) == (5, 7)
    session.finish_iteration()
    assert np.array_equal(session.net.params, trained)


def test_a_session_saved_inside_a_typed_iteration_resumes_on_that_sum(tmp_path) -> None:
    session, after, _, drawn = trained_on_typed(300)
    session.seek(Position(300, 4))  # forward t=3 of the typed 5 + 7
    path = str(tmp_path / "session.npz")
    session.save_session(path)
    resumed = Session.resumed(path)
    assert resumed.position == Position(300, 4)
    assert resumed.view() == session.view() and resumed.view().typed
    resumed.finish_iteration()
    assert np.array_equal(resumed.net.params, after)
    resumed.step()
    assert (resumed.view().a, resumed.view().b) == drawn  # then the stream, as it was


def test_a_typed_sum_in_a_file_is_checked_against_the_width(tmp_path) -> None:
    from model.checkpoint import CheckpointError, read_checkpoint, save_checkpoint

    path = str(tmp_path / "wide.npz")
    with pytest.raises(CheckpointError, match="operand over 127"):
        save_checkpoint(path, RNN(RNNConfig()), step=1, typed=(128, 0))
    save_checkpoint(path, RNN(RNNConfig(bits=16)), step=1, typed=(128, 0))
    assert read_checkpoint(path).typed == (128, 0)


def test_o_at_an_update_goes_on_to_the_next_example() -> None:
    session = Session(RNN(RNNConfig()))
    session.train(300)
    session.seek(Position(299, LAST))  # the update of iteration 299 on show
    session.start_probe(7, 8)
    session.train_on_probe()  # iteration 300, on 7 + 8
    session.leave_probe()
    view = session.view()
    assert session.position == Position(301, 0) and view.iteration == 301
    assert view.phase == READY and not view.typed  # the stream's example, drawn
    session.back()
    assert (session.view().a, session.view().b) == (7, 8) and session.view().phase == UPDATE


def test_a_session_step_beyond_its_width_is_refused(tmp_path) -> None:
    from model.checkpoint import CheckpointError, read_checkpoint, save_checkpoint

    path = str(tmp_path / "step.npz")
    save_checkpoint(path, RNN(RNNConfig(bits=32)), step=65)
    with np.load(path) as saved:
        members = dict(saved)
    members["bits"] = np.array(8, dtype=np.int64)
    np.savez(path, **members)
    with pytest.raises(CheckpointError, match="session_step 65 is beyond a 8-bit iteration"):
        read_checkpoint(path)
