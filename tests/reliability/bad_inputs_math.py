"""Bad inputs of the pointwise math ops, the Huber / smooth-L1 losses and Adadelta added for
issue 20 (groups SHAPES, DTYPES, OPTIM, ARGS)."""
from .bad_inputs import ARGS, DTYPES, OPTIM, SHAPES, case  # noqa: F401
