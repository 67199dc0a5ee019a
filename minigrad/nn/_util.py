"""Helpers shared by the layer files."""
from .. import creation
from .parameter import Parameter


def empty_parameter(shape, dtype, device):
    """A zero Parameter of ``shape`` (float32 unless ``dtype``), filled by the layer's init."""
    return Parameter(creation.zeros(*shape, dtype=dtype, device=device or "cpu"))


def pair(value, name, owner):
    """``(v, v)`` for an int, the pair itself for a pair of ints; ValueError otherwise."""
    if isinstance(value, int) and not isinstance(value, bool):
        return (value, value)
    try:
        result = tuple(value)
    except TypeError:
        result = ()
    if len(result) != 2 or not all(isinstance(v, int) and not isinstance(v, bool)
                                   for v in result):
        raise ValueError(f"{owner}: {name} must be an int or a pair of ints, got {value!r}")
    return result


def unsupported(owner, **options):
    """Reject PyTorch options (``name=(value, default)``) whose non-default values minigrad
    does not implement; they exist so that PyTorch's argument order works."""
    for name, (value, default) in options.items():
        differs = value is not None if default is None else value != default
        if differs:
            raise NotImplementedError(f"{owner}: {name}={value!r} is not supported "
                                      f"(only {default!r})")
