"""A session file keeps what is on show beyond the run: your own sum and the ablation."""

from __future__ import annotations

import numpy as np
import pytest
from screen import screen_text

from model.accuracy import Ablation
from model.checkpoint import CheckpointError, Probe, read_checkpoint, save_checkpoint
from model.config import RNNConfig
from model.network import RNN
from model.trainer import train
from tui.app import RNNApp
from tui.session import Session


def trained_session(cell: str = "rnn") -> Session:
    net = RNN(RNNConfig(cell=cell))
    train(net, 200)
    session = Session(net)
    for _ in range(3):
        session.step()
    return session


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_a_clamp_and_a_sum_on_show_come_back_after_a_dropped_connection(
    cell: str, tmp_path
) -> None:
    session = trained_session(cell)
    state = "c" if cell == "lstm" else "h"
    session.set_ablation(Ablation(clamped_unit=3, cut_recurrence=True, clamped_state=state))
    session.start_probe(100, 27)
    for _ in range(5):
        session.step()  # forward t=0..4 of 100 + 27
    path = str(tmp_path / "session.npz")
    session.save_session(path)
    resumed = Session.resumed(path)
    assert resumed.ablation == session.ablation
    assert resumed.probe is not None and (resumed.probe.a, resumed.probe.b) == (100, 27)
    assert resumed.view() == session.view()  # the same numbers, on the same step
    assert resumed.position == session.position
    resumed.leave_probe()
    session.leave_probe()
    assert resumed.view() == session.view()  # the run underneath, ablated alike
    assert np.array_equal(resumed.net.params, session.net.params)


def test_without_either_the_file_has_neither(tmp_path) -> None:
    session = trained_session()
    path = str(tmp_path / "session.npz")
    session.save_session(path)
    saved = read_checkpoint(path)
    assert saved.probe is None and saved.ablation is None
    assert not any(name.startswith(("session_probe", "session_clamped")) for name in np.load(path))


@pytest.mark.parametrize(
    "members, said",
    [
        ({"probe": Probe(128, 0, 1)}, "operand over 127"),
        ({"probe": Probe(1, 2, 9)}, "beyond a 8-bit sum"),
        ({"ablation": Ablation(clamped_unit=16)}, "not a unit of 16"),
        ({"ablation": Ablation(clamped_unit=0, clamped_state="c")}, "RNN has no state c"),
    ],
)
def test_a_sum_or_ablation_that_does_not_fit_the_network_is_refused(
    members: dict[str, object], said: str, tmp_path
) -> None:
    path = str(tmp_path / "bad.npz")
    with pytest.raises(CheckpointError, match=said):
        save_checkpoint(path, RNN(RNNConfig()), step=0, **members)  # type: ignore[arg-type]


def test_a_file_with_half_the_ablation_is_refused(tmp_path) -> None:
    good = str(tmp_path / "good.npz")
    save_checkpoint(good, RNN(RNNConfig()), ablation=Ablation(clamped_unit=2))
    arrays = dict(np.load(good))
    del arrays["session_clamped_state"]
    bad = str(tmp_path / "half.npz")
    with open(bad, "wb") as handle:
        np.savez(handle, **arrays)
    with pytest.raises(CheckpointError, match="the ablation needs"):
        read_checkpoint(bad)


async def test_the_app_resumed_shows_the_sum_and_the_ablation(tmp_path) -> None:
    session = trained_session()
    session.set_ablation(Ablation(clamped_unit=3))
    session.start_probe(100, 27)
    session.step()
    path = str(tmp_path / "session.npz")
    session.save_session(path)
    resumed = Session.resumed(path)
    app = RNNApp(resumed.net, session=resumed)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "PROBE forward t=0" in text and "100 + 27" in text
        assert "ABLATION h3=0" in text


# -- the accuracy points behind the error panel's climb ----------------------------------


def _measured(session: Session) -> list[tuple[int, float]]:
    """Accuracy points as the app adds them after training (iteration, exact)."""
    for exact in (0.0001, 0.25, 0.5):
        session.train(500)
        session.add_accuracy(session.net.iteration, exact)
    return list(session.run.accuracy)


def test_the_climb_comes_back_after_resume_and_load(tmp_path) -> None:
    session = Session(RNN(RNNConfig()))
    points = _measured(session)
    assert [at for at, _ in points] == [500, 1000, 1500]
    path = str(tmp_path / "session.npz")
    session.save_session(path)
    assert Session.resumed(path).run.accuracy == points
    saved = str(tmp_path / "net.npz")
    session.save(saved)  # s
    other = Session(RNN(RNNConfig(seed=3)))
    other.load(saved)  # l
    assert other.run.accuracy == points
    assert read_checkpoint(saved).accuracy == tuple(points)


