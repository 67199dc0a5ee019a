"""The process group: which backend carries the collectives, this process's rank, and the
collectives themselves (PyTorch's ``torch.distributed`` names).

Backends:

* ``"mpi"``: MPI through ``mpi4py`` (``pip install "minigrad[distributed]"`` installs
  ``mpi4py`` and the ``mpich`` wheel).  Collectives work on the NumPy buffers themselves
  (``Allreduce(MPI.IN_PLACE, buf)``): nothing is pickled.
* ``"nccl"``: NCCL through ``cupy.cuda.nccl``, one process per GPU, started by ``mpiexec``
  (MPI only carries NCCL's unique id at start-up).  Collectives run on CuPy's current stream.
* ``"local"``: a world of one process; every collective is the identity, so a distributed
  script runs unchanged without MPI.

Neither ``mpi4py`` nor ``cupy`` is imported before ``init_process_group`` asks for them.
"""
import enum
import sys
import time

import numpy as np

from ..tensor import Tensor

__all__ = ["ReduceOp", "DistributedError", "DistributedTimeoutError", "init_process_group",
           "init", "is_initialized", "is_available", "get_rank", "get_world_size",
           "get_backend", "destroy_process_group", "barrier", "all_reduce", "broadcast",
           "all_gather", "reduce_scatter", "Work"]

BACKENDS = ("mpi", "nccl", "local")


class DistributedError(RuntimeError):
    """A collective failed, or the process group is not set up for it."""


class DistributedTimeoutError(DistributedError):
    """A collective did not complete within the process group's ``timeout``."""


class ReduceOp(enum.Enum):
    """How ``all_reduce`` combines the ranks' values."""
    SUM = "sum"
    AVG = "avg"
    MAX = "max"
    MIN = "min"
    PRODUCT = "product"


_SUM = ReduceOp.SUM   # a member read through the Enum class costs ~0.1 µs (Python 3.11)
_group = None     # the one process group of this process (a _Backend), or None


def is_available():
    """True: the package is importable (whether a backend's library is installed is only
    checked by ``init_process_group``)."""
    return True


def is_initialized():
    """Whether ``init_process_group`` has been called (and not destroyed since)."""
    return _group is not None


def _seconds(timeout):
    if timeout is None:
        return None
    seconds = timeout.total_seconds() if hasattr(timeout, "total_seconds") else timeout
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not seconds > 0:
        raise ValueError(f"init_process_group: timeout must be a positive number of seconds "
                         f"or a datetime.timedelta, got {timeout!r}")
    return float(seconds)


def init_process_group(backend="mpi", *, timeout=None, world_size=None, rank=None,
                       init_method=None):
    """Join the process group: call once in every process, before any collective.

    Args:
        backend: ``"mpi"`` (processes started by ``mpiexec``), ``"nccl"`` (one process per
            GPU, started by ``mpiexec``) or ``"local"`` (a world of one).
        timeout: seconds (or a ``timedelta``) a blocking collective may wait for the other
            ranks before raising :class:`DistributedTimeoutError` (a rank that died or never
            reached the call); None (the default) waits as long as MPI does — ``mpiexec``
            ends the whole job when a rank dies.
        world_size, rank: checked against what the launcher says, if given (MPI decides them).
        init_method: accepted for PyTorch compatibility; must be None or ``"env://"``.
    """
    global _group
    if not isinstance(backend, str) or backend.lower() not in BACKENDS:
        raise ValueError(f"init_process_group: unknown backend {backend!r}; expected one of "
                         f"{', '.join(BACKENDS)}")
    if init_method not in (None, "env://"):
        raise ValueError(f"init_process_group: init_method {init_method!r} is not supported: "
                         f"start the processes with mpiexec (docs/distributed.md)")
    seconds = _seconds(timeout)
    if _group is not None:
        raise DistributedError(f"init_process_group: already initialized (backend "
                               f"{_group.name!r}); call destroy_process_group() first")
    backend = backend.lower()
    if backend == "local":
        group = _LocalBackend()
    elif backend == "mpi":
        group = _MPIBackend(seconds)
    else:
        from .nccl import NCCLBackend
        group = NCCLBackend(seconds)
    for name, given, actual in (("world_size", world_size, group.world_size),
                                ("rank", rank, group.rank)):
        if given is not None and given != actual:
            group.close()
            raise ValueError(f"init_process_group: {name}={given!r} but the launcher started "
                             f"this process with {name} {actual}")
    _group = group
    if backend != "local" and group.world_size > 1:
        group.abort_hook = _AbortOnUncaughtException(group.MPI, group.rank, group.world_size)


