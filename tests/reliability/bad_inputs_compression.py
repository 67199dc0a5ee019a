"""Bad inputs of pruning (minigrad.nn.utils.prune) and quantisation
(minigrad.quantization), issue 17."""
from .bad_inputs import ARGS, DTYPES, LAYERS, case  # noqa: F401
