# `make run` starts the dashboard on the embedded SQLite database; `make test` runs the whole suite.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PYTHON ?= python3

.PHONY: run test lint bench clean-db

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

node_modules/axe-core/axe.min.js: package.json
	npm install --no-package-lock --no-audit --no-fund --silent

run: $(STAMP)
	$(PY) -m analytics init-demo
	$(VENV)/bin/streamlit run app.py

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy analytics ui

test: $(STAMP) node_modules/axe-core/axe.min.js lint
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) benchmarks/import_benchmark.py

clean-db:
	rm -f data/app.db data/app.db-wal data/app.db-shm
