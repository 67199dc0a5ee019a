"""Execute the notebooks in docs/notebooks and commit them with their outputs; render HTML.

    python docs/make_notebooks.py              # execute every notebook in place (`make notebooks`)
    python docs/make_notebooks.py 07 10        # only the notebooks whose names start so
    python docs/make_notebooks.py --html       # also write docs/notebooks/html/*.html (`make docs`)
    python docs/make_notebooks.py --check      # exit 1 if a committed output is stale

Each notebook runs top to bottom in a fresh Jupyter kernel, in docs/notebooks, with
``PYTHONHASHSEED=0`` (the notebooks seed their own generators) and the network refused
(:data:`NO_NETWORK`, run in a cell that is removed again before the notebook is written).

**Staleness.**  Each executed code cell records the SHA-256 of its source in its metadata
(``minigrad.source_sha256``) and has its execution count, 1, 2, 3 … in order.  A cell
whose source was edited after the run, or a notebook run out of order or partly, is stale:
``--check`` and ``tests/test_notebooks.py`` fail on it.  The outputs themselves are not
compared (timings and the last digits of a loss may move between runs); the notebook test
executes every notebook again and fails on any error.

**HTML.**  ``--html`` converts each executed notebook with nbconvert (``pip install
nbconvert``); the solution cells of the exercises (tag ``solution``) become collapsed
``<details>`` blocks, as JupyterLab shows them.
"""
import argparse
import hashlib
import html
import os
import sys
import time
from pathlib import Path

NOTEBOOK_DIR = Path(__file__).resolve().parent / "notebooks"
HTML_DIR = NOTEBOOK_DIR / "html"
NOTEBOOK_TIMEOUT_S = 300      # a whole notebook; each aims at well under a minute on 2 cores
HASH_KEY = "source_sha256"

# Run first in the kernel (in a cell removed afterwards): any connection to a host other
# than this machine raises, so a notebook that reaches for the network fails instead of
# hanging or working only where the network happens to be up.
NO_NETWORK = '''
import socket as _socket
_LOCAL = {"localhost", "127.0.0.1", "::1", "0.0.0.0", ""}
def _host(address):
    return address[0] if isinstance(address, tuple) else address
def _refuse(host):
    raise OSError(f"network access is disabled while the notebooks are tested (host {host!r})")
_connect = _socket.socket.connect
def _local_connect(self, address):
    if self.family in (_socket.AF_INET, _socket.AF_INET6) and _host(address) not in _LOCAL:
        _refuse(_host(address))
    return _connect(self, address)
_socket.socket.connect = _local_connect
_getaddrinfo = _socket.getaddrinfo
def _local_getaddrinfo(host, *args, **kwargs):
    if host not in _LOCAL and not str(host).startswith("127."):
        _refuse(host)
    return _getaddrinfo(host, *args, **kwargs)
_socket.getaddrinfo = _local_getaddrinfo
del _host, _connect, _getaddrinfo
'''


def source_hash(source):
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def execute(nb, timeout_s=NOTEBOOK_TIMEOUT_S):
    """Run every cell of ``nb`` (in place) in a fresh kernel with the network refused, then
    stamp each code cell with its source's hash.  Returns the seconds taken.

    Raises nbclient's CellExecutionError at the first cell that fails (the cells after it
    keep no outputs), and CellTimeoutError once the notebook has used ``timeout_s``."""
    import nbformat
    from nbclient import NotebookClient

    guard = nbformat.v4.new_code_cell(NO_NETWORK)
    nb.cells.insert(0, guard)
    deadline = time.monotonic() + timeout_s
    client = NotebookClient(
        nb, kernel_name="python3", allow_errors=False, record_timing=False,
        # each cell may use what is left of the notebook's time
        timeout_func=lambda cell: max(1, int(deadline - time.monotonic())),
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}})
    # the kernel's own inline backend draws the figures (an inherited MPLBACKEND=Agg would
    # make plt.show() warn instead)
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    env["PYTHONHASHSEED"] = "0"
    start = time.perf_counter()
    try:
        client.execute(env=env)
    finally:
        nb.cells.pop(0)                            # the guard
        for cell in code_cells(nb):              # the guard took execution count 1
            if cell.execution_count is not None:
                cell.execution_count -= 1
                for out in cell.outputs:
                    if out.output_type == "execute_result":
                        out.execution_count = cell.execution_count
    for cell in code_cells(nb):
        cell.metadata.setdefault("minigrad", {})[HASH_KEY] = source_hash(cell.source)
    return time.perf_counter() - start


def stale_cells(nb):
    """Why each stale code cell of an executed notebook is stale: ``[(index, reason)]``."""
    problems = []
    for i, cell in enumerate(code_cells(nb)):
        if cell.execution_count != i + 1:
            problems.append((i, f"execution count {cell.execution_count}, expected {i + 1} "
                                f"(run the whole notebook, top to bottom)"))
        recorded = cell.metadata.get("minigrad", {}).get(HASH_KEY)
        if recorded is None:
            problems.append((i, "never executed by docs/make_notebooks.py"))
        elif recorded != source_hash(cell.source):
            problems.append((i, "its source changed after its outputs were made"))
        errors = [o for o in cell.outputs if o.output_type == "error"]
        if errors:
            problems.append((i, f"its output is an error ({errors[0].get('ename')})"))
    return problems


def to_html(nb, title):
    """The notebook as one HTML page; solution cells collapsed under <details>."""
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.from_dict(nb)
    for k, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and "solution" in cell.metadata.get("tags", []):
            shown = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
            first = cell.source.splitlines()[0].lstrip("# ") if cell.source else "Solution"
            body = f"<pre><code>{html.escape(cell.source)}</code></pre>"
            if shown:
                body += f"<pre>{html.escape(shown)}</pre>"
            nb.cells[k] = nbformat.v4.new_markdown_cell(
                f"<details><summary>{html.escape(first)} (click to show)</summary>\n"
                f"{body}\n</details>")
    exporter = HTMLExporter()
    page, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    return page


def selected(prefixes):
    paths = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
    if prefixes:
        paths = [p for p in paths if any(p.name.startswith(x) for x in prefixes)]
        if not paths:
            raise SystemExit(f"no notebook in {NOTEBOOK_DIR} starts with {prefixes}")
    return paths


def main(argv=None):
    import nbformat

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="name prefixes (default: every notebook)")
    parser.add_argument("--html", action="store_true", help="also render docs/notebooks/html/")
    parser.add_argument("--html-only", action="store_true",
                        help="render the committed notebooks to HTML without executing them")
    parser.add_argument("--check", action="store_true",
                        help="only check that the committed outputs are up to date")
    args = parser.parse_args(argv)
    paths = selected(args.notebooks)
    if args.check:
        bad = [(p.name, i, why) for p in paths
               for i, why in stale_cells(nbformat.read(p, as_version=4))]
        for name, i, why in bad:
            print(f"{name} code cell {i}: {why}")
        if bad:
            print("run `make notebooks` (python docs/make_notebooks.py) to re-execute them")
        return 1 if bad else 0
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        if not args.html_only:
            seconds = execute(nb)
            nbformat.validate(nb)
            nbformat.write(nb, path)
            print(f"{path.name}: executed in {seconds:.1f} s")
        if args.html or args.html_only:
            HTML_DIR.mkdir(exist_ok=True)
            out = HTML_DIR / path.with_suffix(".html").name
            out.write_text(to_html(nb, path.stem), encoding="utf-8")
            print(f"  wrote {out.relative_to(NOTEBOOK_DIR.parent.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
