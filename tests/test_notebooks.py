"""The notebooks in docs/notebooks: committed clean (fast checks), and every one executes
top to bottom in a fresh Jupyter kernel with no network (marked ``notebooks``).

Run them with ``python -m pytest -m notebooks`` (``make test`` does, after the fast suite).
Any new ``docs/notebooks/NN_name.ipynb`` is picked up by the glob below.
"""
import ast
import os
import re
import sys
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "docs" / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
NOTEBOOK_TIMEOUT_S = 300      # a whole notebook; each aims at well under a minute on 2 cores
# numba: notebook 9 writes a Numba CUDA kernel of its own and runs it in the simulator
ALLOWED_IMPORTS = {"minigrad", "numpy", "matplotlib", "numba"}

# Prepended to the executed copy (never to the file): any connection to a host other than
# this machine raises, so a notebook that reaches for the network fails here instead of
# hanging or passing only where the network happens to be up.
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


def read(path):
    return nbformat.read(path, as_version=4)


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def test_notebooks_exist_and_are_numbered():
    assert NOTEBOOKS, f"no notebooks in {NOTEBOOK_DIR}"
    for path in NOTEBOOKS:
        assert re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", path.name), \
            f"{path.name}: expected NN_name.ipynb (lowercase, underscores)"
    numbers = [p.name[:2] for p in NOTEBOOKS]
    assert len(set(numbers)) == len(numbers), f"two notebooks share a number: {numbers}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs(path):
    nb = read(path)
    nbformat.validate(nb)
    for i, cell in enumerate(code_cells(nb)):
        assert cell.outputs == [], f"{path.name} code cell {i} has outputs: clear them"
        assert cell.execution_count is None, \
            f"{path.name} code cell {i} has execution_count {cell.execution_count}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_opens_with_what_it_builds_and_imports_only_the_public_api(path):
    nb = read(path)
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.lstrip().startswith("#"), \
        f"{path.name}: the first cell should be a markdown title and introduction"
    for i, cell in enumerate(code_cells(nb)):
        tree = ast.parse(cell.source)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                modules = [node.module or ""]
                private = [a.name for a in node.names if a.name.startswith("_")]
                assert not private, f"{path.name} cell {i} imports private names {private}"
            else:
                continue
            for module in modules:
                top = module.split(".")[0]
                assert top in ALLOWED_IMPORTS or top in sys.stdlib_module_names, \
                    f"{path.name} cell {i} imports {module}"
                assert not any(part.startswith("_") for part in module.split(".")), \
                    f"{path.name} cell {i} imports the private module {module}"


def execute(nb, name):
    """Run every cell of ``nb`` in a fresh kernel, network off; returns the seconds taken.

    Raises nbclient's CellExecutionError at the first cell that fails, and TimeoutError
    (nbclient's CellTimeoutError) once the notebook has used NOTEBOOK_TIMEOUT_S."""
    from nbclient import NotebookClient

    nb.cells.insert(0, nbformat.v4.new_code_cell(NO_NETWORK))
    deadline = time.monotonic() + NOTEBOOK_TIMEOUT_S
    client = NotebookClient(
        nb, kernel_name="python3", allow_errors=False,
        # each cell may use what is left of the notebook's time
        timeout_func=lambda cell: max(1, int(deadline - time.monotonic())),
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}})
    # the kernel's own inline backend draws the figures (an inherited MPLBACKEND=Agg would
    # make plt.show() warn instead)
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    env["PYTHONHASHSEED"] = "0"
    start = time.perf_counter()
    client.execute(env=env)
    seconds = time.perf_counter() - start
    for i, cell in enumerate(code_cells(nb)[1:]):
        for out in cell.get("outputs", []):
            assert out.output_type != "error", f"{name} cell {i}: {out.get('ename')}"
    return seconds


@pytest.mark.notebooks
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_executes(path, record_property):
    seconds = execute(read(path), path.name)
    record_property("seconds", round(seconds, 1))
    print(f"{path.name}: {seconds:.1f} s")


@pytest.mark.notebooks
def test_a_failing_cell_or_a_network_call_fails_the_notebook():
    from nbclient.exceptions import CellExecutionError

    for source, error in (("1 / 0", "ZeroDivisionError"),
                          ("import urllib.request\n"
                           "urllib.request.urlopen('http://example.com', timeout=5)",
                           "network access is disabled")):
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1"),
                                             nbformat.v4.new_code_cell(source),
                                             nbformat.v4.new_code_cell("x = 2")])
        with pytest.raises(CellExecutionError, match=error):
            execute(nb, "failing")
        assert nb.cells[-1].outputs == [] and nb.cells[-1].execution_count is None


@pytest.mark.notebooks
def test_fit_progress_bar_in_a_kernel():
    """fit(verbose=1) draws its tqdm bar in a kernel (as text when ipywidgets is missing),
    with nothing on stderr."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import numpy as np\n"
        "import minigrad\n"
        "from minigrad import nn, train\n"
        "model = train.Sequential(nn.Linear(2, 1))\n"
        "model.compile(optimizer='sgd', loss='mse')\n"
        "x = np.zeros((8, 2), np.float32)\n"
        "history = model.fit(x, x[:, :1], epochs=2, batch_size=4, verbose=1)\n"
        "print('epochs run:', len(history.history['loss']))")])
    execute(nb, "fit progress")
    outputs = nb.cells[-1].outputs
    stderr = "".join(o.text for o in outputs if o.output_type == "stream" and o.name == "stderr")
    assert stderr == ""
    shown = "".join(o.get("text", "") for o in outputs) + "".join(
        str(o.get("data", {})) for o in outputs if o.output_type != "stream")
    assert "Epoch 2/2" in shown and "epochs run: 2" in shown
