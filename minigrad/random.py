"""The one source of randomness: every random draw minigrad makes goes through here.

``manual_seed(s)`` reseeds it, so a seeded program gives the same numbers on every run
(parameter initialisation, dropout masks, data shuffling).  ``get_state()`` /
``set_state(state)`` capture and restore the generator exactly (checkpoints do); the state
is a plain dict of ints and strings (NumPy's ``bit_generator.state``), so it can be written
to JSON without pickle.
"""
import numpy as np

__all__ = ["Generator", "manual_seed", "seed", "generator", "initial_seed", "get_state",
           "set_state", "generator_state", "set_generator_state", "state_of", "load_state_of",
           "numpy_rng"]


def _fresh_seed():
    """A non-deterministic 64-bit seed (from the operating system's entropy)."""
    return int(np.random.SeedSequence().entropy) % 2**64


# Seeded from the OS at import (so a program that never seeds differs between runs), with
# the seed kept so that initial_seed() can report it, as PyTorch's does.
_seed = _fresh_seed()
_generator = np.random.default_rng(_seed)


def manual_seed(seed):
    """Seed every random draw minigrad makes; returns the seed.

    ``seed`` must be a non-negative int (NumPy's ``SeedSequence`` rule).
    """
    global _generator, _seed
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"manual_seed: expected a non-negative int, got {seed!r}")
    _seed = int(seed)
    _generator = np.random.default_rng(_seed)
    return _seed


def seed():
    """Reseed minigrad's generator with a non-deterministic seed and return it (PyTorch's
    ``torch.seed``)."""
    return manual_seed(_fresh_seed())


class Generator:
    """A generator of its own (PyTorch's ``torch.Generator``), for draws that must not move
    minigrad's global one: ``g = minigrad.Generator().manual_seed(42)``, then
    ``minigrad.randn(3, generator=g)``.  Backed by a ``numpy.random.Generator`` (PCG64)."""

    def __init__(self, device="cpu"):
        self.device = device
        self._seed = _fresh_seed()
        self._rng = np.random.default_rng(self._seed)

    def manual_seed(self, seed):
        """Reseed; returns the generator itself (so that it chains, as in PyTorch)."""
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"Generator.manual_seed: expected a non-negative int, got "
                             f"{seed!r}")
        self._seed = int(seed)
        self._rng = np.random.default_rng(self._seed)
        return self

    def seed(self):
        """Reseed with a non-deterministic seed; returns the seed."""
        return self.manual_seed(_fresh_seed())._seed

    def initial_seed(self):
        """The seed this generator was last seeded with."""
        return self._seed

    def get_state(self):
        return generator_state(self._rng)

    def set_state(self, state):
        set_generator_state(self._rng, state, "Generator.set_state")
        return self


def numpy_rng(generator=None, where="generator"):
    """The ``numpy.random.Generator`` to draw from: ``generator``'s (a :class:`Generator`)
    or, for None, minigrad's global one."""
    if generator is None:
        return _generator
    if not isinstance(generator, Generator):
        raise TypeError(f"{where}: generator must be a minigrad.Generator or None, got "
                        f"{type(generator).__name__}")
    return generator._rng


def initial_seed():
    """The seed last given to :func:`manual_seed` (or :func:`seed`); before any, the
    non-deterministic seed drawn at import."""
    return _seed


def generator():
    """The ``numpy.random.Generator`` that minigrad draws from.

    Draws for GPU tensors are made here too and copied to the device, so a seed gives the
    same numbers on every device.
    """
    return _generator


def get_state():
    """The state of minigrad's generator: a dict (``{"bit_generator": "PCG64", "state":
    {...}, ...}``, ints and strings only), for checkpoints."""
    return generator_state(_generator)


def set_state(state):
    """Restore a state returned by :func:`get_state`; the draws that follow are those that
    followed the ``get_state()`` call.  A malformed state raises ValueError and changes
    nothing."""
    set_generator_state(_generator, state, "minigrad.random.set_state")


def generator_state(rng):
    """The state of any ``numpy.random.Generator`` (a fresh dict)."""
    return rng.bit_generator.state


def set_generator_state(rng, state, where="set_generator_state"):
    """Set ``rng``'s state to ``state`` (from :func:`generator_state`), after checking it on
    a scratch generator of the same kind: a bad state raises ValueError saying what was
    expected and leaves ``rng`` as it was."""
    kind = type(rng.bit_generator).__name__
    if not isinstance(state, dict) or state.get("bit_generator") != kind:
        got = state.get("bit_generator") if isinstance(state, dict) else type(state).__name__
        raise ValueError(f"{where}: expected the state of a {kind} generator (a dict with "
                         f"'bit_generator': {kind!r}), got {got!r}")
    scratch = type(rng.bit_generator)()
    try:
        scratch.state = state
    except (TypeError, ValueError, KeyError, OverflowError) as exc:
        raise ValueError(f"{where}: malformed {kind} state ({type(exc).__name__}: "
                         f"{exc})") from None
    # What NumPy accepted may still hold extra keys or non-int values it converted: compare.
    if scratch.state != state:
        raise ValueError(f"{where}: malformed {kind} state (it does not round-trip: "
                         f"{state!r:.200})")
    rng.bit_generator.state = state


def state_of(obj):
    """``obj.state_dict()`` when ``obj`` (a transform, a loader…) has one, else None."""
    return obj.state_dict() if hasattr(obj, "state_dict") else None


def load_state_of(obj, state, where):
    """The inverse of :func:`state_of`: load ``state`` into ``obj`` (ValueError if it does
    not fit)."""
    if hasattr(obj, "load_state_dict"):
        obj.load_state_dict(state)
    elif state is not None:
        raise ValueError(f"{where}: the state {state!r:.100} is for an object with random "
                         f"state, got {type(obj).__name__}")
