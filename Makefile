# QAF developer tasks. `make run` and `make test` need only Python 3.11 and make.
.DEFAULT_GOAL := help
SHELL := /bin/bash

VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Python 3.11 when it is installed under that name, else whatever python3 is.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
# Two test processes (pytest-xdist), a test module each at a time, the slowest modules first
# (tests/ordering.py, from the times in tests/file_durations.json); override to run one test.
PYTEST_ARGS ?= -n 2 --dist loadfile --no-loadscope-reorder

.PHONY: help install run test test-fast lint format check assets lock clean restore-drill

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

install: $(STAMP) ## create .venv and install the pinned packages (requirements.lock)

$(STAMP): requirements.lock pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	@touch $@

run: install ## start web, worker and beat on http://127.0.0.1:8000 with embedded servers and demo data
	$(PY) -m qaf.dev run

test: install ## run the tests (PYTEST_ARGS="-k risk -x" to pass options to pytest)
	$(PY) -m qaf.dev test $(PYTEST_ARGS)

test-fast: install ## the tests without the browser tests (tests/browser), for the inner loop
	$(PY) -m qaf.dev test -m "not browser" $(PYTEST_ARGS)

restore-drill: install ## back up, wipe, restore and check the database and files (DATABASE_URL, else make run's)
	$(PY) -m qaf.dev restore-drill $(DRILL_ARGS)

lint: install ## ruff check and format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install ## reformat and apply safe fixes
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

check: install ## Django system checks and missing migrations
	QAF_ENV=$${QAF_ENV:-development} $(PY) manage.py check
	QAF_ENV=$${QAF_ENV:-development} $(PY) manage.py makemigrations --check --dry-run

assets: ## rebuild static/vendor from package.json (needs Node.js and npm)
	npm ci
	npm run build

lock: ## re-resolve pyproject.toml's ranges (dev extras included) into requirements.lock
	rm -rf var/lock-venv
	$(PYTHON) -m venv var/lock-venv
	var/lock-venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	var/lock-venv/bin/python -c 'import tomllib; p = tomllib.load(open("pyproject.toml", "rb"))["project"]; print("\n".join(p["dependencies"] + p["optional-dependencies"]["dev"]))' > var/lock-venv/requirements.in
	var/lock-venv/bin/python -m pip install --quiet --disable-pip-version-check -r var/lock-venv/requirements.in
	var/lock-venv/bin/python -m pip freeze --exclude pip --exclude qaf > requirements.lock
	rm -rf var/lock-venv
	@echo "requirements.lock updated: review the diff, then make install"

clean: ## remove .venv, var/ (embedded database and Redis data included) and caches
	rm -rf $(VENV) var node_modules .pytest_cache .ruff_cache test-results *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
