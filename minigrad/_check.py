"""Argument checks at the boundary of the public API: sizes, integers, flags, numbers, paths.

Python and NumPy accept more than they should (``int(2.5)`` is 2; ``bool("no")`` is True),
and when they refuse, their message names neither the function the user called nor the
argument.  Every check here raises before any work is done, with a message naming the
function, the argument, what was expected and what was given: a TypeError for a wrong type
(the message shows the value and its type), a ValueError for a wrong value of the right
type::

    zeros: the size must be ints, got 2.5 (float) in (2.5, 3)
    fit: validation_split must be a finite number in [0, 1), got '0.2' (str)
    DataLoader: batch_size must be an int ≥ 1, got 0
"""
import math
import numbers
import os

import numpy as np


def got(value):
    """``'0.2' (str)``: a value and its type, for messages about a wrong type (an array or a
    Tensor by its shape and dtype)."""
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return f"{type(value).__name__} of shape {tuple(value.shape)} ({value.dtype})"
    return f"{value!r:.80} ({type(value).__name__})"


def is_int(value):
    """An integer that is not a bool (``True`` is an int to Python, never a size to us)."""
    # the common case first: an ABC isinstance (numbers.Integral) costs 0.3 µs per call
    return type(value) is int or (isinstance(value, numbers.Integral)
                                  and not isinstance(value, (bool, np.bool_)))


def _bounds(low, high):
    if low is not None and high is not None:
        return f" in [{low}, {high}]"
    if low is not None:
        return f" ≥ {low}"
    if high is not None:
        return f" ≤ {high}"
    return ""


def check_int(who, name, value, low=None, high=None, none=False):
    """``value`` as an int in [low, high] (None allowed when ``none``)."""
    if none and value is None:
        return None
    if not is_int(value):
        raise TypeError(f"{who}: {name} must be {_an_int(none, low, high)}, got {got(value)}")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{who}: {name} must be {_an_int(none, low, high)}, got {value!r}")
    return int(value)


def _an_int(none, low, high):
    return f"{'None or ' if none else ''}an int{_bounds(low, high)}"


def check_choice(who, name, value, choices):
    """``value`` one of ``choices`` (ints or strs; a bool is never one of them)."""
    kinds = {type(c) for c in choices}
    listed = ", ".join(map(repr, choices[:-1])) + f" or {choices[-1]!r}"
    if isinstance(value, (bool, np.bool_)) or not any(
            isinstance(value, str if k is str else numbers.Integral) for k in kinds):
        raise TypeError(f"{who}: {name} must be {listed}, got {got(value)}")
    if value not in choices:
        raise ValueError(f"{who}: {name} must be {listed}, got {value!r}")
    return value


def check_bool(who, name, value):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{who}: {name} must be True or False, got {got(value)}")
    return bool(value)


def check_real(who, name, value, low=None, high=None, low_open=False, high_open=False,
               none=False):
    """``value`` as a finite float in the interval (NaN and ±inf are refused)."""
    if none and value is None:
        return None
    if low is not None and high is not None:
        interval = f" in {'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
    elif low is not None:
        interval = f" {'>' if low_open else '≥'} {low}"
    elif high is not None:
        interval = f" {'<' if high_open else '≤'} {high}"
    else:
        interval = ""
    expected = f"{'None or ' if none else ''}a finite number{interval}"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{who}: {name} must be {expected}, got {got(value)}")
    v = float(value)
    ok = math.isfinite(v) and (low is None or (v > low if low_open else v >= low)) and \
        (high is None or (v < high if high_open else v <= high))
    if not ok:
        raise ValueError(f"{who}: {name} must be {expected}, got {value!r}")
    return v


def check_seed(who, value, name="seed"):
    """None, or an int ≥ 0 (NumPy's rule for seeds); a NumPy SeedSequence, BitGenerator or
    Generator is also accepted, as ``np.random.default_rng`` does."""
    if value is None or isinstance(value, (np.random.SeedSequence, np.random.BitGenerator,
                                           np.random.Generator)):
        return value
    return check_int(who, name, value, low=0, none=True)


def check_callable(who, name, value, none=False):
    if (none and value is None) or callable(value):
        return value
    raise TypeError(f"{who}: {name} must be {'None or ' if none else ''}a callable, got "
                    f"{got(value)}")


def check_path(who, name, value, none=False):
    """A str, bytes or os.PathLike path (returned as str)."""
    if none and value is None:
        return None
    if not isinstance(value, (str, bytes, os.PathLike)):
        raise TypeError(f"{who}: {name} must be {'None or ' if none else ''}a path (str or "
                        f"os.PathLike), got {got(value)}")
    return os.fsdecode(value)


def check_str(who, name, value, none=False):
    if (none and value is None) or (isinstance(value, str) and value):
        return value
    if isinstance(value, str):
        raise ValueError(f"{who}: {name} must be a non-empty str, got ''")
    raise TypeError(f"{who}: {name} must be {'None or ' if none else ''}a str, got "
                    f"{got(value)}")


def check_shape(dims, who, infer=False):
    """A shape from ``f(2, 3)`` or ``f((2, 3))`` (or a list): a tuple of ints ≥ 0, or ≥ -1
    with ``infer`` (reshape's "the rest" axis)."""
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    low = -1 if infer else 0
    if all(type(d) is int and d >= low for d in dims):      # the common case, no copies
        return dims if type(dims) is tuple else tuple(dims)
    for d in dims:
        if not is_int(d):
            raise TypeError(f"{who}: the size must be ints, got {got(d)} in {tuple(dims)!r:.80}")
        if d < low:
            raise ValueError(f"{who}: the size must be ints ≥ {low}, got {d} in "
                             f"{tuple(dims)!r:.80}")
    return tuple(int(d) for d in dims)