init = init_process_group


def destroy_process_group():
    """Leave the process group (a later ``init_process_group`` may join again)."""
    global _group
    if _group is not None:
        hook = getattr(_group, "abort_hook", None)
        if hook is not None:
            hook.remove()
        _group.close()
        _group = None


class _AbortOnUncaughtException:
    """``sys.excepthook`` while an MPI or NCCL group of two or more is joined: an exception
    that ends this rank's script ends every rank.  Without it the others would wait in
    their next collective (forever, with no timeout).  The traceback is printed first;
    ``MPI_Abort`` then makes mpiexec stop the job with an error, as ``python -m mpi4py
    script.py`` does."""

    def __init__(self, mpi, rank, world_size):
        self.mpi, self.rank, self.world_size = mpi, rank, world_size
        self.previous = sys.excepthook
        sys.excepthook = self

    def __call__(self, kind, value, traceback):
        self.previous(kind, value, traceback)
        sys.stderr.write(f"minigrad.distributed: uncaught {kind.__name__} on rank "
                         f"{self.rank} of {self.world_size}: aborting every rank "
                         f"(MPI_Abort)\n")
        sys.stdout.flush()
        sys.stderr.flush()
        time.sleep(0.5)          # mpiexec forwards output asynchronously: let it arrive
        self.mpi.COMM_WORLD.Abort(1)

    def remove(self):
        if sys.excepthook is self:
            sys.excepthook = self.previous


def _require(what):
    if _group is None:
        raise DistributedError(f"{what}: the default process group is not initialized; call "
                               f"minigrad.distributed.init_process_group('mpi') (or 'nccl', "
                               f"'local') first")
    return _group


def get_rank():
    """This process's rank, 0 … world size − 1."""
    return _require("get_rank").rank


def get_world_size():
    """The number of processes in the group."""
    return _require("get_world_size").world_size


def get_backend():
    """The backend's name: ``"mpi"``, ``"nccl"`` or ``"local"``."""
    return _require("get_backend").name


def barrier():
    """Wait until every rank has called ``barrier``."""
    _require("barrier").barrier()


# -- the arrays behind the arguments ------------------------------------------------------

def _array(what, name, value):
    """The raw array of a Tensor or array argument, with a Tensor's version bump."""
    if isinstance(value, Tensor):
        return value._data
    if isinstance(value, np.ndarray) or type(value).__module__.startswith("cupy"):
        return value
    raise TypeError(f"{what}: {name} must be a Tensor or an array, got "
                    f"{type(value).__name__}")


def _written(value):
    if isinstance(value, Tensor):
        value._versions[0] += 1


def _op(what, op, dtype):
    given = op
    if isinstance(op, str):
        try:
            op = ReduceOp(op.lower())
        except ValueError:
            pass
    if not isinstance(op, ReduceOp):
        raise ValueError(f"{what}: op must be a ReduceOp (SUM, AVG, MAX, MIN, PRODUCT), got "
                         f"{given!r}")
    if op is ReduceOp.AVG and dtype.kind not in "fc":
        raise TypeError(f"{what}: ReduceOp.AVG needs a floating-point tensor, got {dtype}")
    return op


