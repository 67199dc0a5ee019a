# The two commands of README.md, and the steps they are made of.
#   make train   set up .venv, install the real Fashion-MNIST, train the seed000 CNN
#   make test    set up .venv with the test extras, run the fast tests, execute the docs
#                notebooks, and run the packaging check
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
FASHION_MNIST_DIR := /usr/share/datasets/fashion-mnist
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PYTEST_FAST := -m "not slow and not gpu and not notebooks"

.PHONY: train test test-notebooks test-cudasim test-slow lint wheel-check venv data clean \
	notebooks docs

train: venv data
	$(PY) docs/examples/seed000_cnn.py --out results

test: venv data
	$(PY) -m ruff check minigrad kernels tests benchmarks docs/examples docs/make_api.py docs/make_pytorch_md.py docs/make_notebooks.py docs/make_results.py setup.py
	$(PY) -m pytest $(PYTEST_FAST); rc=$$?; if [ $$rc -eq 5 ]; then rc=0; fi; exit $$rc
	$(MAKE) --no-print-directory test-cudasim
	$(MAKE) --no-print-directory test-notebooks
	$(MAKE) --no-print-directory wheel-check

# The seed000 CNN on 2 MPI processes (one BLAS thread each), data-parallel: the script runs
# unchanged under minigrad.distributed.launch; batch 32 per rank = the global batch 64 of
# `make train` (a --quick run: 1 epoch on 6000 images).  See docs/distributed.md.
.PHONY: train-distributed
train-distributed: venv data
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 $(VENV)/bin/mpiexec -n 2 \
	  $(PY) -m minigrad.distributed.launch docs/examples/seed000_cnn.py --quick \
	  --batch-size 32 --out results/distributed

# Every docs/notebooks/*.ipynb, executed top to bottom in a fresh kernel (tests/test_notebooks.py).
test-notebooks: venv data
	$(PY) -m pytest -m notebooks -q; rc=$$?; if [ $$rc -eq 5 ]; then rc=0; fi; exit $$rc

# Execute every notebook in a fresh kernel and write it back with its outputs (what is
# committed: a reader sees the results without running anything).  NB=07 runs only those
# whose names start with 07.  The fast tests fail when a committed output is stale.
notebooks: venv data
	$(PY) docs/make_notebooks.py $(NB)

# The executed notebooks as HTML pages in docs/notebooks/html/ (not committed), readable
# without Jupyter; the exercises' solutions are collapsed.
docs: venv
	$(PY) docs/make_notebooks.py --html-only $(NB)

# The Numba CUDA kernels in the CUDA simulator: its own process, because the variable must
# be set before numba is first imported.  (Their PTX check runs in the fast pass above.)
test-cudasim: venv
	NUMBA_ENABLE_CUDASIM=1 $(PY) -m pytest tests/kernels/test_cuda_kernels.py -p no:cacheprovider

# Trainings to an accuracy and other long checks (not part of `make test`).
test-slow: venv data
	$(PY) -m pytest -m "slow"; rc=$$?; if [ $$rc -eq 5 ]; then rc=0; fi; exit $$rc

lint: venv
	$(PY) -m ruff check minigrad kernels tests benchmarks docs/examples docs/make_api.py docs/make_pytorch_md.py docs/make_notebooks.py docs/make_results.py setup.py

# Build a wheel, install it into a fresh virtual environment and use it from outside the
# source tree: a module or package missing from the wheel fails here.
wheel-check: venv
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	$(PY) -m pip wheel -q --no-deps -w "$$tmp/dist" . ; \
	$(PYTHON) -m venv "$$tmp/venv"; \
	"$$tmp/venv/bin/python" -m pip install -q "$$tmp"/dist/minigrad-*.whl; \
	cd "$$tmp" && "$$tmp/venv/bin/python" -c "import minigrad, minigrad_kernels, minigrad.examples.mlp_fashion_mnist, os; \
	assert os.path.realpath(minigrad.__file__).startswith(os.path.realpath('$$tmp')), minigrad.__file__; \
	a = minigrad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True); \
	(a @ a).relu().sum().backward(); assert a.grad.shape == (2, 2); \
	import importlib.metadata as md; assert md.metadata('minigrad')['License'] == 'MIT'; \
	assert any(f.name == 'LICENSE' for f in md.files('minigrad')), 'LICENSE not in the wheel'; \
	print('wheel-check: installed wheel imports and runs from', os.path.dirname(minigrad.__file__))"

venv: $(VENV)/.installed

$(VENV)/.installed: setup.py pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test]"
	touch $@

# Real offline data from Debian packages: Fashion-MNIST (IDX files) and the fortune
# cookies in five languages (a language-identification corpus for the text examples).
DEBIAN_DATA := dataset-fashion-mnist fortunes-min fortunes-de fortunes-it fortunes-es fortunes-br
data:
	@missing=""; for p in $(DEBIAN_DATA); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian data packages:$$missing"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $$missing; \
	fi

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .hypothesis .ruff_cache
