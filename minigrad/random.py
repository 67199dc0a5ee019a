"""The one source of randomness: every random draw minigrad makes goes through here.

``manual_seed(s)`` reseeds it, so a seeded program gives the same numbers on every run
(parameter initialisation, dropout masks, data shuffling).
"""
import numpy as np

__all__ = ["manual_seed", "generator", "initial_seed"]

_seed = None
_generator = np.random.default_rng()


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


def initial_seed():
    """The seed last given to :func:`manual_seed` (None when never seeded)."""
    return _seed


def generator():
    """The ``numpy.random.Generator`` that minigrad draws from.

    Draws for GPU tensors are made here too and copied to the device, so a seed gives the
    same numbers on every device.
    """
    return _generator


def get_state():
    """The generator's state (a dict), for checkpoints."""
    return _generator.bit_generator.state


def set_state(state):
    """Restore a state returned by :func:`get_state`."""
    _generator.bit_generator.state = state
