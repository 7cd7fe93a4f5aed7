# Two commands do the whole set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
# A CPU build of this torch release lies on the CI machines' disk; a bare `torch`
# requirement would pull a multi-GB CUDA build, so it is installed first.
TORCH_PIN ?= torch==2.13.0
PYTEST_WORKERS ?= 2
# `make test-newest-numpy`: a second environment with the newest numpy the registry serves.
NEWEST_VENV ?= .venv-newest
NEWEST_PY := $(NEWEST_VENV)/bin/python

.PHONY: all env test test-newest-numpy demo bench docs lint clean

all: test

env: $(STAMP)

$(STAMP): pyproject.toml setup.cfg
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install -q "$(TORCH_PIN)"
	$(PY) -m pip install -q -e ".[dev,plot]"
	touch $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadgroup
	$(MAKE) test-newest-numpy

# The data sets (with the numpy.trapz workaround for geomstats 2.8.0) and one estimator fit
# on the newest numpy, in a second environment: about a minute from scratch (20 s once it
# exists), so `make test` runs it too.
test-newest-numpy:
	test -x $(NEWEST_PY) || $(PYTHON) -m venv $(NEWEST_VENV)
	$(NEWEST_PY) -m pip install -q --upgrade pip
	$(NEWEST_PY) -c "import torch" 2>/dev/null || $(NEWEST_PY) -m pip install -q "$(TORCH_PIN)"
	$(NEWEST_PY) -m pip install -q -U numpy
	$(NEWEST_PY) -m pip install -q -e . pytest hypothesis
	$(NEWEST_PY) -c "from importlib.metadata import version as v; print('numpy', v('numpy'), '/ geomstats', v('geomstats'))"
	$(NEWEST_PY) -m pytest -p no:xdist tests/test_numpy_compat.py tests/test_datasets.py sklearn_strata/datasets

demo: $(STAMP)
	$(PY) -m sklearn_strata demo --out demo_output

bench: $(STAMP)
	$(PY) benchmarks/run_all.py

docs: $(STAMP)
	$(PY) -m pip install -q -e ".[docs]"
	$(PY) -m sphinx -W -b html docs docs/_build/html

lint: $(STAMP)
	$(PY) -m ruff check sklearn_strata tests benchmarks examples

clean:
	rm -rf $(VENV) $(NEWEST_VENV) build dist *.egg-info docs/_build demo_output
