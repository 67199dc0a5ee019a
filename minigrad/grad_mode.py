"""Whether operations record the graph for backward: ``no_grad``, ``enable_grad``."""
import functools
import threading

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled"]

_state = threading.local()


def is_grad_enabled():
    """True when new operations are recorded for backward (the default)."""
    return getattr(_state, "enabled", True)


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