def _src(what, src, group):
    if isinstance(src, bool) or not isinstance(src, (int, np.integer)):
        raise TypeError(f"{what}: src must be an int rank, got {type(src).__name__}")
    if not 0 <= src < group.world_size:
        raise ValueError(f"{what}: src {src} is not a rank of this world of size "
                         f"{group.world_size} (0 … {group.world_size - 1})")
    return int(src)


class Work:
    """A collective in flight (``async_op=True``): ``wait()`` finishes it."""

    def __init__(self, wait=None):
        self._wait = wait

    def wait(self, timeout=None):
        if self._wait is not None:
            wait, self._wait = self._wait, None
            wait()
        return True

    def is_completed(self):
        return self._wait is None


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Combine ``tensor`` over every rank, in place: afterwards each rank holds the sum (or
    mean, max, min, product) of all ranks' values.  ``tensor`` is a Tensor or a raw array
    of the same shape and dtype on every rank."""
    g = _group
    if op is _SUM and type(tensor) is Tensor and g is not None and not async_op:
        array = tensor._data             # the common case, kept short (small messages)
        comm = g.sum_comm
        # straight to MPI (an empty array too: a count of 0 is a valid Allreduce; SUM is
        # Allreduce's default op).  Every 10 ns shows on a 4 KiB message: the dtype and
        # layout tests (~0.13 µs there) are skipped for the small array that passed them
        # last, as DDP's buckets and a loop's buffers come back call after call
        if comm is not None and (array is g.last_native or _mpi_native(g, array)):
            try:
                comm.Allreduce(g.IN_PLACE, array)
            except g.MPI.Exception as exc:
                g.failed("all_reduce", exc)
            tensor._versions[0] += 1
            return None
        if array.size and g.world_size > 1:
            g.all_reduce_sum(array)
            tensor._versions[0] += 1
        return None
    what = "all_reduce"
    g = _require(what)
    array = _array(what, "tensor", tensor)
    op = _op(what, op, array.dtype)
    if array.size == 0 or g.world_size == 1:
        return Work() if async_op else None
    wait = g.all_reduce(array, op, async_op)
    _written(tensor)
    if async_op:
        return Work(wait)
    return None


def broadcast(tensor, src=0, group=None, async_op=False):
    """Overwrite ``tensor`` on every rank with rank ``src``'s values, in place."""
    what = "broadcast"
    g = _require(what)
    array = _array(what, "tensor", tensor)
    src = _src(what, src, g)
    if g.world_size > 1 and array.size:
        g.broadcast(array, src)
        _written(tensor)
    return Work() if async_op else None


def _per_rank(what, name, items, like, like_name, g):
    """The arrays of ``items``, a list of one Tensor or array per rank, each of ``like``'s
    shape and dtype."""
    if not isinstance(items, list):
        raise TypeError(f"{what}: {name} must be a list of one tensor per rank "
                        f"({g.world_size}), got {type(items).__name__}")
    if len(items) != g.world_size:
        raise ValueError(f"{what}: {name} has {len(items)} tensors; expected one per rank "
                         f"({g.world_size})")
    arrays = [_array(what, f"{name}[{i}]", t) for i, t in enumerate(items)]
    for i, a in enumerate(arrays):
        if a.shape != like.shape or a.dtype != like.dtype:
            raise ValueError(f"{what}: {name}[{i}] is {tuple(a.shape)} {a.dtype}; expected "
                             f"{tuple(like.shape)} {like.dtype} like {like_name}")
    return arrays


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """Fill ``tensor_list`` (one Tensor or array per rank, each of ``tensor``'s shape and
    dtype) with every rank's ``tensor``: ``tensor_list[r]`` is rank r's."""
    what = "all_gather"
    g = _require(what)
    array = _array(what, "tensor", tensor)
    outs = _per_rank(what, "tensor_list", tensor_list, array, "tensor", g)
    gathered = g.all_gather(array)            # (world, *shape)
    for out, t, part in zip(outs, tensor_list, gathered):
        out[...] = part
        _written(t)
    return Work() if async_op else None


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce ``input_list`` (one Tensor or array per rank) over every rank and leave the
    r-th reduced piece in rank r's ``output``."""
    what = "reduce_scatter"
    g = _require(what)
    out = _array(what, "output", output)
    ins = _per_rank(what, "input_list", input_list, out, "output", g)
    op = _op(what, op, out.dtype)
    xp = np if isinstance(out, np.ndarray) else __import__("cupy")
    flat = xp.concatenate([a.reshape(-1) for a in ins]) if ins else xp.empty(0, out.dtype)
    if g.world_size > 1 and out.size:
        g.all_reduce(flat, op, False)
    out[...] = flat[g.rank * out.size:(g.rank + 1) * out.size].reshape(out.shape)
    _written(output)
    return Work() if async_op else None


