"""Run an unchanged single-process training script on every rank of ``mpiexec``.

    mpiexec -n 2 python -m minigrad.distributed.launch [--backend mpi] script.py [args...]

Joins the process group, then runs ``script.py`` as ``__main__``: its ``fit`` and
``evaluate`` calls become data-parallel (each rank its shard, gradients averaged, metrics
over all ranks, see docs/distributed.md).  Rank 0 behaves exactly as the script alone;
on the other ranks standard output is discarded and an ``--out DIR`` argument is replaced by
a temporary directory, so that only rank 0 prints and writes the script's files.
"""
import argparse
import contextlib
import os
import runpy
import sys
import tempfile

from . import destroy_process_group, get_rank, init_process_group


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m minigrad.distributed.launch",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", default="mpi", choices=["mpi", "nccl", "local"])
    parser.add_argument("script")
    parser.add_argument("args", nargs=argparse.REMAINDER)
    ns = parser.parse_args(argv)
    init_process_group(ns.backend)
    rank, args = get_rank(), list(ns.args)
    with contextlib.ExitStack() as stack:
        if rank != 0:
            scratch = stack.enter_context(tempfile.TemporaryDirectory(prefix=f"rank{rank}-"))
            for i, a in enumerate(args[:-1]):
                if a == "--out":
                    args[i + 1] = scratch
            args = [f"--out={scratch}" if a.startswith("--out=") else a for a in args]
            devnull = stack.enter_context(open(os.devnull, "w"))
            stack.enter_context(contextlib.redirect_stdout(devnull))
        sys.argv = [ns.script, *args]
        sys.path.insert(0, os.path.dirname(os.path.abspath(ns.script)))
        runpy.run_path(ns.script, run_name="__main__")
    destroy_process_group()


if __name__ == "__main__":
    main()
