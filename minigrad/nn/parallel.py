"""PyTorch's ``torch.nn.parallel``: ``DistributedDataParallel`` lives in
:mod:`minigrad.distributed`; this module names it where PyTorch programs import it from."""
from ..distributed import DistributedDataParallel

__all__ = ["DistributedDataParallel"]