# -- backends ------------------------------------------------------------------------------

class _LocalBackend:
    name = "local"
    rank, world_size = 0, 1
    sum_comm = None

    def barrier(self):
        pass

    def all_reduce(self, array, op, async_op):
        return (lambda: None) if async_op else None

    def broadcast(self, array, src):
        pass

    def all_gather(self, array):
        return array[None].copy()

    def all_reduce_sum(self, array):
        pass

    def iallreduce_sum(self, buf):
        return _Done()

    def wait_request(self, request, what):
        pass

    def close(self):
        pass


class _Done:
    """A request that is already complete (a world of one)."""

    def Test(self):
        return True

    def Wait(self):
        pass


# NumPy dtypes MPI reduces natively (float16 and bool go through float32 / uint8)
_MPI_NATIVE = {np.dtype(t) for t in ("float32", "float64", "int8", "int16", "int32", "int64",
                                     "uint8", "uint16", "uint32", "uint64",
                                     "complex64", "complex128")}


def _mpi_native(g, array):
    """Whether MPI sums ``array`` in place as it is (a native dtype, C order); remembered
    as ``g.last_native`` when it does and is small (where the tests' cost shows; holding
    a reference to a large array would keep its memory alive)."""
    if array.dtype in _MPI_NATIVE and array.flags.c_contiguous:
        if array.nbytes <= 1 << 16:
            g.last_native = array
        return True
    return False


