# `make run` starts the dashboard on the embedded SQLite database; `make test` runs the whole suite.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PYTHON ?= python3
AXE := node_modules/axe-core/axe.min.js
PYTEST_ARGS ?=
# pytest-xdist workers for the tests without a browser (CI has two cores); each module stays on one worker.
PYTEST_WORKERS ?= 2

.PHONY: run test pytest lint bench clean-db

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

$(AXE): package.json
	npm install --no-package-lock --no-audit --no-fund --silent
	test -f $@ && touch $@

run: $(STAMP)
	$(PY) -m analytics init-demo
	$(VENV)/bin/streamlit run app.py

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy analytics ui views benchmarks

# Two runs sharing one folder of stores built once (the demo store, the national store), each on
# $(PYTEST_WORKERS) workers, each module on one worker: the tests without a browser, then the browser tests (each
# worker starts its own Streamlit server on its own copy of the demo store, and its own Chromium).
# Modules go to the workers in the order of HEAVY_FIRST in tests/conftest.py, longest first
# (--no-loadscope-reorder: not by number of tests). A run that selects no test (exit status 5, e.g.
# PYTEST_ARGS naming one file) is fine.
pytest: $(STAMP) $(AXE)
	@status=0; shared=$$(mktemp -d); export TEST_SHARED_BUILDS=$$shared; \
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder -m "not browser" $(PYTEST_ARGS) \
		|| { rc=$$?; [ $$rc -eq 5 ] || status=1; }; \
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder -m browser $(PYTEST_ARGS) \
		|| { rc=$$?; [ $$rc -eq 5 ] || status=1; }; \
	rm -rf "$$shared"; exit $$status

# The whole suite and the linters; both always run (a lint error must not hide test results), either fails it.
test: $(STAMP) $(AXE)
	@status=0; \
	$(MAKE) --no-print-directory pytest || status=1; \
	$(MAKE) --no-print-directory lint || status=1; \
	exit $$status

bench: $(STAMP)
	@for script in benchmarks/*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

clean-db:
	rm -f data/app.db data/app.db-wal data/app.db-shm
