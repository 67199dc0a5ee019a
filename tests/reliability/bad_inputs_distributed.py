"""Bad inputs of minigrad.distributed (init, collectives, DistributedDataParallel,
DistributedSampler), issue 16."""
from .bad_inputs import ARGS, DATA, case  # noqa: F401