def test_a_file_without_points_loads_with_none(tmp_path) -> None:
    path = str(tmp_path / "plain.npz")
    save_checkpoint(path, RNN(RNNConfig()))
    assert read_checkpoint(path).accuracy == ()
    assert "accuracy_exact" not in np.load(path)


def _with_points(tmp_path, iterations: object, exact: object) -> str:
    net = RNN(RNNConfig())
    train(net, 50)
    good = str(tmp_path / "good.npz")
    save_checkpoint(good, net, accuracy=[(10, 0.5)])
    arrays = dict(np.load(good))
    for name, value in (("accuracy_iterations", iterations), ("accuracy_exact", exact)):
        if value is None:
            del arrays[name]
        else:
            arrays[name] = np.asarray(value)
    bad = str(tmp_path / "bad.npz")
    with open(bad, "wb") as handle:
        np.savez(handle, **arrays)
    return bad


@pytest.mark.parametrize(
    ("iterations", "exact", "said"),
    [
        ([10.0], None, "need both"),
        (None, [0.5], "need both"),
        ([10.0, 20.0], [0.5], "differ in length"),
        ([10.5], [0.5], "whole iterations from 0 to 50"),
        ([-1.0], [0.5], "whole iterations from 0 to 50"),
        ([51.0], [0.5], "whole iterations from 0 to 50"),
        ([20.0, 10.0], [0.5, 0.6], "must increase"),
        ([10.0, 10.0], [0.5, 0.6], "must increase"),
        ([10.0], [1.5], "from 0 to 1"),
        ([10.0], [np.nan], "NaN or infinite"),
        ([10], [0.5], "expected float64"),
        ([[10.0]], [[0.5]], "at most"),
    ],
)
def test_hostile_accuracy_points_are_refused(
    iterations: object, exact: object, said: str, tmp_path
) -> None:
    with pytest.raises(CheckpointError, match=said):
        read_checkpoint(_with_points(tmp_path, iterations, exact))


def test_points_the_file_cannot_hold_exactly_are_left_out(tmp_path) -> None:
    net = RNN(RNNConfig())
    path = str(tmp_path / "far.npz")
    far = [(0, 0.0), (2**53 + 2, 1.0)]  # a float64 would round the second's iteration
    net.iteration = 2**53 + 2
    save_checkpoint(path, net, accuracy=far)
    assert read_checkpoint(path).accuracy == ((0, 0.0),)


def _stopping_after(calls: int):  # type: ignore[no-untyped-def]
    """A should_stop that says stop at its call number `calls`: deterministic, no clock."""
    count = [0]

    def stop() -> bool:
        count[0] += 1
        return count[0] >= calls

    return stop


@pytest.mark.parametrize("calls", [2, 4, 8])
def test_a_jump_back_stopped_on_the_way_still_saves_and_loads(calls: int, tmp_path) -> None:
    """Stopped on its way back, a jump left the error history and the accuracy points
    ahead of the run (1,500 and 3,000 at iteration 1,007): the save, and so the session
    file on quit, was refused."""
    session = Session(RNN(RNNConfig()))
    session.train(3000)
    for at in (1000, 2000, 3000):
        session.add_accuracy(at, 0.5)
    assert not session.go_to(1500, should_stop=_stopping_after(calls))
    reached = session.net.iteration
    assert reached < 1500
    assert session.errors.end == reached
    assert all(at <= reached for at, _ in session.run.accuracy)
    path = str(tmp_path / "session.npz")
    session.save_session(path)
    resumed = Session.resumed(path)
    assert resumed.net.iteration == reached and resumed.errors.end == reached
    twin = Session(RNN(RNNConfig()))  # the curve is the run's own, value for value
    twin.train(reached)
    assert resumed.errors.values() == twin.errors.values()
    assert resumed.errors.blocks == twin.errors.blocks


def test_a_save_leaves_out_points_later_than_the_run(tmp_path) -> None:
    session = Session(RNN(RNNConfig()))
    session.train(200)
    session.run.accuracy = [(100, 0.25), (200, 0.5), (3000, 1.0)]  # a late measurement
    path = str(tmp_path / "net.npz")
    session.save(path)
    assert read_checkpoint(path).accuracy == ((100, 0.25), (200, 0.5))


def test_a_negative_zero_accuracy_is_read_as_zero(tmp_path) -> None:
    path = _with_points(tmp_path, [10.0], [-0.0])
    (point,) = read_checkpoint(path).accuracy
    assert point == (10, 0.0) and str(point[1]) == "0.0"
