"""fit under data-parallel training on the ranks of mpiexec.

1. fit(batch_size=16) on 2 ranks equals fit(batch_size=32) in one process (same seed):
   parameters and the logged means (loss, accuracy, val_loss over all samples).
2. A DDP run checkpointed after 2 epochs and resumed to 4 equals an uninterrupted 4-epoch
   DDP run.  argv[1]: a directory shared by the ranks.
3. fit on DataLoaders with a DistributedSampler (batch 16 per rank, in order) equals fit on
   a DataLoader of batch 32 in one process.
"""
import os
import sys

import numpy as np

import minigrad
import minigrad.distributed as dist
from minigrad import nn, train
from minigrad.data import DataLoader, DistributedSampler, TensorDataset

out = sys.argv[1]
dist.init_process_group("mpi")
rank, world = dist.get_rank(), dist.get_world_size()
rng = np.random.default_rng(7)
X = rng.standard_normal((100, 10)).astype("float32")
Y = rng.integers(0, 3, 100)
XV = rng.standard_normal((25, 10)).astype("float32")
YV = rng.integers(0, 3, 25)


def build(seed):
    minigrad.manual_seed(seed)
    model = train.Sequential(nn.Linear(10, 16), nn.ReLU(), nn.Linear(16, 3))
    model.compile(optimizer=minigrad.optim.SGD(model.parameters(), lr=0.1, momentum=0.9),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def params(model):
    return [p._data.copy() for p in model.parameters()]


def run(model, epochs, batch_size, **kw):
    return model.fit(X, Y, epochs=epochs, batch_size=batch_size, seed=0, verbose=2,
                     validation_data=(XV, YV), **kw)


# 1. equivalence (rank 1 starts from other weights: fit's DDP broadcasts rank 0's)
model = build(seed=rank)
history = run(model, 3, 16)
ddp_params, ddp_logs = params(model), history.history
# 2. resume
path = os.path.join(out, "ckpt.mg")
a = build(seed=1)
run(a, 4, 16)
b = build(seed=1)
run(b, 2, 16, checkpoint=path)
dist.barrier()
c = build(seed=1)
run(c, 4, 16, checkpoint=path, resume=True)
resume_diff = max(float(np.abs(p - q).max()) for p, q in zip(params(a), params(c)))
# 3. a DataLoader with a DistributedSampler
loader_model = build(seed=2)
train_set = TensorDataset(X, Y)
loader_model.fit(DataLoader(train_set, batch_size=16,
                            sampler=DistributedSampler(train_set, shuffle=False)),
                 epochs=2, verbose=0)
loader_params = params(loader_model)
copies = [np.zeros(1) for _ in range(world)]
dist.all_gather(copies, np.array([resume_diff]))
dist.destroy_process_group()

if rank == 0:
    ref = build(seed=0)
    ref_history = run(ref, 3, 32)
    diff = max(float(np.abs(p - q).max()) for p, q in zip(ddp_params, params(ref)))
    log_diff = max(abs(u - v) for k in ref_history.history
                   for u, v in zip(ddp_logs[k], ref_history.history[k]))
    print(f"FIT EQUIVALENCE max_abs_param_diff={diff:.3e} max_abs_log_diff={log_diff:.3e} "
          f"keys={sorted(ddp_logs)}", flush=True)
    print(f"RESUME max_abs_param_diff={max(c[0] for c in copies):.3e}", flush=True)
    assert diff < 1e-5 and log_diff < 1e-5, (diff, log_diff)
    assert max(c[0] for c in copies) == 0.0, copies
    ref = build(seed=2)
    ref.fit(DataLoader(train_set, batch_size=32), epochs=2, verbose=0)
    loader_diff = max(float(np.abs(p - q).max()) for p, q in zip(loader_params, params(ref)))
    print(f"LOADER max_abs_param_diff={loader_diff:.3e}", flush=True)
    assert loader_diff < 1e-5, loader_diff
