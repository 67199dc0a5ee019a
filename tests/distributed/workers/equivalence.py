"""DDP on N ranks × batch B equals 1 process × batch N·B on the same samples.

argv: model (mlp | cnn | bn | syncbn), optimizer (sgd | adam), mode (plain | no_sync).
"syncbn" is the "bn" network with nn.SyncBatchNorm on the ranks against BatchNorm2d in the
reference: its parameters and running statistics must match too; "bn" keeps BatchNorm on
the ranks (statistics of each rank's share) and must *not* match (the negative control).
Every rank trains the DDP model on its slice of each global batch; rank 0 also trains a
plain copy on the whole global batch and prints the largest parameter difference.
"""
import sys

import numpy as np

import minigrad
import minigrad.distributed as dist
import minigrad.functional as F
from minigrad import nn, optim

model_name, opt_name, mode = (sys.argv[1:] + ["mlp", "sgd", "plain"][len(sys.argv) - 1:])[:3]
backend = "local" if len(sys.argv) > 4 and sys.argv[4] == "local" else "mpi"
dist.init_process_group(backend)
if "--no-sync-ever" in sys.argv:       # negative control: the check must then fail
    dist.DistributedDataParallel.__init__.__globals__["function"].register_grad_ready_hook = \
        lambda p, fn: type("H", (), {"remove": lambda self: None})()
rank, world = dist.get_rank(), dist.get_world_size()
STEPS, PER_RANK = 20, 32
GLOBAL = PER_RANK * world


def build(seed, reference=False):
    minigrad.manual_seed(seed)
    if model_name == "mlp":
        return nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 5))
    if model_name in ("bn", "syncbn"):      # "bn": per-rank batch statistics, no equivalence
        # no bias before a batch norm: its true gradient is 0, and Adam would turn the
        # rounding noise in it into full steps of either sign
        net = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4),
                            nn.ReLU(), nn.Flatten(), nn.Linear(4 * 8 * 8, 5, bias=False),
                            nn.BatchNorm1d(5))
        if model_name == "syncbn" and not reference:
            net = nn.SyncBatchNorm.convert_sync_batchnorm(net)
        return net
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(4 * 4 * 4, 5))


def make_opt(params):
    return optim.SGD(params, lr=0.1, momentum=0.9) if opt_name == "sgd" else \
        optim.Adam(params, lr=1e-2)


rng = np.random.default_rng(123)
shape = (20,) if model_name == "mlp" else (1, 8, 8)
if model_name == "syncbn" and world > 1:
    assert type(build(0)[1]).__name__ == "SyncBatchNorm"
X = rng.standard_normal((STEPS, 2 * 32) + shape).astype("float32")[:, :GLOBAL]
Y = rng.integers(0, 5, (STEPS, 2 * 32))[:, :GLOBAL]

# rank 1 starts from other weights: DDP must broadcast rank 0's
ddp = dist.DistributedDataParallel(build(seed=rank), bucket_cap_mb=0.001)
opt = make_opt(ddp.parameters())
for step in range(STEPS):
    x, y = X[step, rank::world], Y[step, rank::world]          # this rank's share
    opt.zero_grad()
    if mode == "no_sync":
        half = PER_RANK // 2
        with ddp.no_sync():
            F.cross_entropy(ddp(minigrad.tensor(x[:half])), minigrad.tensor(y[:half])).backward()
        F.cross_entropy(ddp(minigrad.tensor(x[half:])), minigrad.tensor(y[half:])).backward()
    else:
        F.cross_entropy(ddp(minigrad.tensor(x)), minigrad.tensor(y)).backward()
    if world > 1 and mode == "plain" and "--no-sync-ever" not in sys.argv:
        # every bucket but the last (the first layer's) starts while backward still runs
        assert ddp.bucket_launches["during_backward"] == len(ddp._buckets) - 1 or \
            ddp.bucket_launches["during_backward"] == len(ddp._buckets), ddp.bucket_launches
    opt.step()

# the ranks agree exactly (parameters; buffers are rank 0's since the last forward, and
# SyncBatchNorm's running statistics are the same global ones on every rank anyway)
for p in list(ddp.module.parameters()) + (list(ddp.module.buffers()) if model_name == "syncbn"
                                          else []):
    copies = [np.zeros_like(p._data) for _ in range(world)]
    dist.all_gather(copies, p._data)
    for c in copies:
        assert np.array_equal(c, p._data), "ranks differ"

if rank == 0:
    ref = build(seed=0, reference=True)
    opt = make_opt(ref.parameters())
    for step in range(STEPS):
        order = np.concatenate([np.arange(r, GLOBAL, world) for r in range(world)])
        x, y = X[step, order], Y[step, order]
        opt.zero_grad()
        if mode == "no_sync":
            # the same micro-batches: each rank's first halves, then the second halves
            half = PER_RANK // 2
            first = np.concatenate([np.arange(r * PER_RANK, r * PER_RANK + half)
                                    for r in range(world)])
            second = np.concatenate([np.arange(r * PER_RANK + half, (r + 1) * PER_RANK)
                                     for r in range(world)])
            for part in (first, second):
                F.cross_entropy(ref(minigrad.tensor(x[part])),
                                minigrad.tensor(y[part])).backward()
        else:
            F.cross_entropy(ref(minigrad.tensor(x)), minigrad.tensor(y)).backward()
        opt.step()
    diff = max(float(np.max(np.abs(a._data - b._data)))
               for a, b in zip(ref.parameters(), ddp.module.parameters()))
    if model_name in ("bn", "syncbn"):      # the running statistics of the global batch
        stats = [(a, b) for a, b in zip(ref.buffers(), ddp.module.buffers())
                 if a.is_floating_point()]
        assert len(stats) == 4
        diff = max([diff] + [float(np.max(np.abs(a._data - b._data))) for a, b in stats])
    scale = max(float(np.max(np.abs(a._data))) for a in ref.parameters())
    print(f"EQUIVALENCE {model_name} {opt_name} {mode} world={world} buckets="
          f"{len(ddp._buckets)} max_abs_diff={diff:.3e} max_abs_param={scale:.3f}", flush=True)
    if model_name == "bn":      # negative control: per-rank statistics are not global
        assert diff > 1e-3, f"plain BatchNorm under DDP matched the global batch: {diff}"
    else:
        assert diff < 1e-5 * max(1.0, scale), diff
dist.destroy_process_group()
