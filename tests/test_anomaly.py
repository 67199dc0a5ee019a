"""Anomaly mode: NaN/inf found in forward and backward and traced to the line that made the
op, read-only saved arrays, and the mode's flag (nesting, exceptions, threads, cost when off)."""
import gc
import inspect
import os
import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad
from minigrad import AnomalyError, Function, anomaly
from minigrad import functional as F

from .ops.test_op_table import ALL_OPS, as_tensors, draw_case


def leaf(values, dtype=np.float32):
    return minigrad.tensor(np.asarray(values, dtype=dtype), requires_grad=True)


def here():
    """'this_file.py:N' for the caller's line N."""
    frame = inspect.currentframe().f_back
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"


def next_line():
    frame = inspect.currentframe().f_back
    return f"{frame.f_code.co_filename}:{frame.f_lineno + 1}"


# -- NaN / inf in forward --------------------------------------------------------------------

@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_nan_made_in_forward_names_the_op_the_index_and_the_line():
    x = leaf([1.0, -1.0, 2.0])
    with minigrad.detect_anomaly():
        with pytest.raises(AnomalyError) as info:
            where = next_line()
            x.log()
    message = str(info.value)
    assert "Log produced nan in its forward output" in message
    assert "1 of 3 values non-finite, the first at index (1,)" in message
    assert "its inputs are finite" in message
    assert where in message


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_without_anomaly_mode_the_same_nan_passes_silently():
    y = leaf([1.0, -1.0]).log()
    assert np.isnan(y.numpy()[1])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_inf_in_forward_is_found_even_under_no_grad():
    x = minigrad.tensor([1.0, 100.0], dtype=np.float32)
    with minigrad.detect_anomaly(), minigrad.no_grad():
        with pytest.raises(AnomalyError, match=r"Exp produced inf .*index \(1,\)"):
            x.exp()


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_a_non_finite_input_is_reported_as_coming_from_before_the_op():
    x = leaf([1.0, np.nan])
    with minigrad.detect_anomaly():
        with pytest.raises(AnomalyError, match=r"input 0 \(2,\) already holds nan"):
            x * 2.0


def test_integer_outputs_and_finite_outputs_pass():
    with minigrad.detect_anomaly():
        x = leaf([0.5, 1.5])
        (x.exp() * 2).sum().backward()
        assert (minigrad.tensor([1, 2]) + 1).tolist() == [2, 3]
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp([0.5, 1.5]), rtol=1e-6)


# -- NaN / inf only in backward ---------------------------------------------------------------

@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_nan_only_in_backward_names_the_op_and_where_it_was_created():
    x = leaf([0.0, 4.0])
    with minigrad.detect_anomaly():
        where = next_line()
        root = x.sqrt()
        loss = (root * 0.0).sum()          # forward finite: sqrt(0)·0 = 0
        with pytest.raises(AnomalyError) as info:
            loss.backward()                # d sqrt at 0 = 0 / (2·0) = nan
    message = str(info.value)
    assert "Sqrt.backward produced nan in the gradient for input 0" in message
    assert "the first at index (0,)" in message
    assert "the gradient flowing in (dy) is finite" in message
    assert f"Sqrt was created at {where}" in message
    assert "root = x.sqrt()" in message      # the source line, read when the error is made


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_inf_in_backward():
    x = leaf([0.0, 1.0])
    with minigrad.detect_anomaly():
        loss = x.sqrt().sum()
        with pytest.raises(AnomalyError, match=r"Sqrt.backward produced inf"):
            loss.backward()


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_graph_recorded_outside_anomaly_mode_is_still_checked_but_without_a_location():
    x = leaf([0.0])
    loss = (x.sqrt() * 0.0).sum()
    with minigrad.detect_anomaly():
        with pytest.raises(AnomalyError, match="recorded outside anomaly mode"):
            loss.backward()


