"""Results out: the printed tables, the JSON file and the plots (see docs/benchmarks.md)."""
import json
import os

COLUMNS = [  # (header, width, row -> text)
    ("op", 22, lambda r: r["op"]),
    ("case", 40, lambda r: r["case"]),
    ("impl", 12, lambda r: r["impl"]),
    ("status", 11, lambda r: r["status"] + ("*" if r.get("simulated") else "")),
    ("median", 10, lambda r: _time(r.get("median_s"))),
    ("IQR", 6, lambda r: _percent(_iqr(r))),
    ("GFLOP/s", 9, lambda r: _number(r.get("gflops"))),
    ("%peak", 6, lambda r: _percent(r.get("frac_peak_flops"))),
    ("GB/s", 7, lambda r: _number(r.get("gbps"))),
    ("%bw", 6, lambda r: _percent(r.get("frac_peak_bandwidth"))),
    ("x ref", 7, lambda r: _ratio(r.get("vs_reference"))),
    ("x torch", 8, lambda r: _ratio(r.get("vs_pytorch"))),
    ("extra MiB", 10, lambda r: _mib(r.get("extra_bytes"))),
    ("1st call", 9, lambda r: _time(r.get("first_call_s"))),
]


def _time(seconds):
    if seconds is None:
        return "-"
    for unit, scale in (("s", 1), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds * 1e9:.3g} ns"


def _iqr(row):
    if row.get("median_s") and row.get("samples", 0) > 1:
        return (row["q3_s"] - row["q1_s"]) / row["median_s"]
    return None


def _percent(value):
    return "-" if value is None else f"{100 * value:.0f}%"


def _number(value):
    if value is None:
        return "-"
    return f"{value:.3g}" if value < 1000 else f"{value:,.0f}"


def _ratio(value):
    return "-" if value is None else f"{value:.2f}"


def _mib(nbytes):
    return "-" if nbytes is None else f"{nbytes / 2**20:.2f}"


def kernel_table(rows):
    """The kernel rows as text, grouped by device; FAILED rows say why under the table."""
    lines, notes = [], []
    for device in dict.fromkeys(r["device"] for r in rows):
        lines.append(f"\n== kernels on {device} ==")
        lines.append(" ".join(f"{h:<{w}}" if i < 4 else f"{h:>{w}}"
                              for i, (h, w, _) in enumerate(COLUMNS)))
        previous_case = None
        for r in (r for r in rows if r["device"] == device):
            key = (r["op"], r["case"])
            cells = [fmt(r) for _, _, fmt in COLUMNS]
            if key == previous_case:
                cells[0] = cells[1] = ""
            previous_case = key
            lines.append(" ".join(
                f"{c[:w]:<{w}}" if i < 4 else f"{c:>{w}}"
                for i, (c, (_, w, _)) in enumerate(zip(cells, COLUMNS))))
            if r["status"] != "ok":
                notes.append(f"  {r['device']} {r['op']} [{r['case']}] {r['impl']}: "
                             f"{r['status']}: {r.get('error')}")
    if any(r.get("simulated") for r in rows):
        notes.append("  * Numba CUDA simulator: correctness only, its times mean nothing")
    if notes:
        lines.append("\nnot timed, or to read with care:")
        lines.extend(notes)
    return "\n".join(lines)


def overhead_table(rows):
    lines = ["\n== engine overhead: small tensors (4x4), time per op ==",
             f"{'probe':<26}{'framework':<10}{'per op':>10}{'IQR':>6}{'time/pytorch':>14}"]
    for r in rows:
        slowdown = r.get("time_vs_pytorch")
        versus = f"{slowdown:.2f}" if slowdown else "-"
        lines.append(f"{r['probe']:<26}{r['framework']:<10}{_time(r.get('per_op_s')):>10}"
                     f"{_percent(_iqr(r)):>6}{versus:>14}")
    return "\n".join(lines)


def end_to_end_table(rows):
    lines = ["\n== end to end: seed CNN training (forward + backward + Adam), samples/s ==",
             f"{'model':<6}{'device':<7}{'batch':>6}{'minigrad':>11}{'pytorch':>10}"
             f"{'ratio':>7}"]
    for r in rows:
        torch_rate = r.get("pytorch_samples_per_s")
        lines.append(f"{r['model']:<6}{r['device']:<7}{r['batch']:>6}"
                     f"{r['minigrad_samples_per_s']:>11,.0f}"
                     + (f"{torch_rate:>10,.0f}{r['ratio']:>7.2f}" if torch_rate
                        else f"{'-':>10}{'-':>7}"))
    return "\n".join(lines)


