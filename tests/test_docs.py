"""The documentation pages stay true to the code: the API reference names every public
name and is up to date, the kernel page lists exactly the registered implementations and
their defaults, and the docs map links every notebook and page.  (That the notebooks are
committed executed and up to date, and run, is tests/test_notebooks.py's job.)"""
import importlib.util
import inspect
import pathlib
import re

import pytest

import minigrad_kernels
from minigrad import backend

DOCS = pathlib.Path(__file__).resolve().parent.parent / "docs"


@pytest.fixture(scope="module")
def make_api():
    spec = importlib.util.spec_from_file_location("make_api", DOCS / "make_api.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_public_api_discovery_reaches_every_public_module(make_api):
    names = set(make_api.public_names())
    for expected in [("minigrad", "Tensor"), ("minigrad.nn", "Linear"),
                     ("minigrad.nn.init", "kaiming_uniform_"), ("minigrad.optim", "Adam"),
                     ("minigrad.optim.lr_scheduler", "StepLR"), ("minigrad.functional", "conv2d"),
                     ("minigrad.data.text", "Vocabulary"), ("minigrad.train", "fit"),
                     ("minigrad.train.losses", "get"), ("minigrad.metrics", "f1_score"),
                     ("minigrad.backend", "available_kernels"), ("minigrad_kernels", "KERNELS")]:
        assert expected in names


def test_api_reference_names_every_public_name(make_api):
    text = (DOCS / "api.md").read_text(encoding="utf-8")
    missing = make_api.missing_names(text)
    assert not missing, f"not in docs/api.md: {missing}; run `python docs/make_api.py`"
    # and the check itself notices a name that is absent
    assert make_api.missing_names(text.replace("`minigrad.nn.Linear(", "`Linear(")) == \
        ["minigrad.nn.Linear"]


def test_api_reference_is_up_to_date(make_api):
    text = (DOCS / "api.md").read_text(encoding="utf-8")
    assert text == make_api.render(), "docs/api.md is out of date: run `python docs/make_api.py`"


def test_kernel_table_is_up_to_date(make_api):
    text = (DOCS / "kernels.md").read_text(encoding="utf-8")
    assert text == make_api.render_kernels_md(text), \
        "the table in docs/kernels.md §3 is out of date: run `python docs/make_api.py`"


def kernel_table_rows():
    """(op, device, impl, is_default) from the table in §3 of docs/kernels.md."""
    text = (DOCS / "kernels.md").read_text(encoding="utf-8")
    section = text.split("## 3. Every registered implementation")[1].split("\n## ")[0]
    rows = []
    for line in section.splitlines():
        m = re.match(r"\| `([\w.]+)` \| (\w+) \| (\w+) \| `[\w.]+` \| *(✓?) *\|", line)
        if m:
            rows.append((m[1], m[2], m[3], m[4] == "✓"))
    return rows


def test_kernel_page_lists_every_registered_implementation_and_its_default():
    rows = kernel_table_rows()
    listed = sorted((op, device, impl) for op, device, impl, _ in rows)
    assert listed == backend.available_kernels(), \
        "docs/kernels.md §3 must list exactly backend.available_kernels()"
    for op, device, impl, is_default in rows:
        assert (minigrad_kernels.DEFAULTS.get((op, device)) == impl) == is_default, \
            f"docs/kernels.md §3: default mark of {(op, device, impl)}"


def test_kernel_page_names_the_function_of_each_implementation():
    text = (DOCS / "kernels.md").read_text(encoding="utf-8")
    for op, device, impl, module, function in minigrad_kernels.KERNELS:
        short = module.removeprefix("minigrad_kernels.") + "." + function
        assert re.search(rf"\| `{re.escape(op)}` \| {device} \| {impl} \| `{re.escape(short)}`",
                         text), f"docs/kernels.md: no row for {op} {device} {impl} → {short}"


def test_docs_map_links_every_notebook_and_page():
    readme = (DOCS / "README.md").read_text(encoding="utf-8")
    pages = sorted(DOCS.glob("notebooks/*.ipynb")) + sorted(DOCS.glob("*.md"))
    unlinked = [str(p.relative_to(DOCS)) for p in pages
                if p.name != "README.md" and f"({p.relative_to(DOCS)})" not in readme]
    assert not unlinked, f"docs/README.md does not link {unlinked}"



def test_kernels_md_defaults_table_matches_the_registry():
    """The hand-written table of CPU defaults (section 4 of docs/kernels.md) names each
    op whose default is not NumPy, with that default, and says NumPy for the rest."""
    text = (DOCS / "kernels.md").read_text(encoding="utf-8")
    section = text.split("## 4. How the defaults are chosen", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([\w.]+)` \| (\w+) \|", section, flags=re.MULTILINE)
    documented = dict(rows)
    assert documented, "no table of defaults found in section 4 of docs/kernels.md"
    assert re.search(r"^\| everything else \| numpy \|", section, flags=re.MULTILINE)
    cpu = {op: impl for (op, device), impl in minigrad_kernels.DEFAULTS.items()
           if device == "cpu"}
    for op, impl in documented.items():
        assert cpu.get(op) == impl, f"docs/kernels.md says {op}: {impl}, DEFAULTS: {cpu.get(op)}"
    undocumented = {op: impl for op, impl in cpu.items()
                    if op not in documented and impl != "numpy"}
    assert not undocumented, f"CPU defaults missing from docs/kernels.md section 4: {undocumented}"


@pytest.fixture(scope="module")
def make_pytorch_md():
    spec = importlib.util.spec_from_file_location("make_pytorch_md",
                                                  DOCS / "make_pytorch_md.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_pytorch_tables_are_up_to_date(make_pytorch_md):
    text = (DOCS / "pytorch.md").read_text(encoding="utf-8")
    assert text == make_pytorch_md.render(), \
        "docs/pytorch.md is out of date: run `python docs/make_pytorch_md.py`"


def test_pytorch_tables_list_only_real_pytorch_names(make_pytorch_md):
    """Every name in the tables exists in PyTorch under that path, and every name left
    out as minigrad's own does not (PyTorch as the oracle)."""
    torch = pytest.importorskip("torch", reason="PyTorch (the oracle) is not installed")

    def has(path, name):
        obj = torch
        for part in path.split(".")[1:]:
            if not hasattr(obj, part):
                importlib.import_module(f"{obj.__name__}.{part}")
            obj = getattr(obj, part)
        return hasattr(obj, name)
    wrong = [f"{ns}.{n}" for ns, names in make_pytorch_md.tables().items() for n in names
             if not has(ns, n)]
    assert not wrong, f"not PyTorch names: {wrong}; add them to MINIGRAD_ONLY"
    ours = {m: t for t, m, _ in make_pytorch_md.NAMESPACES}
    # (modules such as minigrad.functional are left out: torch.functional is another thing)
    listed_wrongly = [f"{ours[m]}.{n}" for m, names in make_pytorch_md.MINIGRAD_ONLY.items()
                      for n in names if has(ours[m], n)
                      and not inspect.ismodule(getattr(make_pytorch_md._resolve(m), n))]
    assert not listed_wrongly, f"PyTorch has these, so they belong in the tables: " \
                               f"{listed_wrongly}"
