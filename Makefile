# Two commands do the whole set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
# A CPU build of this torch release lies on the CI machines' disk; a bare `torch`
# requirement would pull a multi-GB CUDA build, so it is installed first.
TORCH_PIN ?= torch==2.13.0
PYTEST_WORKERS ?= 2

.PHONY: all env test demo bench docs lint clean

all: test

env: $(STAMP)

$(STAMP): pyproject.toml setup.cfg
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install -q "$(TORCH_PIN)"
	$(PY) -m pip install -q -e ".[dev,plot]"
	touch $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -n $(PYTEST_WORKERS)

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
	rm -rf $(VENV) build dist *.egg-info docs/_build demo_output
