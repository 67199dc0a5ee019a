"""The Tensor: an array on a device plus what autograd needs (``requires_grad``, ``grad``,
the Function that produced it).

Operators and methods are thin: each calls one op wrapper from ``minigrad.ops``, where the
forward and backward formulas live.  Comparisons, ``argmax`` and conversions return results
that carry no gradient.
"""
import numpy as np

from ._check import check_bool, check_int, check_shape
from . import anomaly, backend, dtypes
from .dtypes import _is_array, _is_cupy, to_array
from .grad_mode import is_grad_enabled

__all__ = ["Tensor", "tensor", "as_tensor"]
_new = object.__new__    # a Tensor made by the engine skips __init__ and its checks


class Tensor:
    """An n-dimensional array on ``"cpu"`` (NumPy) or ``"cuda"`` (CuPy) that records the
    operations applied to it when ``requires_grad`` is true, so ``backward()`` can compute
    gradients.

    ``Tensor(data, requires_grad=False, dtype=None, device=None)`` copies ``data``; see
    :func:`tensor`.
    """

    __slots__ = ("_data", "_requires_grad", "_grad", "_fn", "_retains_grad", "_versions",
                 "__weakref__")
    # NumPy defers to our reflected operators (ndarray + Tensor -> Tensor.__radd__).
    __array_ufunc__ = None

    def __init__(self, data, requires_grad=False, dtype=None, device=None):
        array = to_array(data._data if isinstance(data, Tensor) else data, dtype)
        if device is not None:
            array = backend.to_device(array, device)
        self._data = array
        self._grad = None
        self._fn = None
        self._retains_grad = False
        self._versions = [0]         # in-place change count (see _version), shared with views
        self._requires_grad = False
        self.requires_grad = requires_grad

    @classmethod
    def _wrap(cls, array, requires_grad=False):
        """Make a Tensor around an array the engine produced (no copy, no checks)."""
        t = _new(cls)
        t._data = array
        t._grad = None
        t._fn = None
        t._retains_grad = False
        t._versions = [0]
        t._requires_grad = requires_grad
        return t

    # -- attributes -------------------------------------------------------------------
    @property
    def data(self):
        """This tensor's values as a Tensor outside autograd, sharing its memory (PyTorch's
        ``.data``): ``p.data -= lr * p.grad`` or ``w.data.normal_(0, 0.01)`` change ``p``
        without being recorded and without counting as an in-place change, so a graph that
        saved ``p`` is not warned (use ``detach()`` to be warned).  The array itself is
        ``t.numpy()`` (a copy on the GPU) or ``np.asarray(t)``."""
        return Tensor._wrap(self._data)

    @data.setter
    def data(self, value):
        # PyTorch's t.data = other: t now holds other's values (any shape), outside autograd
        if not isinstance(value, Tensor):
            raise TypeError(f"assigning .data of a tensor {self.shape} {self.dtype}: expected "
                            f"a Tensor, got {type(value).__name__} (wrap an array with "
                            f"minigrad.tensor(...))")
        self._data = value._data

    @property
    def shape(self):
        return self._data.shape

    @property
    def ndim(self):
        return self._data.ndim

    @property
    def dtype(self):
        return self._data.dtype

    @property
    def device(self):
        return backend.CPU if type(self._data) is np.ndarray else backend.device_of(self._data)

    @property
    def xp(self):
        """The array module of this tensor's device (numpy or cupy)."""
        return np if type(self._data) is np.ndarray else backend.array_module(self._data)

    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag):
        flag = check_bool("Tensor", "requires_grad", flag)
        if flag and not dtypes.is_floating(self.dtype):
            raise TypeError(f"only floating-point tensors can require gradients, "
                            f"got dtype {self.dtype}")
        if self._fn is not None and not flag:
            raise RuntimeError(f"requires_grad can only be turned off on a leaf tensor; this "
                               f"one {self.shape} was made by {self._fn.name}: use .detach() "
                               f"to get a tensor outside the graph")
        self._requires_grad = flag

    def requires_grad_(self, flag=True):
        """Set ``requires_grad`` in place and return self."""
        self.requires_grad = flag
        return self

    @property
    def grad(self):
        """∂L/∂self after ``backward()`` (a Tensor of this shape, dtype and device), or None."""
        return self._grad

    @grad.setter
    def grad(self, value):
        # Checked here, as PyTorch does, so that a later backward cannot fail half-way
        # through accumulating into the leaves.
        if value is not None:
            where = f"assigning .grad of a tensor {self.shape} {self.dtype} on {self.device}"
            if not isinstance(value, Tensor):
                raise TypeError(f"{where}: expected a Tensor or None, got "
                                f"{type(value).__name__}")
            if value.device != self.device:
                raise RuntimeError(f"{where}: the gradient is on {value.device}")
            if value.shape != self.shape:
                raise RuntimeError(f"{where}: the gradient has shape {value.shape}")
            if value.dtype != self.dtype:
                raise RuntimeError(f"{where}: the gradient has dtype {value.dtype}")
        self._grad = value

    @property
    def _version(self):
        """How many in-place changes this tensor's memory has had.  Tensors that share
        memory (``detach()``, views made by reshape/transpose/slicing) share the count, so a
        write through any of them is seen by backward."""
        return self._versions[0]

    @property
    def is_leaf(self):
        """True for tensors not produced by a recorded op (their ``.grad`` is filled)."""
        return self._fn is None

    @property
    def grad_fn(self):
        """The Function that produced this tensor (None for leaves)."""
        return self._fn

    def retain_grad(self):
        """Also fill ``.grad`` of this non-leaf tensor during backward."""
        if not self._requires_grad:
            raise RuntimeError(f"retain_grad() on a tensor {self.shape} that does not require "
                               f"grad")
        self._retains_grad = True
        return self

    def numel(self):
        return int(self._data.size)

    def size(self, dim=None):
        if dim is None:
            return self.shape
        return self.shape[_ops._util.normalize_axes(dim, self.ndim, "size")[0]]

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    # -- conversion -------------------------------------------------------------------
    def numpy(self):
        """A NumPy copy of the data on the host (the tensor is left untouched)."""
        host = backend.to_device(self._data, "cpu")
        return host.copy() if host is self._data else host

    def __array__(self, dtype=None, copy=None):
        if self.device != "cpu":
            raise TypeError("cannot convert a cuda tensor to a NumPy array implicitly; "
                            "call .numpy() (or .cpu()) to copy it to the host")
        if copy:                      # np.array(t): an independent copy
            return self._data.astype(dtype or self.dtype, copy=True)
        # np.asarray(t): shares memory, like PyTorch's .numpy(); writes through it are not
        # seen by autograd's version checks.
        return self._data if dtype is None else self._data.astype(dtype)

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}")
        return self._data.reshape(()).item()

    def tolist(self):
        return self.numpy().tolist()

    def detach(self):
        """A tensor sharing this data but outside the graph (``requires_grad=False``)."""
        t = Tensor._wrap(self._data)
        t._versions = self._versions
        return t

    def to(self, *args, device=None, dtype=None, non_blocking=False, copy=False):
        """Copy to a device or cast to a dtype, in PyTorch's forms: ``to("cuda")``,
        ``to(minigrad.float64)``, ``to("cuda", minigrad.float16)``, ``to(other)`` (its
        device and dtype), ``to(device=..., dtype=...)``; differentiable.  Returns self
        when nothing changes (``copy=True``: a copy anyway); ``non_blocking`` is accepted
        and has no effect (copies are synchronous)."""
        for arg in args:
            if isinstance(arg, Tensor):
                device, dtype = arg.device, arg.dtype
            elif isinstance(arg, str) and arg.lower().split(":")[0] in backend.DEVICES:
                device = arg
            else:
                dtype = arg
        y = self if device is None else _ops.to_device(self, device)
        y = y if dtype is None else _ops.cast(y, dtype)
        return y.clone() if copy and y is self else y

    def type(self, dtype=None):
        """Without an argument, the type's name (``'minigrad.FloatTensor'``); with one, this
        tensor cast to that dtype (PyTorch's ``Tensor.type``)."""
        if dtype is None:
            names = {"float32": "Float", "float64": "Double", "float16": "Half",
                     "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char",
                     "uint8": "Byte", "bool": "Bool"}
            prefix = "minigrad." if self.device == "cpu" else "minigrad.cuda."
            return f"{prefix}{names.get(str(self.dtype), str(self.dtype))}Tensor"
        return _ops.cast(self, dtype)

    def type_as(self, other):
        return _ops.cast(self, other.dtype)

    def half(self):
        return _ops.cast(self, dtypes.float16)

    def int(self):
        return _ops.cast(self, dtypes.int32)

    def bool(self):
        return _ops.cast(self, dtypes.bool_)

    def dim(self):
        return self.ndim

    ndimension = dim

    def nelement(self):
        return self.numel()

    def element_size(self):
        return self.dtype.itemsize

    def is_floating_point(self):
        """True for a floating-point dtype (float16/32/64)."""
        return dtypes.is_floating(self.dtype)

    def is_contiguous(self):
        return bool(self._data.flags.c_contiguous)

    def contiguous(self):
        """Self if its memory is in row-major order, else a (differentiable) copy that is."""
        # a 1-d reshape of a strided array copies in row-major order; the second is a view
        return self if self.is_contiguous() else self.reshape(-1).reshape(self.shape)

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        """A new tensor from ``data``, with this tensor's dtype and device by default."""
        return Tensor(data, requires_grad=requires_grad, dtype=dtype or self.dtype,
                      device=device or self.device)

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
        return _creation.full(size, fill_value, dtype=dtype or self.dtype,
                              requires_grad=requires_grad, device=device or self.device)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        return _creation.zeros(*size, dtype=dtype or self.dtype, requires_grad=requires_grad,
                               device=device or self.device)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        return _creation.ones(*size, dtype=dtype or self.dtype, requires_grad=requires_grad,
                              device=device or self.device)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        return _creation.empty(*size, dtype=dtype or self.dtype, requires_grad=requires_grad,
                               device=device or self.device)

    def cpu(self):
        return self.to("cpu")

    def cuda(self):
        return self.to("cuda")

    def float(self):
        return _ops.cast(self, dtypes.float32)

    def double(self):
        return _ops.cast(self, dtypes.float64)

    def long(self):
        return _ops.cast(self, dtypes.int64)

    def clone(self):
        """A differentiable copy."""
        return _ops.cast(self, self.dtype, copy=True)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __bool__(self):
        if self._data.size != 1:
            raise ValueError(f"the truth value of a tensor with {self._data.size} elements is "
                             f"ambiguous; use .any() or .all()")
        return bool(self.item())

    def __index__(self):
        if self._data.size != 1 or self.dtype.kind not in "iu":
            raise TypeError("only one-element integer tensors can be used as an index")
        return int(self.item())

    def __format__(self, spec):
        if spec and self._data.size == 1:
            return format(self.item(), spec)
        return format(str(self), spec)

    def __repr__(self):
        data = backend.to_device(self._data, "cpu")
        # PyTorch's look: 4 decimals, all shown, unless every value is a whole number
        finite = data[np.isfinite(data)] if data.dtype.kind == "f" else data
        whole = data.dtype.kind != "f" or bool(np.all(finite == np.round(finite)))
        body = np.array2string(data, separator=", ", prefix="tensor(", threshold=1000,
                               **({} if whole else {"precision": 4, "floatmode": "fixed"}))
        extras = []
        if self.device != "cpu":
            extras.append(f"device='{self.device}'")
        if self.dtype not in (dtypes.float32, dtypes.int64, dtypes.bool_) or data.size == 0:
            extras.append(f"dtype={self.dtype}")
        if self._fn is not None:
            extras.append(f"grad_fn=<{self._fn.name}>")
        elif self._requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + ", ".join([body] + extras) + ")"

    __hash__ = object.__hash__
    # (No __getattr__ for a "not implemented" message: defining one slows every attribute
    # access of every tensor by about 40 %; Python's AttributeError names the method.)

    # -- autograd ---------------------------------------------------------------------
    def backward(self, grad=None, retain_graph=False):
        """Compute ∂self/∂leaf for every leaf that requires grad, accumulating into ``.grad``.

        ``grad`` is ∂L/∂self (same shape); it may be omitted only for a one-element tensor
        (then it is 1).  The graph is freed afterwards unless ``retain_graph=True``.
        """
        from .function import run_backward  # function.py imports this module

        run_backward(self, self._initial_grad(grad), retain_graph=retain_graph)

    def _initial_grad(self, grad):
        """The array dy = ∂L/∂self that backward starts from (``grad``, or 1 for a loss)."""
        if not self._requires_grad:
            raise RuntimeError("backward() on a tensor that does not require grad: no input "
                               "of the computation has requires_grad=True (or it ran under "
                               "no_grad())")
        if grad is None:
            if self._data.size != 1:
                raise RuntimeError(
                    f"backward() without grad on a tensor of shape {self.shape}: grad can be "
                    f"implied only for a one-element output (a loss); pass grad= of shape "
                    f"{self.shape}, or reduce first, e.g. y.sum().backward()")
            dy = self.xp.ones(self._data.shape, dtype=self.dtype)
        else:
            dy = grad._data if isinstance(grad, Tensor) else grad
            if not isinstance(dy, np.ndarray) and not _is_cupy(dy):
                dy = np.asarray(dy)
            if backend.device_of(dy) != self.device:
                raise RuntimeError(f"backward(): grad is on {backend.device_of(dy)}, "
                                   f"the tensor on {self.device}")
            if tuple(dy.shape) != self.shape:
                raise RuntimeError(f"backward(): grad has shape {tuple(dy.shape)}, expected "
                                   f"the tensor's shape {self.shape}")
            dy = dy.astype(self.dtype, copy=False)
        return dy

    def _accumulate(self, dx):
        """Add a gradient into ``.grad`` (the first one is copied: ops may share arrays;
        into the host cache's memory on the CPU, as a parameter's gradient is remade every
        step once ``zero_grad`` has set it to None)."""
        if self._grad is None:
            grad = backend.empty(self.device, dx.shape, dx.dtype)
            grad[...] = dx
            self._grad = Tensor._wrap(grad)
        else:
            self._grad._data += dx

    # -- arithmetic (each one op; formulas in minigrad/ops) ------------------------------
    def __add__(self, other):
        return _ops.add(self, other)

    def __radd__(self, other):
        return _ops.add(other, self)

    def __sub__(self, other):
        return _ops.sub(self, other)

    def __rsub__(self, other):
        return _ops.sub(other, self)

    def __mul__(self, other):
        return _ops.mul(self, other)

    def __rmul__(self, other):
        return _ops.mul(other, self)

    def __truediv__(self, other):
        return _ops.div(self, other)

    def __rtruediv__(self, other):
        return _ops.div(other, self)

    def __pow__(self, other):
        return _ops.pow(self, other)

    def __rpow__(self, other):
        return _ops.pow(other, self)

    def __matmul__(self, other):
        return _ops.matmul(self, other)

    def __rmatmul__(self, other):
        return _ops.matmul(other, self)

    def __neg__(self):
        return _ops.neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _ops.abs(self)

    def __getitem__(self, index):
        return _ops.getitem(self, index)

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.shape[0]))

    # -- in-place updates: allowed only where no gradient has to flow through them --------
    def _inplace(self, op, update):
        """Apply ``update(data)`` to this tensor's array in place and mark the change.

        Allowed under ``no_grad()`` (parameter updates) or on tensors outside autograd.  A
        tensor saved by a recorded op and changed afterwards is caught at backward, by its
        version count.
        """
        self._check_writable(op)
        try:
            update(self._data)
        except (TypeError, ValueError, IndexError) as exc:   # NumPy's refusals
            kind = next(k for k in (TypeError, IndexError, ValueError) if isinstance(exc, k))
            raise kind(f"{op}: {exc} (tensor {self.shape} {self.dtype})") from exc
        self._versions[0] += 1
        return self

    def _check_writable(self, op):
        """Raise the error :meth:`_inplace` would give, without writing (so that a call that
        writes several tensors can check them all first)."""
        if is_grad_enabled() and self._requires_grad:
            raise RuntimeError(
                f"{op}: in-place change of a tensor {self.shape} that requires grad while grad "
                f"mode is on; do parameter updates under `with minigrad.no_grad():`, or use "
                f"the out-of-place form (x = x - ... instead of x -= ...)")
        if anomaly.families and anomaly.saved_by(self):   # empty outside anomaly mode
            raise RuntimeError(
                f"{op}: in-place change of a tensor {self.shape} that "
                f"{', '.join(anomaly.saved_by(self))} saved for backward; anomaly mode makes "
                f"it read-only until backward (or until the graph is dropped) so that this "
                f"write fails here instead of giving a wrong gradient; change a .clone(), or "
                f"do it after backward()")

    def _inplace_operand(self, other, op):
        if isinstance(other, Tensor):
            if other.device != self.device:
                raise RuntimeError(f"{op}: tensor on {self.device}, operand on {other.device}")
            if is_grad_enabled() and other._requires_grad:
                raise RuntimeError(f"{op}: the operand requires grad; an in-place update "
                                   f"cannot be differentiated here (use no_grad())")
            return other._data
        return other

    def __iadd__(self, other):
        other = self._inplace_operand(other, "__iadd__")
        return self._inplace("__iadd__", lambda d: self.xp.add(d, other, out=d))

    def __isub__(self, other):
        other = self._inplace_operand(other, "__isub__")
        return self._inplace("__isub__", lambda d: self.xp.subtract(d, other, out=d))

    def __imul__(self, other):
        other = self._inplace_operand(other, "__imul__")
        return self._inplace("__imul__", lambda d: self.xp.multiply(d, other, out=d))

    def __itruediv__(self, other):
        other = self._inplace_operand(other, "__itruediv__")
        return self._inplace("__itruediv__", lambda d: self.xp.divide(d, other, out=d))

    def __setitem__(self, index, value):
        _ops.shape.check_index(index, "__setitem__")
        index = index._data if isinstance(index, Tensor) else index
        value = self._inplace_operand(value, "__setitem__")
        self._inplace("__setitem__", lambda d: d.__setitem__(index, value))

    # PyTorch's in-place methods (trailing underscore): allowed under no_grad() or on
    # tensors outside autograd (``.data``, ``detach()``), like ``+=``.
    def add_(self, other, *, alpha=1):
        """self ← self + alpha·other."""
        other = self._inplace_operand(other, "add_")
        return self._inplace("add_", lambda d: self.xp.add(
            d, other if alpha == 1 else alpha * other, out=d))

    def sub_(self, other, *, alpha=1):
        """self ← self − alpha·other."""
        other = self._inplace_operand(other, "sub_")
        return self._inplace("sub_", lambda d: self.xp.subtract(
            d, other if alpha == 1 else alpha * other, out=d))

    def mul_(self, other):
        other = self._inplace_operand(other, "mul_")
        return self._inplace("mul_", lambda d: self.xp.multiply(d, other, out=d))

    def div_(self, other):
        other = self._inplace_operand(other, "div_")
        return self._inplace("div_", lambda d: self.xp.divide(d, other, out=d))

    def clamp_(self, min=None, max=None):
        """Clip every element to [min, max] in place (either bound may be None)."""
        if min is None and max is None:
            raise ValueError("clamp_: give min or max (or both), got neither")
        lo = self._inplace_operand(min, "clamp_")
        hi = self._inplace_operand(max, "clamp_")
        return self._inplace("clamp_", lambda d: self.xp.clip(d, lo, hi, out=d))

    def zero_(self):
        """Set every element to 0 in place (under ``no_grad`` for tensors that need grad)."""
        return self._inplace("zero_", lambda d: d.fill(0))

    def fill_(self, value):
        value = self._inplace_operand(value, "fill_")
        return self._inplace("fill_", lambda d: d.fill(value.item() if hasattr(value, "item")
                                                       and value.size == 1 else value))

    def copy_(self, src):
        """Copy ``src``'s values into this tensor in place (shapes must broadcast)."""
        src = self._inplace_operand(src, "copy_")
        return self._inplace("copy_", lambda d: self.xp.copyto(d, src))

    def normal_(self, mean=0.0, std=1.0, *, generator=None):
        """Fill with draws from N(mean, std²) (minigrad's seeded generator, or
        ``generator``, as randn)."""
        draw = _creation.randn(*self.shape, dtype=np.float64, device="cpu",
                               generator=generator)._data * std + mean
        return self.copy_(Tensor._wrap(backend.to_device(draw.astype(self.dtype),
                                                         self.device)))

    def uniform_(self, a=0.0, b=1.0, *, generator=None):
        """Fill with draws from U(a, b) (minigrad's seeded generator, or ``generator``, as
        rand)."""
        draw = a + (b - a) * _creation.rand(*self.shape, dtype=np.float64, device="cpu",
                                            generator=generator)._data
        return self.copy_(Tensor._wrap(backend.to_device(draw.astype(self.dtype),
                                                         self.device)))

    # -- comparisons: boolean tensors, no gradient ---------------------------------------
    def _compare(self, other, ufunc):
        other = other._data if isinstance(other, Tensor) else other
        if _is_array(other):
            if backend.device_of(other) != self.device:
                raise RuntimeError(f"comparison between a tensor on {self.device} and an "
                                   f"array on {backend.device_of(other)}")
        try:
            return Tensor._wrap(getattr(self.xp, ufunc)(self._data, other))
        except ValueError:   # NumPy's broadcasting refusal, without the op's name
            raise ValueError(f"{ufunc}: shapes {self.shape} and {tuple(np.shape(other))} do "
                             f"not broadcast") from None

    def __eq__(self, other):
        return self._compare(other, "equal")

    def __ne__(self, other):
        return self._compare(other, "not_equal")

    def __lt__(self, other):
        return self._compare(other, "less")

    def __le__(self, other):
        return self._compare(other, "less_equal")

    def __gt__(self, other):
        return self._compare(other, "greater")

    def __ge__(self, other):
        return self._compare(other, "greater_equal")

    # -- bitwise / logical, on bool and integer tensors (no gradient: masks) -----------
    def _bitwise(self, other, ufunc):
        for operand in (self, other):
            kind = np.asarray(operand._data if isinstance(operand, Tensor) else operand).dtype
            if kind.kind not in "biu":
                raise TypeError(f"{ufunc}: expects bool or integer tensors, got dtype {kind}")
        return self._compare(other, ufunc)

    def __invert__(self):
        if self.dtype.kind not in "biu":
            raise TypeError(f"invert (~): expects a bool or integer tensor, got dtype "
                            f"{self.dtype}")
        return Tensor._wrap(self.xp.invert(self._data))

    def __and__(self, other):
        return self._bitwise(other, "bitwise_and")

    def __or__(self, other):
        return self._bitwise(other, "bitwise_or")

    def __xor__(self, other):
        return self._bitwise(other, "bitwise_xor")

    __rand__, __ror__, __rxor__ = __and__, __or__, __xor__

    def logical_not(self):
        return Tensor._wrap(self.xp.logical_not(self._data))

    def _no_grad_reduce(self, name, axis, keepdims, dim, keepdim):
        axis = axis if dim is None else dim
        keepdims = keepdims if keepdim is None else keepdim
        if axis is not None:
            if name in ("argmax", "argmin"):       # one axis; NumPy takes no tuple there
                check_int(name, "axis", axis)
            axes = _ops._util.normalize_axes(axis, self.ndim, name)
            axis = None if not axes else axes[0] if name in ("argmax", "argmin") else axes
        return Tensor._wrap(self.xp.asarray(getattr(self._data, name)(axis=axis,
                                                                   keepdims=keepdims)))

    def any(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        return self._no_grad_reduce("any", axis, keepdims, dim, keepdim)

    def all(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        return self._no_grad_reduce("all", axis, keepdims, dim, keepdim)

    def argmax(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        return self._no_grad_reduce("argmax", axis, keepdims, dim, keepdim)

    def argmin(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        return self._no_grad_reduce("argmin", axis, keepdims, dim, keepdim)

    # -- reductions (NumPy's axis/keepdims; PyTorch's dim/keepdim also accepted) --------
    def sum(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        return _ops.sum(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def mean(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        return _ops.mean(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def max(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return _ops.max(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def min(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return _ops.min(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def var(self, axis=None, keepdims=False, correction=1, *, dim=None, keepdim=None):
        return _ops.var(self, axis, keepdims, correction, dim=dim, keepdim=keepdim)

    def std(self, axis=None, keepdims=False, correction=1, *, dim=None, keepdim=None):
        return _ops.std(self, axis, keepdims, correction, dim=dim, keepdim=keepdim)

    def logsumexp(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        return _ops.logsumexp(self, axis, keepdims, dim=dim, keepdim=keepdim)

    # -- shape ------------------------------------------------------------------------
    def reshape(self, *shape):
        return _ops.reshape(self, *shape)

    def view(self, *shape):
        return _ops.view(self, *shape)

    def view_as(self, other):
        return _ops.view(self, other.shape)

    def reshape_as(self, other):
        return _ops.reshape(self, other.shape)

    def expand_as(self, other):
        return _ops.broadcast_to(self, other.shape)

    def narrow(self, dim, start, length):
        """The slice ``start : start + length`` along ``dim`` (a view, as PyTorch's)."""
        (axis,) = _ops._util.normalize_axes(dim, self.ndim, "narrow")
        start = check_int("narrow", "start", start)
        length = check_int("narrow", "length", length, low=0)
        n = self.shape[axis]
        start = start + n if start < 0 else start
        if not 0 <= start <= n - length:
            raise IndexError(f"narrow: start {start} and length {length} go past the size "
                             f"{n} of dim {dim}")
        return self[(slice(None),) * axis + (slice(start, start + length),)]

    def t(self):
        """The transpose of a matrix (a vector or a scalar stays as it is)."""
        if self.ndim > 2:
            raise ValueError(f"t: expected a tensor with at most 2 axes, got shape "
                             f"{self.shape}; use transpose(dim0, dim1)")
        return self if self.ndim < 2 else _ops.permute(self, 1, 0)

    def transpose(self, *axes):
        return _ops.transpose(self, *axes)

    def permute(self, *axes):
        return _ops.permute(self, *axes)

    @property
    def T(self):
        return _ops.permute(self, *reversed(range(self.ndim)))

    def flatten(self, start_dim=0, end_dim=-1):
        return _ops.flatten(self, start_dim, end_dim)

    def squeeze(self, axis=None):
        return _ops.squeeze(self, axis)

    def unsqueeze(self, axis):
        return _ops.unsqueeze(self, axis)

    def broadcast_to(self, shape):
        return _ops.broadcast_to(self, shape)

    def expand(self, *sizes):
        """PyTorch's ``expand``: broadcast to ``sizes``, where -1 keeps that axis's size."""
        sizes = check_shape(sizes, "expand", infer=True)
        kept = (1,) * (len(sizes) - self.ndim) + self.shape
        return _ops.broadcast_to(self, tuple(k if n == -1 else n for n, k in zip(sizes, kept)))

    # -- elementwise ------------------------------------------------------------------
    def exp(self):
        return _ops.exp(self)

    def log(self):
        return _ops.log(self)

    def sqrt(self):
        return _ops.sqrt(self)

    def abs(self):
        return _ops.abs(self)

    def clip(self, min=None, max=None):
        return _ops.clip(self, min, max)

    clamp = clip

    def pow(self, exponent):
        return _ops.pow(self, exponent)

    def relu(self):
        return _ops.relu(self)

    def sigmoid(self):
        return _ops.sigmoid(self)

    def tanh(self):
        return _ops.tanh(self)

    def softmax(self, axis=-1, *, dim=None):
        return _ops.softmax(self, axis, dim=dim)

    def log_softmax(self, axis=-1, *, dim=None):
        return _ops.log_softmax(self, axis, dim=dim)

    def mm(self, other):
        """The product of two matrices (2-d only, as PyTorch's ``mm``)."""
        if self.ndim != 2 or getattr(other, "ndim", None) != 2:
            raise ValueError(f"mm: expected two matrices, got shapes {self.shape} and "
                             f"{getattr(other, 'shape', type(other).__name__)}")
        return _ops.matmul(self, other)

    def eq(self, other):
        return self == other

    def ne(self, other):
        return self != other

    def lt(self, other):
        return self < other

    def le(self, other):
        return self <= other

    def gt(self, other):
        return self > other

    def ge(self, other):
        return self >= other

    def matmul(self, other):
        return _ops.matmul(self, other)

    # -- masks, selection, sampling -------------------------------------------------------
    # -- more pointwise math (formulas in minigrad/ops/elementwise.py) -------------------
    def sin(self):
        return _ops.sin(self)

    def cos(self):
        return _ops.cos(self)

    def tan(self):
        return _ops.tan(self)

    def asin(self):
        return _ops.asin(self)

    def acos(self):
        return _ops.acos(self)

    def atan(self):
        return _ops.atan(self)

    def sinh(self):
        return _ops.sinh(self)

    def cosh(self):
        return _ops.cosh(self)

    def log2(self):
        return _ops.log2(self)

    def log10(self):
        return _ops.log10(self)

    def log1p(self):
        return _ops.log1p(self)

    def expm1(self):
        return _ops.expm1(self)

    def exp2(self):
        return _ops.exp2(self)

    def square(self):
        return _ops.square(self)

    def rsqrt(self):
        return _ops.rsqrt(self)

    def reciprocal(self):
        return _ops.reciprocal(self)

    def erf(self):
        return _ops.erf(self)

    def sign(self):
        return _ops.sign(self)

    def floor(self):
        return _ops.floor(self)

    def ceil(self):
        return _ops.ceil(self)

    def trunc(self):
        return _ops.trunc(self)

    def neg(self):
        return _ops.neg(self)

    def atan2(self, other):
        return _ops.atan2(self, other)

    def round(self, *, decimals=0):
        return _ops.round(self, decimals=decimals)

    def masked_fill(self, mask, value):
        return _ops.masked_fill(self, mask, value)

    def tril(self, diagonal=0):
        return _ops.tril(self, diagonal)

    def triu(self, diagonal=0):
        return _ops.triu(self, diagonal)

    def gather(self, dim, index):
        return _ops.gather(self, dim, index)

    def topk(self, k, dim=-1, largest=True, sorted=True):
        return _ops.topk(self, k, dim, largest, sorted)

    def multinomial(self, num_samples, replacement=False, *, generator=None):
        return _creation.multinomial(self, num_samples, replacement, generator=generator)


def tensor(data, requires_grad=False, dtype=None, device=None):
    """Make a tensor from data (a number, nested lists, a NumPy/CuPy array or a Tensor).

    The data is copied.  Dtype: ``dtype`` if given, else a NumPy/CuPy array's own dtype, else
    float32 for floats, int64 for ints, bool for bools.  Device: ``device`` if given (an
    explicit copy), else where the data already is (CPU for Python data): never a silent
    copy between devices.

    >>> x = minigrad.tensor([[1.0, 2.0]], requires_grad=True)   # float32, shape (1, 2)
    """
    if device is None and not isinstance(data, (Tensor, np.ndarray, np.generic)) \
            and not _is_cupy(data):
        device = backend.get_default_device()    # Python data: minigrad.set_default_device
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, device=device)


def as_tensor(data, dtype=None, device=None):
    """``data`` if it is already a Tensor (of that dtype/device), else a new tensor."""
    if isinstance(data, Tensor):
        t = data if device is None else data.to(device)
        return t if dtype is None else t.to(dtype)
    return Tensor(data, dtype=dtype, device=device)


from . import ops as _ops  # noqa: E402  (ops build on Tensor; imported once it exists)
from . import creation as _creation  # noqa: E402  (likewise)
