"""Allreduce bandwidth: ``minigrad.distributed.all_reduce`` against raw ``mpi4py`` on the same
buffers, 4 KiB to 64 MiB of float32, and the share of DDP's gradient averaging in a training
step of the seed000 CNN.

    mpiexec -n 2 python -m benchmarks.allreduce_bench [--max-mib 64] [--reps 20]
        [--cnn-steps 20] [--bucket-cap-mb 25] [--json F] [--plot F.png]

Each size is timed as the median of ``--reps`` calls after 3 warm-up calls, the two
implementations alternating, each call after a barrier (the max over the ranks).
Bandwidth is the algorithm bandwidth, bytes / time; the ratio column is minigrad's
bandwidth over mpi4py's (goal ≥ 0.95).  Rank 0 prints the table, then a picture of where
the time goes (``picture``: the CNN step split into compute and communication, and the
bandwidth per size, as text bars); ``--plot`` also draws them with matplotlib.
"""
import argparse
import json
import time

import numpy as np


def timed(calls, comm, reps):
    """The median time of each of ``calls``, alternated call by call (so that both see the
    same machine load), the max over the ranks."""
    times = [[] for _ in calls]
    for i in range(reps + 3):
        for k, call in enumerate(calls):
            comm.Barrier()
            start = time.perf_counter()
            call()
            if i >= 3:
                times[k].append(time.perf_counter() - start)
    local = np.array([np.median(t) for t in times])
    worst = np.empty_like(local)
    comm.Allreduce(local, worst, op=_MPI.MAX)
    return worst.tolist()


def cnn_step_times(dist, comm, steps, bucket_cap_mb):
    """Median time of a training step of the seed000 CNN (batch 32 per rank) with DDP's
    averaging, and inside ``no_sync()`` (the same computation without communication)."""
    import minigrad
    import minigrad.functional as F
    from minigrad import nn, optim
    minigrad.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(),
        nn.MaxPool2d(2), nn.Conv2d(64, 64, 3), nn.ReLU(), nn.Flatten(), nn.Linear(576, 64),
        nn.ReLU(), nn.Linear(64, 10))
    ddp = dist.DistributedDataParallel(model, bucket_cap_mb=bucket_cap_mb)
    opt = optim.Adam(ddp.parameters())
    rng = np.random.default_rng(comm.Get_rank())
    x = minigrad.tensor(rng.random((32, 1, 28, 28), dtype=np.float32))
    y = minigrad.tensor(rng.integers(0, 10, 32))

    def step():
        opt.zero_grad()
        F.cross_entropy(ddp(x), y).backward()
        opt.step()

    def no_sync_step():
        with ddp.no_sync():
            step()

    synced, local = timed([step, no_sync_step], comm, steps)
    grad_bytes = sum(p._data.nbytes for p in model.parameters())
    return {"step_ms": synced * 1e3, "local_ms": local * 1e3, "grad_bytes": grad_bytes,
            "comm_share": max(0.0, synced - local) / synced}


