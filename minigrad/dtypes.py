"""Dtypes and the rules that pick them (PyTorch's conventions on NumPy dtypes).

* Python floats and lists of them become float32 (``default_float``); Python ints int64.
* A NumPy array keeps its dtype (float64 stays float64, integers stay integers).
* A Python scalar never changes a tensor's dtype: float32 tensor * 2.0 is float32.
* Mixing an integer/bool tensor with a floating one gives the floating dtype (float32 + int64
  is float32, not NumPy's float64); two floating dtypes promote as NumPy does.
"""
import numpy as np

__all__ = [
    "float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool_",
    "default_float", "set_default_dtype", "get_default_dtype", "as_dtype", "is_floating",
    "result_type", "scalar_dtype", "to_array",
]

float16 = np.dtype("float16")
float32 = np.dtype("float32")
float64 = np.dtype("float64")
int8 = np.dtype("int8")
int16 = np.dtype("int16")
int32 = np.dtype("int32")
int64 = np.dtype("int64")
uint8 = np.dtype("uint8")
bool_ = np.dtype("bool")

default_float = float32


def set_default_dtype(dtype):
    """The dtype of tensors made from Python floats and of new layers' parameters
    (PyTorch's ``torch.set_default_dtype``): float32 (the default) or float64."""
    global default_float
    dtype = as_dtype(dtype)
    if dtype not in (float32, float64):
        raise TypeError(f"set_default_dtype: expected float32 or float64, got {dtype}")
    default_float = dtype


def get_default_dtype():
    return default_float


def as_dtype(dtype):
    """A ``numpy.dtype`` from a dtype, a NumPy type or a name such as ``"float32"``."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"expected a dtype such as minigrad.float32 or 'float64', "
                        f"got {dtype!r}") from None
    if dt.kind not in "biuf":
        raise TypeError(f"unsupported dtype {dt}: minigrad tensors hold bool, integer or "
                        f"floating-point numbers")
    # '>f4' (big-endian, e.g. read from a file) holds the same numbers as float32: tensors
    # keep the machine's byte order, so that every kernel and dtype comparison sees one dtype
    return dt if dt.isnative else dt.newbyteorder("=")


def is_floating(dtype):
    return np.dtype(dtype).kind == "f"


def result_type(a, b):
    """The dtype of a binary op on arrays of dtypes ``a`` and ``b`` (see the module doc)."""
    a, b = np.dtype(a), np.dtype(b)
    if is_floating(a) and not is_floating(b):
        return a
    if is_floating(b) and not is_floating(a):
        return b
    return np.result_type(a, b)


def scalar_dtype(value, like):
    """The dtype a Python scalar takes next to an array of dtype ``like``.

    The tensor's dtype wins, except that a float scalar next to an integer/bool tensor gives
    the default float (``int_tensor * 0.5`` is float32).
    """
    like = np.dtype(like)
    if isinstance(value, float) and not is_floating(like):
        return default_float
    if isinstance(value, int) and not isinstance(value, bool) and like == bool_:
        return int64
    return like


def to_array(data, dtype=None):
    """A new NumPy/CuPy array holding ``data`` (a number, nested lists, a NumPy/CuPy array),
    of ``dtype`` or the dtype the rules above give: a copy, never a view of ``data``."""
    dtype = None if dtype is None else as_dtype(dtype)
    if _is_array(data):
        if data.dtype.kind not in "biuf":
            raise TypeError(f"unsupported dtype {data.dtype}: minigrad tensors hold bool, "
                            f"integer or floating-point numbers")
        dtype = dtype or as_dtype(data.dtype)
        if isinstance(data, np.generic):   # NumPy scalars (from reductions): 0-d arrays
            return np.array(data, dtype=dtype)
        return data.astype(dtype, copy=True)
    try:
        array = np.asarray(data)
    except ValueError as exc:
        raise ValueError(f"cannot make a tensor from this data (ragged nested lists?): "
                         f"{exc}") from None
    if array.dtype.kind not in "biuf":
        raise TypeError(f"cannot make a tensor from {type(data).__name__} data "
                        f"(got dtype {array.dtype}); expected numbers")
    if dtype is None:
        # Python floats arrive as float64: they mean "a float", which is float32 here.
        dtype = default_float if array.dtype.kind == "f" else as_dtype(array.dtype)
        if array.dtype.kind in "iu":
            dtype = int64
    return array.astype(dtype, copy=True)


def _is_cupy(obj):
    return type(obj).__module__.split(".")[0] == "cupy"


def _is_array(value):
    """A NumPy array or scalar, or a CuPy array."""
    return isinstance(value, (np.ndarray, np.generic)) or _is_cupy(value)
