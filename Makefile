# The two commands of the README: `make demo` and `make test`.
# Both create (or reuse) .venv from the project's own files, so a fresh
# clone needs nothing but Python 3.11+ and the package registries.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test test-fast lint bench bench-grading bench-parallel bench-dask bench-widgets sandbox-tools browser-tools \
        venv author student instructor clean

venv: $(STAMP)

# Re-install only when the dependency files change. constraints.txt pins
# every package (torch 2.13.0 CPU among them) for reproducible grading.
$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev,peers]'
	touch $(STAMP)

# The autograder runs students' kernels in a bubblewrap sandbox (grader/autograde/sandbox.py);
# grading refuses to run without it. Installed here when missing and we are root.
sandbox-tools:
	@if command -v bwrap >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing bubblewrap (the autograder's sandbox)"; \
	  apt-get install -y bubblewrap || { apt-get update && apt-get install -y bubblewrap; }; \
	else \
	  echo "The autograder's sandbox needs bubblewrap (bwrap), which is not installed."; \
	  echo "Install it as root: apt-get install bubblewrap (Debian/Ubuntu), dnf install bubblewrap (Fedora)."; \
	  exit 1; \
	fi
	@# The tests of the sandbox's user mode grade as an ordinary user, whom setfacl (package
	@# acl) lets reach this project's Python where it lives under /root.
	@if command -v setfacl >/dev/null 2>&1 || [ "$$(id -u)" != 0 ]; then :; \
	else apt-get install -y acl || { apt-get update && apt-get install -y acl; }; fi

# The browser tests (tests/browser/) drive Debian's Chromium with Playwright, pointed at
# /usr/bin/chromium: Playwright's own browser download cannot work here and is never used.
# Installed here when missing and we are root.
browser-tools:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing chromium (the browser tests' browser)"; \
	  apt-get install -y chromium || { apt-get update && apt-get install -y chromium; }; \
	else \
	  echo "The browser tests need Chromium at /usr/bin/chromium, which is not installed."; \
	  echo "Install it as root: apt-get install chromium (Debian), or skip them: pytest -m 'not browser'."; \
	  exit 1; \
	fi

# JupyterLab on the lessons with the student's nbgrader tools only (Validate; Assignments
# given an exchange: PRETRAINING_LAB_EXCHANGE=DIR or LAB_ARGS="--exchange DIR"), and the
# instructor's counterpart from the course folder, with Formgrader (grader/classroom.py).
LAB_ARGS ?=
student: $(STAMP)
	$(PY) -m grader.classroom student $(LAB_ARGS)

instructor: $(STAMP)
	$(PY) -m grader.classroom instructor $(LAB_ARGS)

# Instructors author in place: solutions/<lesson>/ gets git-ignored links to the
# released labkit/, blocks/ and fixtures.pt, so its notebook runs in JupyterLab.
author: $(STAMP)
	$(VENV)/bin/pretraining-lab author --quiet

demo: $(STAMP) sandbox-tools author
	$(VENV)/bin/pretraining-lab demo

test: $(STAMP) sandbox-tools browser-tools author
	$(PY) -m ruff check .
	$(PY) -m pytest -n 2

test-fast: $(STAMP) sandbox-tools
	$(PY) -m pytest -n 2 -m 'not slow'

bench: $(STAMP)
	$(PY) benchmarks/encoder_layer.py

# Check-cell latency, solution-notebook autograde time, and our pipeline
# against stock `nbgrader autograde` on the same submissions (a few minutes).
bench-grading: $(STAMP) sandbox-tools
	$(PY) benchmarks/grading.py

# Stock sequential `nbgrader autograde` against ours with 1 and 2 workers (sandbox on).
bench-parallel: $(STAMP) sandbox-tools
	$(PY) benchmarks/parallel_grading.py

# Local worker processes against the Dask engine (--scheduler local, and a cluster
# already running) on the same submissions.
bench-dask: $(STAMP) sandbox-tools
	$(PY) benchmarks/dask_grading.py

# Cells of ipywidgets.interact run by plain nbclient, with its Output widget mimic and
# with ours: how many wait for their time limit though the kernel has answered.
bench-widgets: $(STAMP)
	$(PY) benchmarks/widget_reply.py

clean:
	rm -rf $(VENV) build *.egg-info