class _MPIBackend:
    name = "mpi"

    def __init__(self, timeout):
        try:
            from mpi4py import MPI
        except ImportError as exc:
            raise ImportError(
                "init_process_group(backend='mpi') needs mpi4py and an MPI library: "
                "pip install \"minigrad[distributed]\" (installs mpi4py and mpich), then "
                "start the script with mpiexec -n N python script.py") from exc
        self.MPI, self.IN_PLACE, self.SUM = MPI, MPI.IN_PLACE, MPI.SUM
        self.comm = MPI.COMM_WORLD.Dup()    # our own communicator: the user's MPI is apart
        # errors come back as Python exceptions instead of aborting the job
        self.comm.Set_errhandler(MPI.ERRORS_RETURN)
        self.rank, self.world_size = self.comm.Get_rank(), self.comm.Get_size()
        self.timeout = timeout
        # blocking sums go straight to this communicator (all_reduce's short path) when no
        # timeout has to be watched and there is someone to sum with
        self.sum_comm = self.comm if timeout is None and self.world_size > 1 else None
        self.last_native = None     # the last array all_reduce's short path checked
        self.ops = {ReduceOp.SUM: MPI.SUM, ReduceOp.AVG: MPI.SUM, ReduceOp.MAX: MPI.MAX,
                    ReduceOp.MIN: MPI.MIN, ReduceOp.PRODUCT: MPI.PROD}

    def wait_request(self, request, what):
        self._wait(request, what)

    def _wait(self, request, what):
        """Wait for a non-blocking request, raising after ``timeout`` seconds."""
        if self.timeout is None:
            self._call(request.Wait, what)
            return
        deadline = time.monotonic() + self.timeout
        spins = 0
        while not self._call(request.Test, what):
            spins += 1
            if spins > 1000:
                time.sleep(0.0005)
                if time.monotonic() > deadline:
                    raise DistributedTimeoutError(
                        f"{what} on rank {self.rank} of {self.world_size} did not complete "
                        f"within {self.timeout:g} s: another rank died, hangs, or did not "
                        f"call the same collective in the same order")

    def _call(self, fn, what, *args):
        try:
            return fn(*args)
        except self.MPI.Exception as exc:
            raise DistributedError(f"{what} on rank {self.rank} of {self.world_size} failed "
                                   f"in MPI: {exc.Get_error_string()}") from exc

    def _contiguous(self, array):
        if array.flags.c_contiguous and array.dtype in _MPI_NATIVE:
            return array, None
        work_dtype = array.dtype if array.dtype in _MPI_NATIVE else (
            np.float32 if array.dtype.kind == "f" else np.uint8)
        return np.ascontiguousarray(array, dtype=work_dtype), array

    def all_reduce_sum(self, array):
        """A blocking sum in place: straight to MPI for a contiguous native array."""
        if self.sum_comm is not None and array.flags.c_contiguous \
                and array.dtype in _MPI_NATIVE:
            try:
                self.comm.Allreduce(self.IN_PLACE, array, self.SUM)
            except self.MPI.Exception as exc:
                self.failed("all_reduce", exc)
        else:
            self.all_reduce(array, ReduceOp.SUM, False)

    def failed(self, what, exc):
        raise DistributedError(f"{what} on rank {self.rank} of {self.world_size} failed in "
                               f"MPI: {exc.Get_error_string()}") from exc

    def all_reduce(self, array, op, async_op):
        what = "all_reduce"
        buf, original = self._contiguous(array)
        mpi_op = self.ops[op]
        if original is not None and original.dtype == bool and op is ReduceOp.SUM:
            mpi_op = self.MPI.MAX      # a sum of truth values, kept a truth value: any
        world = self.world_size

        def finish():
            if op is ReduceOp.AVG:
                buf[...] /= world
            if original is not None:
                original[...] = buf

        if async_op or self.timeout is not None:
            request = self._call(self.comm.Iallreduce, what, self.MPI.IN_PLACE, buf, mpi_op)

            def wait():
                self._wait(request, what)
                finish()
            if async_op:
                return wait
            wait()
            return None
        self._call(self.comm.Allreduce, what, self.MPI.IN_PLACE, buf, mpi_op)
        finish()
        return None

    def iallreduce_sum(self, buf):
        """Start a sum of the contiguous native-dtype ``buf`` in place; a request back."""
        return self._call(self.comm.Iallreduce, "all_reduce", self.MPI.IN_PLACE, buf,
                          self.MPI.SUM)

    def broadcast(self, array, src):
        what = "broadcast"
        buf, original = self._contiguous(array)
        if self.timeout is not None:
            self._wait(self._call(self.comm.Ibcast, what, buf, src), what)
        else:
            self._call(self.comm.Bcast, what, buf, src)
        if original is not None:
            original[...] = buf

    def all_gather(self, array):
        what = "all_gather"
        buf, _ = self._contiguous(array)
        out = np.empty((self.world_size,) + buf.shape, buf.dtype)
        if buf.size:
            if self.timeout is not None:
                self._wait(self._call(self.comm.Iallgather, what, buf, out), what)
            else:
                self._call(self.comm.Allgather, what, buf, out)
        return out.astype(array.dtype, copy=False)

    def barrier(self):
        if self.timeout is not None:
            self._wait(self._call(self.comm.Ibarrier, "barrier"), "barrier")
        else:
            self._call(self.comm.Barrier, "barrier")

    def close(self):
        try:
            self.comm.Free()
        except Exception:       # noqa: BLE001 - MPI already finalized at exit
            pass
