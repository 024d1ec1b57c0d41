# The two commands of the README: `make demo` and `make test`.
# Both create (or reuse) .venv from the project's own files, so a fresh
# clone needs nothing but Python 3.11+ and the package registries.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test test-fast lint bench bench-grading venv clean

venv: $(STAMP)

# Re-install only when the dependency files change. constraints.txt pins
# every package (torch 2.13.0 CPU among them) for reproducible grading.
$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/pretraining-lab demo

test: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m pytest -n 2

test-fast: $(STAMP)
	$(PY) -m pytest -n 2 -m 'not slow'

bench: $(STAMP)
	$(PY) benchmarks/encoder_layer.py

# Check-cell latency, solution-notebook autograde time, and our pipeline
# against stock `nbgrader autograde` on the same submissions (a few minutes).
bench-grading: $(STAMP)
	$(PY) benchmarks/grading.py

clean:
	rm -rf $(VENV) build *.egg-info
