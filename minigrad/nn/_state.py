"""The checks behind ``Module.load_state_dict``: everything is verified and converted
before the caller writes anything, so a failed load changes nothing."""
import numpy as np

from .. import backend
from ..dtypes import _is_array
from ..tensor import Tensor


def match_state_dict(targets, state_dict, strict, owner):
    """Pair each target (name → Parameter/buffer) with its value from ``state_dict``.

    Returns ``(copies, missing, unexpected)``: ``copies`` a list of (target, array), each
    array already on the target's device and of its dtype.  Raises RuntimeError listing
    every problem (PyTorch's wording): missing/unexpected keys when ``strict``, and in any
    mode values that are not Tensors/arrays or have the wrong shape.
    """
    missing = [k for k in targets if k not in state_dict]
    unexpected = [k for k in state_dict if k not in targets]
    errors = []
    if strict:
        if unexpected:
            errors.append("Unexpected key(s) in state_dict: "
                          + ", ".join(f'"{k}"' for k in unexpected) + ".")
        if missing:
            errors.append("Missing key(s) in state_dict: "
                          + ", ".join(f'"{k}"' for k in missing) + ".")
    pairs = []
    for key, target in targets.items():
        if key not in state_dict:
            continue
        value = state_dict[key]
        if isinstance(value, Tensor):
            value = value._data
        if not _is_array(value):
            errors.append(f'value for "{key}" is a {type(value).__name__}; expected a '
                          f'Tensor or a NumPy/CuPy array')
        elif tuple(value.shape) != target.shape:
            errors.append(f"size mismatch for {key}: copying a param with shape "
                          f"{tuple(value.shape)} from checkpoint, the shape in current "
                          f"model is {target.shape}.")
        elif value.dtype.kind not in "biuf":
            errors.append(f'value for "{key}" has dtype {value.dtype}; expected numbers')
        elif value.dtype == np.int8 and target.dtype.kind == "f":
            # a quantised model's int8 weights are codes, not values: casting them would
            # load garbage without an error
            errors.append(f'value for "{key}" is int8 (a quantised model\'s weights?) but '
                          f'"{key}" is {target.dtype}; load it into the quantised model '
                          f'(minigrad.quantization), or dequantize it first')
        else:
            pairs.append((target, value))
    if errors:
        raise RuntimeError(f"Error(s) in loading state_dict for {owner}:\n\t"
                           + "\n\t".join(errors))
    # Convert everything now (a device copy may fail) so that the writes cannot fail.
    copies = [(target, backend.to_device(value, target.device).astype(target.dtype,
                                                                      copy=False))
              for target, value in pairs]
    return copies, missing, unexpected