def test_non_finite_grad_given_to_backward_is_reported():
    x = leaf([1.0, 2.0])
    with minigrad.detect_anomaly():
        y = x * 2.0
        with pytest.raises(AnomalyError, match="gradient given to backward"):
            y.backward(minigrad.tensor([1.0, np.inf]))


def test_any_backward_error_gets_a_note_saying_where_the_op_was_created():
    class Broken(Function):
        def forward(self, x):
            return x * 1

        def backward(self, dy):
            raise ZeroDivisionError("boom")

    x = leaf([1.0])
    with minigrad.detect_anomaly():
        where = next_line()
        y = Broken.apply(x)
        with pytest.raises(ZeroDivisionError) as info:
            y.sum().backward()
    notes = "\n".join(getattr(info.value, "__notes__", []))
    assert "raised in Broken.backward" in notes and f"created at {where}" in notes


def test_check_nan_false_skips_value_checks():
    x = leaf([0.0])
    with minigrad.detect_anomaly(check_nan=False), np.errstate(all="ignore"):
        y = x.log()                       # -inf, not reported
        assert minigrad.is_anomaly_enabled()
        assert not minigrad.grad_mode.is_anomaly_check_nan_enabled()
    assert np.isinf(y.numpy()).all()


# -- read-only saved arrays --------------------------------------------------------------------

def test_in_place_write_to_a_saved_output_fails_at_the_write():
    w = leaf([1.0, 2.0])
    with minigrad.detect_anomaly():
        e = w.exp()                       # Exp saves its output
        with minigrad.no_grad():
            with pytest.raises(RuntimeError, match=r"__iadd__: .*Exp saved for backward"):
                e += 1
        with pytest.raises(ValueError, match="read-only"):
            e._data[0] = 5.0               # raw writes fail too (NumPy's own message)
        with pytest.raises(ValueError, match="read-only"):
            np.asarray(e)[0] = 5.0
        e.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), np.exp([1.0, 2.0]), rtol=1e-6)
    assert e._data.flags.writeable          # freed by backward: writable again
    e._data[0] = 5.0


def test_in_place_write_to_a_saved_input_fails_at_the_write_and_changes_nothing():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    with minigrad.detect_anomaly():
        y = a * b                         # Mul saves both operands
        with minigrad.no_grad(), pytest.raises(RuntimeError, match="Mul saved for backward"):
            b += 1.0
        np.testing.assert_array_equal(b.numpy(), [3.0, 4.0])
        assert b._version == 0
        y.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [3.0, 4.0])
    with minigrad.no_grad():
        b += 1                            # after backward: allowed again
    np.testing.assert_array_equal(b.numpy(), [4.0, 5.0])


def test_normal_mode_reports_the_same_write_only_at_backward():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    y = a * b
    with minigrad.no_grad():
        b += 1
    with pytest.raises(RuntimeError, match="changed in place"):
        y.sum().backward()


def test_the_users_own_array_is_never_made_read_only():
    arr = np.array([1.0, 2.0], dtype=np.float32)
    t = minigrad.from_numpy(arr).requires_grad_()
    with minigrad.detect_anomaly():
        y = t * t
        assert not t._data.flags.writeable and t._data is not arr
        assert arr.flags.writeable        # the user's array keeps its flag
        y.sum().backward()
    assert t._data is arr                  # the tensor gets its own array back


def test_a_dropped_graph_gives_its_tensors_back_without_backward():
    p = leaf([1.0, 2.0])
    original = p._data
    with minigrad.detect_anomaly():
        y = (p * p).sum()
        assert not p._data.flags.writeable
        del y
        gc.collect()
    assert p._data is original and p._data.flags.writeable


def test_a_tensor_saved_by_two_graphs_stays_read_only_until_both_are_freed():
    p = leaf([1.0, 2.0])
    with minigrad.detect_anomaly():
        y1, y2 = (p * p).sum(), (p * 3.0 * p).sum()
        y1.backward()
        assert not p._data.flags.writeable     # y2's graph still needs it
        y2.backward()
    assert p._data.flags.writeable


