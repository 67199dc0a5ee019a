"""Bad inputs of the PyTorch-compatible surface added for issue 20: autograd.Function,
Generator, creation functions, utils.data, save/load of file objects (groups ARGS, SIZES,
AUTOGRAD, SAVING, DATA)."""
from .bad_inputs import ARGS, AUTOGRAD, DATA, SAVING, SIZES, case  # noqa: F401
