"""``minigrad.nn.functional``: the same functions as ``minigrad.functional``, so that
``import minigrad.nn.functional as F`` works as in PyTorch."""
from ..functional import *  # noqa: F401,F403  (re-export, nothing added)
from ..functional import __all__  # noqa: F401
