"""Measure the source programs' numbers and render docs/results.md's table from them.

    python docs/make_results.py                     # run every command, write results.json,
                                                    # render the table into results.md
    python docs/make_results.py --only seed002,baselines   # rerun some, keep the others
    python docs/make_results.py --render            # re-render results.md from the JSON only

Each step is a command a reader can type (the examples with ``--json`` to a temporary
file, the PyTorch twins of ``benchmarks.accuracy_vs_pytorch --programs``, the baselines of
``benchmarks.baselines``); its metrics, the command, how long it took and when are stored
in docs/results.json with the versions and the machine.  The table between the
``results-table`` marker comments of docs/results.md is rendered from that JSON alone, and
tests/test_results_doc.py checks that the two agree (and that README.md quotes the same
numbers), so the page cannot drift from what the commands print.  A full run takes about
half an hour on 2 idle cores (the three CNNs, twice: minigrad then PyTorch).
"""
import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS_JSON = os.path.join(ROOT, "docs", "results.json")
RESULTS_MD = os.path.join(ROOT, "docs", "results.md")
START, END = "<!-- results-table:start (docs/make_results.py) -->", "<!-- results-table:end -->"

# id: (the command as documented, extra arguments that write the metrics; {json}, {tmp})
STEPS = {
    "seed000": ("python docs/examples/seed000_cnn.py",
                "--verbose 0 --out {tmp} --json {json}"),
    "seed001": ("python docs/examples/seed001_regression.py", "--json {json}"),
    "seed002": ("python docs/examples/seed002_text.py", "--verbose 0 --json {json}"),
    "seed003": ("python docs/examples/seed003_cnn.py",
                "--verbose 0 --out {tmp} --json {json}"),
    "seed004": ("python docs/examples/seed004_cnn.py",
                "--verbose 0 --out {tmp} --json {json}"),
    "pytorch": ("python -m benchmarks.accuracy_vs_pytorch --programs "
                "seed000,seed002,seed003,seed004 --frameworks pytorch --epochs 10 --seeds 0",
                "--out {json}"),
    "baselines": ("python -m benchmarks.baselines", "--json {json}"),
}

# What each source document claims, read from /work/shared/source-documents (§5.4 of each).
SOURCE = {
    "seed000": ("98.98 % test (MNIST; `mnist.load_data()`, 10 epochs, batch 64)", "A"),
    "seed001": ("none: MSE regression on `np.random.rand` data, predictions printed", None),
    "seed002": ("88.75 % (no data: `preprocess_data` is `pass`, 10 classes)", None),
    "seed003": ("97.75 % test (MNIST; `validation_split=0.1`, batch 64)", "B"),
    "seed004": ("99.93 % *validation* after 10 epochs (no data loaded; not reproducible, "
                "see below)", "C"),
}


def machine():
    sys.path.insert(0, ROOT)
    from benchmarks.machine import cpu_model, versions
    return {"cpu": cpu_model(), "cpu_count": os.cpu_count(),
            "platform": platform.platform(),
            "load_average_at_start": list(os.getloadavg())}, versions()


def run_step(step, python):
    command, extra = STEPS[step]
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "metrics.json")
        argv = command.split() + extra.format(json=out, tmp=tmp).split()
        argv[0] = python
        print(f"[{step}] {command}", flush=True)
        start = time.perf_counter()
        proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True)
        wall = time.perf_counter() - start
        tail = (proc.stdout + proc.stderr)[-3000:]
        if proc.returncode != 0 or not os.path.exists(out):
            raise SystemExit(f"[{step}] failed (exit {proc.returncode}):\n{tail}")
        with open(out) as f:
            metrics = json.load(f)
    print(f"[{step}] done in {wall:.0f} s", flush=True)
    return {"command": command, "wall_seconds": round(wall, 1),
            "finished": datetime.datetime.now().isoformat(timespec="seconds"),
            "metrics": metrics}


def pct(x, digits=2):
    return f"{100 * x:.{digits}f} %"


def pytorch_row(data, program):
    rows = [r for r in data["runs"].get("pytorch", {}).get("metrics", {}).get("results", [])
            if r["program"] == program]
    return rows[0] if rows else None


def baseline(data, name):
    return data["runs"].get("baselines", {}).get("metrics", {}).get(name)


