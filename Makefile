# Two commands for a fresh machine: `make demo` and `make test`.
PYTHON_VERSION := 3.12
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test test-slow lint bench clean venv

# Find a Python 3.12 interpreter: pyenv's shim (reads .python-version), python3.12 on PATH.
PYTHON312 := $(shell command -v python$(PYTHON_VERSION) 2>/dev/null || (command -v pyenv >/dev/null 2>&1 && pyenv which python$(PYTHON_VERSION) 2>/dev/null))

$(PY):
	@if [ -z "$(PYTHON312)" ]; then echo "error: Python $(PYTHON_VERSION) not found. Install it (e.g. 'pyenv install $(PYTHON_VERSION)') and rerun." >&2; exit 1; fi
	$(PYTHON312) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(STAMP): $(PY) pyproject.toml
	$(PY) -m pip install -q -e ".[dev,jax,dask]"
	@touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/bayeslaws demo --out demo_output

test: $(STAMP)
	$(PY) -m pytest -q -p no:cacheprovider

test-slow: $(STAMP)
	$(PY) -m pytest -q -m slow

lint: $(STAMP)
	$(VENV)/bin/ruff check bayeslaws models tests case_studies benchmarks
	$(VENV)/bin/lint-imports --no-cache

bench: $(STAMP)
	$(PY) benchmarks/speed.py

clean:
	rm -rf $(VENV) dist build demo_output
