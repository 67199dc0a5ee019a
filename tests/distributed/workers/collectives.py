"""Every collective against NumPy, on random arrays of several dtypes and sizes."""
import numpy as np

import minigrad
import minigrad.distributed as dist

dist.init_process_group("mpi")
rank, world = dist.get_rank(), dist.get_world_size()
SIZES = [0, 1, 3, 7, 1000, 4097]
DTYPES = ["float32", "float64", "float16", "int32", "int64", "uint8"]


def values(r, size, dtype, seed):
    rng = np.random.default_rng([seed, r])
    if dtype[0] in "iu":
        return rng.integers(0, 7, size).astype(dtype)
    return rng.standard_normal(size).astype(dtype)


checks = 0
for seed, (dtype, size) in enumerate((d, s) for d in DTYPES for s in SIZES):
    everyone = [values(r, size, dtype, seed) for r in range(world)]
    mine = everyone[rank]
    ops = [dist.ReduceOp.SUM, dist.ReduceOp.MAX, dist.ReduceOp.MIN]
    if dtype[0] == "f":
        ops.append(dist.ReduceOp.AVG)
    for op in ops:
        expect = {dist.ReduceOp.SUM: lambda a: np.sum(a, 0, dtype=a.dtype),
                  dist.ReduceOp.MAX: lambda a: np.max(a, 0),
                  dist.ReduceOp.MIN: lambda a: np.min(a, 0),
                  dist.ReduceOp.AVG: lambda a: np.sum(a, 0, dtype=a.dtype) / world,
                  }[op](np.stack(everyone)) if size else np.empty(0, dtype)
        for as_tensor in (False, True):
            buf = mine.copy()
            target = minigrad.tensor(buf) if as_tensor else buf
            dist.all_reduce(target, op=op)
            got = target._data if as_tensor else buf
            assert got.dtype == np.dtype(dtype), (got.dtype, dtype)
            tol = 1e-2 if dtype == "float16" else 1e-6
            np.testing.assert_allclose(got.astype("float64"), expect.astype("float64"),
                                       rtol=tol, atol=tol, err_msg=f"{op} {dtype} {size}")
            checks += 1
    # a non-contiguous view is reduced in place too
    if size > 2:
        base = np.stack([mine, mine])
        dist.all_reduce(base[:, ::2])
        np.testing.assert_allclose(base[0, ::2].astype("float64"),
                                   np.sum(np.stack(everyone), 0)[::2].astype("float64"),
                                   rtol=1e-2, atol=1e-2)
    # broadcast from each rank
    for src in range(world):
        t = minigrad.tensor(mine.copy())
        dist.broadcast(t, src=src)
        np.testing.assert_array_equal(t._data, everyone[src])
        checks += 1
    # all_gather
    outs = [minigrad.zeros(size, dtype=dtype) for _ in range(world)]
    dist.all_gather(outs, minigrad.tensor(mine))
    for r in range(world):
        np.testing.assert_array_equal(outs[r]._data, everyone[r])
    checks += 1
    # reduce_scatter
    if dtype[0] == "f" or dtype.startswith("int"):
        pieces = [values(r, size * world, dtype, seed + 1000) for r in range(world)]
        out = np.zeros(size, dtype)
        dist.reduce_scatter(out, list(pieces[rank].reshape(world, size)))
        total = np.sum(np.stack(pieces), 0, dtype=dtype)[rank * size:(rank + 1) * size]
        np.testing.assert_allclose(out.astype("float64"), total.astype("float64"),
                                   rtol=1e-2, atol=1e-2)
        checks += 1
# all_reduce's short path skips the dtype and layout tests for the small array that
# passed them last: the same tensor twice, then arrays that must not take it
group = dist.process_group._group
t = minigrad.tensor(np.full(1024, rank + 1.0, np.float32))
dist.all_reduce(t)
dist.all_reduce(t)
total = world * (world + 1) / 2
np.testing.assert_array_equal(t._data, np.full(1024, world * total, np.float32))
assert group.last_native is t._data
for other in (np.asfortranarray(np.full((4, 3), rank + 1.0, np.float32)),   # F order
              np.full(5, rank + 1.0, np.float16), np.full(5, rank % 2 == 0)):  # not native
    u = minigrad.tensor(other)
    dist.all_reduce(u)
    want = np.full(other.shape, total if other.dtype != bool else True).astype(other.dtype)
    np.testing.assert_array_equal(u._data, want)
    assert group.last_native is t._data
big = minigrad.tensor(np.ones(1 << 15, np.float32))     # 128 KiB: checked, not retained
dist.all_reduce(big)
np.testing.assert_array_equal(big._data, world)
assert group.last_native is t._data
checks += 5
dist.barrier()
print(f"rank {rank}: {checks} collective checks passed", flush=True)
dist.destroy_process_group()
