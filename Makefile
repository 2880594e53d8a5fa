# `make run` starts the dashboard on the embedded SQLite database; `make test` runs the whole suite.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PYTHON ?= python3
AXE := node_modules/axe-core/axe.min.js
PYTEST_ARGS ?=
# Two pytest-xdist workers (CI has two cores): each module whole on one worker, every browser test on the same
# one (groups set in tests/conftest.py).
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
	$(VENV)/bin/mypy analytics ui views

pytest: $(STAMP) $(AXE)
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

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