def main(argv=None):
    global _MPI
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--min-kib", type=int, default=4)
    parser.add_argument("--max-mib", type=int, default=64)
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--cnn-steps", type=int, default=20,
                        help="also time this many seed000 CNN steps with and without DDP's "
                             "gradient allreduce (0: skip)")
    parser.add_argument("--bucket-cap-mb", type=float, default=25)
    parser.add_argument("--json", default=None, help="also write the rows to this file")
    parser.add_argument("--plot", default=None, help="also draw the pictures into this PNG")
    args = parser.parse_args(argv)

    from mpi4py import MPI

    import minigrad
    import minigrad.distributed as dist
    _MPI = MPI
    dist.init_process_group("mpi")
    comm = MPI.COMM_WORLD
    rank, world = comm.Get_rank(), comm.Get_size()
    rows, nbytes = [], args.min_kib * 1024
    while nbytes <= args.max_mib * 2**20:
        n = nbytes // 4
        raw = np.random.default_rng(rank).standard_normal(n).astype(np.float32)
        tensor = minigrad.tensor(raw.copy())
        reps = args.reps * 5 if nbytes <= 2**18 else \
            args.reps if nbytes < 2**24 else max(5, args.reps // 4)
        t_raw, t_mg = timed([lambda raw=raw: comm.Allreduce(MPI.IN_PLACE, raw, MPI.SUM),
                             lambda tensor=tensor: dist.all_reduce(tensor)], comm, reps)
        row = {"bytes": nbytes, "mpi4py_us": t_raw * 1e6, "minigrad_us": t_mg * 1e6,
               "mpi4py_GBps": nbytes / t_raw / 1e9, "minigrad_GBps": nbytes / t_mg / 1e9,
               "ratio": t_raw / t_mg}
        rows.append(row)
        if rank == 0:
            print(f"{nbytes / 1024:>10.0f} KiB  mpi4py {row['mpi4py_us']:>10.1f} us "
                  f"{row['mpi4py_GBps']:>6.2f} GB/s   minigrad {row['minigrad_us']:>10.1f} us "
                  f"{row['minigrad_GBps']:>6.2f} GB/s   ratio {row['ratio']:.3f}", flush=True)
        nbytes *= 4
    if args.cnn_steps:
        cnn = cnn_step_times(dist, comm, args.cnn_steps, args.bucket_cap_mb)
        if rank == 0:
            print(f"seed000 CNN, batch 32 per rank: {cnn['grad_bytes'] / 2**20:.2f} MiB of "
                  f"gradients; step {cnn['step_ms']:.1f} ms synced vs {cnn['local_ms']:.1f} ms "
                  f"without communication (no_sync): communication {cnn['comm_share']:.1%} of "
                  f"a step", flush=True)
    if rank == 0:
        print(f"world size {world}; float32; median of {args.reps} calls (5× that ≤ 256 KiB, "
              f"a quarter ≥ 16 MiB)\n")
        print("\n".join(picture(rows, cnn if args.cnn_steps else None)), flush=True)
        if args.plot:
            plot(rows, cnn if args.cnn_steps else None, args.plot)
        if args.json:
            with open(args.json, "w") as f:
                json.dump({"world_size": world, "rows": rows,
                           "cnn": cnn if args.cnn_steps else None}, f, indent=1)
    dist.destroy_process_group()


def picture(rows, cnn, width=48):
    """Text bars: a DDP step of the CNN split into compute (the ``no_sync`` step) and
    communication plus waiting (the rest), then minigrad's allreduce bandwidth per size
    (mpi4py's in brackets)."""
    lines = []
    if cnn:
        step, local = cnn["step_ms"], min(cnn["local_ms"], cnn["step_ms"])
        compute = round(width * local / step)
        lines += ["where a DDP step's time goes (seed000 CNN, batch 32 per rank):",
                  f"  step {step:5.1f} ms |{'█' * compute}{'▒' * (width - compute)}|",
                  f"  █ compute {local:.1f} ms ({local / step:.1%})   ▒ communication and "
                  f"waiting {step - local:.1f} ms ({(step - local) / step:.1%})", ""]
    top = max(row["minigrad_GBps"] for row in rows)
    lines.append("allreduce bandwidth, minigrad (mpi4py), GB/s:")
    for row in rows:
        nbytes = row["bytes"]
        size = f"{nbytes // 2**20} MiB" if nbytes >= 2**20 else f"{nbytes // 1024} KiB"
        bar = "█" * max(1, round(width * row["minigrad_GBps"] / top))
        lines.append(f"  {size:>8} |{bar:<{width}}| {row['minigrad_GBps']:.2f} "
                     f"({row['mpi4py_GBps']:.2f})")
    return lines


def plot(rows, cnn, path):
    """The same two pictures as a PNG (matplotlib)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2 if cnn else 1, figsize=(11 if cnn else 6, 4), squeeze=False)
    ax = axes[0][0]
    sizes = [row["bytes"] for row in rows]
    ax.plot(sizes, [row["mpi4py_GBps"] for row in rows], "o-", label="mpi4py Allreduce")
    ax.plot(sizes, [row["minigrad_GBps"] for row in rows], "s--",
            label="minigrad.distributed.all_reduce")
    ax.set(xscale="log", xlabel="message (bytes)", ylabel="algorithm bandwidth (GB/s)",
           title="allreduce, float32, in place")
    ax.legend()
    if cnn:
        ax = axes[0][1]
        local = min(cnn["local_ms"], cnn["step_ms"])
        ax.barh(["DDP step"], [local], height=0.4, label="compute (no_sync step)")
        ax.barh(["DDP step"], [cnn["step_ms"] - local], left=[local], height=0.4,
                label="communication and waiting")
        ax.set(xlabel="ms", title="seed000 CNN, batch 32 per rank", ylim=(-0.5, 1.2))
        ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


_MPI = None

if __name__ == "__main__":
    main()
