"""The engine's thread-local modes: whether operations record the graph for backward
(``no_grad``, ``enable_grad``, ``set_grad_enabled``) and anomaly mode (``detect_anomaly``,
``set_detect_anomaly``).  Each thread has its own modes; every context restores the mode it
found, on exceptions too."""
import functools
import threading

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled",
           "detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled",
           "is_anomaly_check_nan_enabled"]

class _Modes(threading.local):
    """Each thread's modes; the class attributes are a new thread's defaults."""
    enabled = True
    anomaly = False
    anomaly_check_nan = True


_state = _Modes()


def is_grad_enabled():
    """True when new operations are recorded for backward (the default)."""
    return _state.enabled


class set_grad_enabled:
    """Turn graph recording on or off; as a call, a ``with`` block or a decorator.

    >>> with minigrad.set_grad_enabled(False):
    ...     y = model(x)          # no graph is kept
    """

    def __init__(self, mode):
        self.prev = is_grad_enabled()
        self.mode = bool(mode)
        _state.enabled = self.mode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _state.enabled = self.prev

    def __call__(self, fn):
        mode = self.mode
        _state.enabled = self.prev   # used as a decorator: do not change the mode now

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)
        return wrapper


class _GradModeContext:
    mode = None

    def __new__(cls, orig_func=None):
        self = super().__new__(cls)
        if orig_func is not None:       # used bare, as ``@no_grad``
            if not callable(orig_func):
                raise TypeError(f"{cls.__name__}() takes no arguments, or a function to "
                                f"decorate; got {type(orig_func).__name__}")
            return self(orig_func)
        return self

    def __enter__(self):
        self.prev = is_grad_enabled()
        _state.enabled = self.mode

    def __exit__(self, *exc):
        _state.enabled = self.prev

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with type(self)():
                return fn(*args, **kwargs)
        return wrapper


class no_grad(_GradModeContext):
    """Do not record operations for backward: a ``with`` block or a decorator.

    Tensors computed inside have ``requires_grad=False``; use it for evaluation and for
    parameter updates.
    """
    mode = False


class enable_grad(_GradModeContext):
    """Record operations again inside a ``no_grad`` block (``with`` block or decorator)."""
    mode = True


# -- anomaly mode ---------------------------------------------------------------------------

def is_anomaly_enabled():
    """True inside ``detect_anomaly()`` (or after ``set_detect_anomaly(True)``)."""
    return _state.anomaly


def is_anomaly_check_nan_enabled():
    """True when anomaly mode also checks values for NaN/inf (its default)."""
    return _state.anomaly_check_nan


def _set_anomaly(mode, check_nan):
    _state.anomaly, _state.anomaly_check_nan = mode, check_nan


class set_detect_anomaly:
    """Turn anomaly mode on or off; as a call, a ``with`` block or a decorator (see
    :class:`detect_anomaly` for what it does).

    >>> minigrad.set_detect_anomaly(True)        # from here on, in this thread
    """

    def __init__(self, mode, check_nan=True):
        self.prev = (is_anomaly_enabled(), is_anomaly_check_nan_enabled())
        self.mode = (bool(mode), bool(check_nan))
        _set_anomaly(*self.mode)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _set_anomaly(*self.prev)

    def __call__(self, fn):
        mode = self.mode
        _set_anomaly(*self.prev)   # used as a decorator: do not change the mode now

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_detect_anomaly(*mode):
                return fn(*args, **kwargs)
        return wrapper


class detect_anomaly:
    """Debug NaNs and in-place bugs: a ``with`` block or a decorator (slow; for debugging).

    Inside it:

    * every op's forward output and every gradient a backward returns is checked for NaN
      and ±inf; the first one raises ``minigrad.AnomalyError`` naming the op, the input
      and the first bad index; a backward error also says which line of your code created
      the op (its stack is captured when the op is recorded, in this mode only);
    * NumPy arrays saved for backward are read-only until backward frees them, so an
      in-place write to a tensor an op still needs fails at the write, not at backward.

    ``check_nan=False`` keeps the stack capture and read-only arrays but skips the value
    checks.  The mode is per thread, and restored on exit even when an exception escapes.

    >>> with minigrad.detect_anomaly():
    ...     loss = model(x).log().mean()
    ...     loss.backward()
    """

    def __new__(cls, check_nan=True):
        self = super().__new__(cls)
        if callable(check_nan):             # used bare, as ``@detect_anomaly``
            self.check_nan = True
            return self(check_nan)
        return self

    def __init__(self, check_nan=True):
        if not callable(check_nan):
            self.check_nan = bool(check_nan)

    def __enter__(self):
        # the previous modes go on a per-thread stack, so one instance may be nested or
        # shared between threads
        stack = _state.__dict__.setdefault("anomaly_stack", [])
        stack.append((is_anomaly_enabled(), is_anomaly_check_nan_enabled()))
        _set_anomaly(True, self.check_nan)
        return self

    def __exit__(self, *exc):
        _set_anomaly(*_state.anomaly_stack.pop())

    def __call__(self, fn):
        check_nan = self.check_nan

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with detect_anomaly(check_nan):
                return fn(*args, **kwargs)
        return wrapper