def render(data):
    """The markdown between the markers: the table and the commands it came from."""
    runs = data["runs"]
    m = {k: runs[k]["metrics"] for k in ("seed000", "seed001", "seed002", "seed003", "seed004")
         if k in runs}
    lines = ["| program | the source document's number (its data) | minigrad here (data "
             "available offline) | PyTorch, same recipe | simple baseline, same data |",
             "|---|---|---|---|---|"]

    def torch_cell(program):
        r = pytorch_row(data, program)
        if r is None:
            return "not measured"
        val = f", validation {pct(r['val_accuracy'])}" if "val_accuracy" in r else ""
        return f"{pct(r['test_accuracy'])} test{val}"

    logreg, nb = baseline(data, "softmax_regression"), baseline(data, "naive_bayes")
    logreg_cell = (f"softmax regression: {pct(logreg['test_accuracy'])} test" if logreg
                   else "not measured")
    for program in ("seed000", "seed001", "seed002", "seed003", "seed004"):
        source = SOURCE[program][0]
        r = m.get(program)
        if program == "seed001":
            mine = (f"final training MSE {r['final_mse']:.4f}, {r['epochs']} epochs "
                    "(random targets, seed 42)" if r else "not measured")
            lines.append(f"| seed001 | {source} | {mine} | — | predicting the mean: MSE "
                         f"{r['mean_baseline_mse']:.4f} |" if r else
                         f"| seed001 | {source} | {mine} | — | — |")
            continue
        if r is None:
            mine = "not measured"
        elif program == "seed002":
            mine = (f"**{pct(r['test_accuracy'])}** test (fortunes, {len(r['classes'])} "
                    f"languages, {r['n_test']} test texts)")
        else:
            val = f", validation {pct(r['val_accuracy'])}" if "val_accuracy" in r else ""
            mine = f"**{pct(r['test_accuracy'])}** test{val} (Fashion-MNIST)"
        base = (f"multinomial Naive Bayes: {pct(nb['test_accuracy'])} test" if program ==
                "seed002" and nb else logreg_cell if program != "seed002" else "not measured")
        lines.append(f"| {program} | {source} | {mine} | {torch_cell(program)} | {base} |")
    lines.append("")
    lines.append("Commands (seed 0 unless said; each figure is what the command prints; "
                 "make_results.py adds `--verbose 0 --json FILE`, and `--out` a temporary "
                 "folder for the plots, to the examples; in brackets the training time on "
                 "this 2-core machine, shared with other jobs, so only roughly "
                 "reproducible):")
    lines.append("")
    for step, run in runs.items():
        secs = run["metrics"].get("train_seconds")
        took = f"{secs:.0f} s of training" if secs is not None else \
            f"{run['wall_seconds']:.0f} s in all"
        also = " = `make train` (which adds `--out results`)" if step == "seed000" else ""
        lines.append(f"- `{run['command']}`{also} ({took}, {run['finished'][:10]})")
    v, mach = data["versions"], data["machine"]
    lines.append("")
    lines.append(f"Measured with Python {v.get('python')}, NumPy {v.get('numpy')}, "
                 f"minigrad {v.get('minigrad')}, PyTorch {v.get('torch')} on "
                 f"{mach['cpu']} ({mach['cpu_count']} cores), {data['generated'][:10]}.")
    return "\n".join(lines)


def rendered_block(data):
    return f"{START}\n{render(data)}\n{END}"


def replace_block(text, block):
    if START not in text or END not in text:
        raise SystemExit(f"{RESULTS_MD}: the marker comments {START} / {END} are missing")
    head, rest = text.split(START, 1)
    return head + block + rest.split(END, 1)[1]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--render", action="store_true",
                        help="only re-render results.md from results.json")
    parser.add_argument("--only", default=None, help=f"steps to rerun: {','.join(STEPS)}")
    parser.add_argument("--python", default=sys.executable)
    args = parser.parse_args(argv)
    if not args.render:
        steps = args.only.split(",") if args.only else list(STEPS)
        unknown = set(steps) - set(STEPS)
        if unknown:
            parser.error(f"unknown steps {sorted(unknown)}; known: {', '.join(STEPS)}")
        data = {"runs": {}}
        if args.only and os.path.exists(RESULTS_JSON):
            with open(RESULTS_JSON) as f:
                data = json.load(f)
        data["machine"], data["versions"] = machine()
        for step in steps:
            data["runs"][step] = run_step(step, args.python)
            data["runs"] = {k: data["runs"][k] for k in STEPS if k in data["runs"]}
            data["generated"] = datetime.datetime.now().isoformat(timespec="seconds")
            with open(RESULTS_JSON, "w") as f:          # after each step: a partial run counts
                json.dump(data, f, indent=2)
                f.write("\n")
    with open(RESULTS_JSON) as f:
        data = json.load(f)
    with open(RESULTS_MD) as f:
        text = f.read()
    with open(RESULTS_MD, "w") as f:
        f.write(replace_block(text, rendered_block(data)))
    print(f"rendered the table into {RESULTS_MD}")


if __name__ == "__main__":
    main()