def test_an_optimizer_step_before_backward_says_why_it_is_refused():
    model = minigrad.nn.Linear(3, 2)
    opt = minigrad.optim.SGD(model.parameters(), lr=0.1)
    model.weight.grad = minigrad.ones(2, 3)
    with minigrad.detect_anomaly():
        loss = model(minigrad.randn(4, 3)).sum()
        before = model.weight.numpy()
        with pytest.raises(RuntimeError, match=r"SGD.step: .*saved for backward.*until "
                                               r"backward \(or until the graph is dropped\)"):
            opt.step()
        np.testing.assert_array_equal(model.weight.numpy(), before)
        del loss


def test_retain_graph_backward_gives_the_arrays_back_and_a_later_backward_checks_versions():
    model = minigrad.nn.Linear(3, 2)
    opt = minigrad.optim.SGD(model.parameters(), lr=0.1)
    x = minigrad.randn(4, 3)
    with minigrad.detect_anomaly():
        loss = model(x).sum()
        loss.backward(retain_graph=True)
        before = model.weight.numpy()
        opt.step()                         # legal: backward has read the saved arrays
        assert not np.array_equal(model.weight.numpy(), before)
        with pytest.raises(RuntimeError, match="changed in place"):
            loss.backward()                # as in normal mode: the version check reports it
    assert anomaly.families == {} and anomaly._swapped == {}


def test_a_training_loop_runs_in_anomaly_mode_and_matches_normal_mode():
    def train(anomaly_on):
        minigrad.manual_seed(0)
        model = minigrad.nn.Sequential(minigrad.nn.Conv2d(1, 2, 3), minigrad.nn.ReLU(),
                                       minigrad.nn.Flatten(), minigrad.nn.Linear(8, 3))
        opt = minigrad.optim.Adam(model.parameters(), lr=0.01)
        x, y = minigrad.randn(5, 1, 4, 4), minigrad.tensor([0, 1, 2, 0, 1])
        with minigrad.set_detect_anomaly(anomaly_on):
            for _ in range(3):
                opt.zero_grad()
                F.cross_entropy(model(x), y).backward()
                opt.step()
        return [p.numpy() for p in model.parameters()]

    for a, b in zip(train(True), train(False)):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("op", ALL_OPS, ids=lambda op: op.name)
@settings(max_examples=5, deadline=None)
@given(data=st.data())
def test_every_op_works_in_anomaly_mode_with_read_only_saved_arrays(op, data):
    """No forward or backward writes into an array it saved: with those arrays read-only,
    every op gives the same values and gradients as in normal mode."""
    arrays, params = draw_case(data, op)
    results = []
    for on in (False, True):
        inputs = as_tensors(arrays, np.float64)
        with minigrad.set_detect_anomaly(on):
            out = op.fn(*inputs, **params)
            out.backward(minigrad.ones_like(out))
        results.append([out.numpy()] + [x.grad.numpy() for x in inputs])
        assert all(x._data.flags.writeable for x in inputs)
    for normal, checked in zip(*results):
        np.testing.assert_array_equal(normal, checked)


# -- the flag ---------------------------------------------------------------------------------

def test_nesting_restores_each_outer_mode():
    assert not minigrad.is_anomaly_enabled()
    ctx = minigrad.detect_anomaly()
    with ctx:
        assert minigrad.is_anomaly_enabled()
        with minigrad.set_detect_anomaly(False):
            assert not minigrad.is_anomaly_enabled()
            with ctx:                     # the same instance, re-entered
                assert minigrad.is_anomaly_enabled()
            assert not minigrad.is_anomaly_enabled()
        assert minigrad.is_anomaly_enabled()
    assert not minigrad.is_anomaly_enabled()


