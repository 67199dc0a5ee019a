"""The notebooks in docs/notebooks: committed with the outputs of a top-to-bottom run of
their current sources, ending with exercises whose hidden solutions check themselves (fast
checks), and every one executes again in a fresh Jupyter kernel with no network (marked
``notebooks``).  docs/make_notebooks.py (`make notebooks`) executes and stamps them.

Run them with ``python -m pytest -m notebooks`` (``make test`` does, after the fast suite).
Any new ``docs/notebooks/NN_name.ipynb`` is picked up by the glob below.
"""
import ast
import importlib.util
import re
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "docs" / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
# numba: notebook 9 writes a Numba CUDA kernel of its own and runs it in the simulator
ALLOWED_IMPORTS = {"minigrad", "numpy", "matplotlib", "numba"}


def _load_make_notebooks():
    spec = importlib.util.spec_from_file_location(
        "make_notebooks", Path(__file__).resolve().parents[1] / "docs" / "make_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_notebooks = _load_make_notebooks()


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
def test_committed_executed_and_up_to_date(path):
    """Committed with the outputs of one top-to-bottom run of the current sources
    (`make notebooks`); the outputs' values are not compared, only their freshness."""
    nb = read(path)
    nbformat.validate(nb)
    assert make_notebooks.stale_cells(nb) == [], \
        f"{path.name}: stale outputs; run `make notebooks` (python docs/make_notebooks.py)"
    assert any(o.output_type != "stream" or o.text.strip()
               for c in code_cells(nb) for o in c.outputs), f"{path.name}: no outputs at all"


def test_a_stale_cell_is_found():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1"),
                                         nbformat.v4.new_code_cell("print(x)")])
    assert [i for i, _ in make_notebooks.stale_cells(nb)] == [0, 0, 1, 1]   # never run
    for count, cell in enumerate(nb.cells, 1):
        cell.execution_count = count
        cell.metadata["minigrad"] = {"source_sha256": make_notebooks.source_hash(cell.source)}
    assert make_notebooks.stale_cells(nb) == []
    nb.cells[1].source = "print(x + 1)"                      # edited after the run
    assert make_notebooks.stale_cells(nb) == [(1, "its source changed after its outputs "
                                                  "were made")]
    nb.cells[1].source = "print(x)"
    nb.cells[0].execution_count = 3                          # run out of order
    assert [i for i, _ in make_notebooks.stale_cells(nb)] == [0]


EXERCISE = re.compile(r"### Exercise (\d+)\b")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_ends_with_exercises_each_with_a_hidden_self_checking_solution(path):
    """`## Exercises`, then 3–5 `### Exercise k` cells, each followed (after at most one
    cell for the reader) by one hidden code cell tagged `solution` that asserts its answer."""
    cells = read(path).cells
    starts = [i for i, c in enumerate(cells)
              if c.cell_type == "markdown" and c.source.startswith("## Exercises")]
    assert len(starts) == 1, f"{path.name}: expected one '## Exercises' markdown cell"
    rest = cells[starts[0] + 1:]
    heads = [i for i, c in enumerate(rest)
             if c.cell_type == "markdown" and EXERCISE.match(c.source)]
    numbers = [int(EXERCISE.match(rest[i].source).group(1)) for i in heads]
    assert 3 <= len(heads) <= 5 and numbers == list(range(1, len(heads) + 1)), \
        f"{path.name}: exercises numbered {numbers}, expected 1..n with 3 <= n <= 5"
    for k, (head, end) in enumerate(zip(heads, heads[1:] + [len(rest)]), 1):
        solutions = [c for c in rest[head + 1:end] if "solution" in c.metadata.get("tags", [])]
        assert len(solutions) == 1, f"{path.name} exercise {k}: expected one solution cell"
        cell = solutions[0]
        assert cell.cell_type == "code" and cell.metadata.get("jupyter", {}).get(
            "source_hidden") is True, f"{path.name} exercise {k}: the solution is not hidden"
        assert cell.source.startswith(f"# Solution to exercise {k}"), \
            f"{path.name} exercise {k}: the solution should open with '# Solution to exercise {k}'"
        assert any(isinstance(node, ast.Assert) for node in ast.walk(ast.parse(cell.source))), \
            f"{path.name} exercise {k}: the solution checks nothing (no assert)"
        assert end - head <= 3, f"{path.name} exercise {k}: more than one cell for the reader"


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
    """Run ``nb`` as `make notebooks` does; fail on an error output.  Returns the seconds."""
    seconds = make_notebooks.execute(nb)
    for i, cell in enumerate(code_cells(nb)):
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


@pytest.mark.notebooks
def test_html_collapses_solutions_and_keeps_outputs():
    pytest.importorskip("nbconvert")
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# A title"),
        nbformat.v4.new_code_cell("print(6 * 7)"),
        nbformat.v4.new_code_cell("# Solution to exercise 1\nassert 1 < 2\nprint('ok <3')",
                                  metadata={"tags": ["solution"],
                                            "jupyter": {"source_hidden": True}})])
    execute(nb, "html")
    page = make_notebooks.to_html(nb, "html")
    assert "42" in page and "A title" in page
    details = page[page.index("<details>"):page.index("</details>")]
    assert "Solution to exercise 1 (click to show)" in details
    assert "ok &lt;3" in details and "assert 1 &lt; 2" in details