def machine_lines(result):
    from .machine import blas_summary
    m = result["machine"]
    lines = [f"\n== machine == {m['cpu']}, {m['cpus_usable']} usable cores, "
             f"{m['threads']} threads; load average at start {_load(m['load_average'])}, "
             f"at end {_load(result.get('load_average_end'))}",
             f"BLAS: {blas_summary(m['blas'])}",
             f"OPENBLAS_CORETYPE={m['OPENBLAS_CORETYPE']} OPENBLAS_L2_SIZE="
             f"{m['OPENBLAS_L2_SIZE']}"
             + (" (unset by --unset-openblas-env)" if m["openblas_env_unset_by_harness"]
                else "")]
    for name, device in result["devices"].items():
        if "unavailable" in device:
            lines.append(f"{name}: unavailable: {device['unavailable']}")
            continue
        peaks = device["peaks"]
        gemm = peaks["gemm_gflops"]
        if gemm.get("best") is None:
            lines.append(f"{name}: {peaks.get('note')}")
            continue
        each = ", ".join(f"{k} {v:,.1f}" for k, v in gemm.items() if k != "best")
        lines.append(f"{name} limits: GEMM {gemm['best']:,.1f} GFLOP/s (float32 "
                     f"n={peaks['gemm_n']}: {each}); copy {peaks['copy_gbps']:,.1f} GB/s "
                     f"({peaks['copy_bytes'] // 2**20} MiB)")
    return "\n".join(lines)


def _load(values):
    return "-" if not values else " ".join(f"{v:.2f}" for v in values)


def print_report(result):
    print(kernel_table(result["kernels"]))
    if result.get("engine_overhead"):
        print(overhead_table(result["engine_overhead"]))
    if result.get("end_to_end"):
        print(end_to_end_table(result["end_to_end"]))
    print(machine_lines(result))


def write_json(result, path):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump(result, f, indent=1, default=_jsonable)


def _jsonable(value):
    if hasattr(value, "item"):        # NumPy scalars
        return value.item()
    if isinstance(value, tuple):
        return list(value)
    return str(value)


def write_plots(result, prefix):
    """One PNG per device, ``<prefix>-<device>.png``: a panel per op, GFLOP/s (compute-bound
    ops) or GB/s (memory-bound ones) against the case's work, a line per implementation,
    the measured limit as a dashed horizontal line.  Returns the paths written."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import LogLocator
    except ImportError:
        print("matplotlib is not installed: no plots (pip install minigrad[bench])")
        return []
    paths = []
    for device in dict.fromkeys(r["device"] for r in result["kernels"]):
        rows = [r for r in result["kernels"] if r["device"] == device and r.get("median_s")]
        ops = list(dict.fromkeys(r["op"] for r in rows))
        if not ops:
            continue
        peaks = result["devices"][device]["peaks"]
        impls = list(dict.fromkeys(r["impl"] for r in rows))     # one colour per impl
        colours = {impl: f"C{i % 10}" for i, impl in enumerate(impls)}
        cols = min(3, len(ops))
        fig, axes = plt.subplots((len(ops) + cols - 1) // cols, cols, squeeze=False,
                                 figsize=(5.2 * cols, 3.8 * ((len(ops) + cols - 1) // cols)))
        for ax, op in zip(axes.flat, ops):
            op_rows = [r for r in rows if r["op"] == op]
            compute = op_rows[0]["bound"] == "compute"
            metric, work = ("gflops", "flops") if compute else ("gbps", "bytes")
            for impl in dict.fromkeys(r["impl"] for r in op_rows):
                points = sorted((r[work], r[metric]) for r in op_rows if r["impl"] == impl)
                ax.plot(*zip(*points), marker="o", label=impl, color=colours[impl])
            limit = peaks["gemm_gflops"].get("best") if compute else peaks.get("copy_gbps")
            if limit:
                ax.axhline(limit, color="k", linestyle="--", linewidth=1,
                           label="GEMM peak" if compute else "copy bandwidth")
            ax.set_xscale("log")
            ax.set_yscale("log")
            for axis in (ax.xaxis, ax.yaxis):   # few minor ticks: their labels would overlap
                axis.set_minor_locator(LogLocator(subs=(2.0, 5.0)))
            ax.tick_params(labelsize=7, which="both")
            ax.set_title(op, fontsize=10)
            ax.set_xlabel("flops per call" if compute else "bytes moved per call")
            ax.set_ylabel("GFLOP/s" if compute else "GB/s")
            ax.legend(fontsize=7)
            ax.grid(True, alpha=0.3)
        for ax in list(axes.flat)[len(ops):]:
            ax.axis("off")
        title = f"minigrad kernels on {device}"
        if any(r.get("simulated") for r in rows):
            title += " (Numba CUDA simulator: times mean nothing)"
        fig.suptitle(title)
        # fixed margins: tight_layout measures every log-axis tick label (seconds per figure)
        fig.subplots_adjust(left=0.07, right=0.98, bottom=0.08, top=0.9, wspace=0.3,
                            hspace=0.45)
        path = f"{prefix}-{device}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        paths.append(path)
    return paths