def test_flag_is_restored_when_an_exception_escapes():
    with pytest.raises(KeyError):
        with minigrad.detect_anomaly():
            raise KeyError("x")
    assert not minigrad.is_anomaly_enabled()
    with pytest.raises(KeyError):
        with minigrad.set_detect_anomaly(True):
            raise KeyError("x")
    assert not minigrad.is_anomaly_enabled()


def test_decorator_forms():
    @minigrad.detect_anomaly
    def bare():
        return minigrad.is_anomaly_enabled()

    @minigrad.detect_anomaly(check_nan=False)
    def called():
        return minigrad.is_anomaly_enabled(), minigrad.grad_mode.is_anomaly_check_nan_enabled()

    @minigrad.set_detect_anomaly(True)
    def set_form():
        raise ValueError(minigrad.is_anomaly_enabled())

    assert not minigrad.is_anomaly_enabled()     # decorating changes nothing now
    assert bare() and called() == (True, False)
    with pytest.raises(ValueError, match="True"):
        set_form()
    assert not minigrad.is_anomaly_enabled()


def test_set_detect_anomaly_as_a_call_persists_until_turned_off():
    try:
        minigrad.set_detect_anomaly(True)
        assert minigrad.is_anomaly_enabled()
    finally:
        minigrad.set_detect_anomaly(False)
    assert not minigrad.is_anomaly_enabled()


def test_mode_is_per_thread_and_restored_in_each_thread():
    inside, release = threading.Event(), threading.Event()
    seen = {}

    def worker():
        with minigrad.detect_anomaly():
            seen["worker_inside"] = minigrad.is_anomaly_enabled()
            inside.set()
            release.wait(5)
            with pytest.raises(ZeroDivisionError):
                with minigrad.detect_anomaly():
                    raise ZeroDivisionError
            seen["worker_after_error"] = minigrad.is_anomaly_enabled()
        seen["worker_after"] = minigrad.is_anomaly_enabled()

    thread = threading.Thread(target=worker)
    thread.start()
    assert inside.wait(5)
    seen["main_meanwhile"] = minigrad.is_anomaly_enabled()
    release.set()
    thread.join(5)
    assert seen == {"worker_inside": True, "main_meanwhile": False,
                    "worker_after_error": True, "worker_after": False}


def test_zero_cost_when_off_no_frame_is_captured_and_no_array_swapped(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("anomaly machinery used while anomaly mode is off")

    for name in ("capture_stack", "protect_saved", "check_forward", "check_grad",
                 "check_root_grad"):
        monkeypatch.setattr(anomaly, name, forbidden)
    x = leaf([1.0, 2.0])
    data = x._data
    y = (x * x).exp()
    assert y.grad_fn.created_at is None
    y.sum().backward()
    assert x._data is data and x._data.flags.writeable
    with minigrad.detect_anomaly():       # and on, the same code does use it
        with pytest.raises(AssertionError, match="anomaly machinery"):
            x * 2.0


def test_frames_are_captured_in_anomaly_mode_and_hold_only_user_code():
    x = leaf([1.0])
    with minigrad.detect_anomaly():
        where = here(); y = minigrad.nn.Linear(1, 1)(x)   # noqa: E702  (same line)
    package = os.path.dirname(os.path.abspath(minigrad.__file__)) + os.sep
    assert not any(os.path.abspath(f.filename).startswith(package)
                   for f in y.grad_fn.created_at)
    last = y.grad_fn.created_at[-1]
    assert f"{last.filename}:{last.lineno}" == where


def test_registries_are_empty_after_backward_and_after_a_dropped_graph():
    x = leaf(np.linspace(0.1, 1.0, 8))
    with minigrad.detect_anomaly():
        y = x
        for _ in range(2000):               # a long chain: every node saves something
            y = (y * 1.0001).tanh()
        y.sum().backward()
        assert anomaly.families == {} and anomaly._swapped == {}
        z = (x * x).exp().sum()
        assert anomaly.families
        del z
        gc.collect()
    assert anomaly.families == {} and anomaly._swapped == {}
    assert x._data.flags.writeable
