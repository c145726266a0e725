# Everyday tasks. A newcomer needs two: `make run` (serve the registry with demo data) and
# `make test` (run the whole suite). Both create the virtual environment and install on first use.

PYTHON ?= python3
VENV ?= .venv
PORT ?= 8000
PYTEST_ARGS ?=
BENCH_ARGS ?=
# make test-pg: the local PostgreSQL and Redis the suite runs on, as .ci/run does.
PG_HOST ?= 127.0.0.1
PG_PORT ?= 5432
REDIS_HOST ?= 127.0.0.1
REDIS_PORT ?= 6379
TEST_PG_DATABASE ?= registry_test_local
TEST_REDIS_DB ?= 15

PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
# Touched after a successful install; pip runs again only when pyproject.toml is newer.
STAMP := $(VENV)/.installed-dev

export PIP_DISABLE_PIP_VERSION_CHECK := 1

.DEFAULT_GOAL := help
.PHONY: help install run test test-pg test-browser lint format typecheck layers check migrations-check bench messages clean distclean

help:
	@echo "make run        create .venv, install, migrate SQLite, load seeds and 50 demo cases,"
	@echo "                create the demo admin, serve on http://127.0.0.1:$(PORT)/ (PORT=...)"
	@echo "make test       install what the tests need and run the whole suite"
	@echo "                (SQLite by default; DATABASE_URL / REDIS_URL select PostgreSQL / Redis)"
	@echo "make test-pg    the suite on the local PostgreSQL and Redis, as CI runs it: starts them"
	@echo "                if installed but down, creates $(TEST_PG_DATABASE) (TEST_PG_DATABASE=...)"
	@echo "make test-browser  the browser tests (Chromium driven by Playwright, axe-core checks,"
	@echo "                screenshots in var/screenshots/); needs Debian's chromium"
	@echo "make lint       ruff check and ruff format --check"
	@echo "make format     apply ruff's fixes and formatting"
	@echo "make typecheck  mypy"
	@echo "make layers     the import contract: each layer imports only those below it"
	@echo "make check      lint, typecheck, layers, missing migrations, Django's system checks"
	@echo "make bench      the registry at a million cases, one table with targets"
	@echo "                (benchmarks/million.py: loads registry_100k and registry_million on the"
	@echo "                local PostgreSQL once; BENCH_ARGS=... passes options, e.g. --parts)"
	@echo "make messages   update and compile the Ukrainian message catalog (needs GNU gettext)"
	@echo "make clean      remove caches and build output; make distclean also removes .venv and var/"

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
		echo "Python 3.11 or newer is needed: run with PYTHON=python3.12 (for example)." >&2; \
		exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(STAMP)

run: export DJANGO_DEBUG := 1
run: $(STAMP)
	$(MANAGE) migrate --noinput
	$(MANAGE) load_seeds
	$(MANAGE) load_demo --cases 50
	$(MANAGE) create_demo_admin
	$(MANAGE) create_demo_accounts
	$(MANAGE) runserver 127.0.0.1:$(PORT)

# The test settings are named explicitly so an exported DJANGO_SETTINGS_MODULE cannot redirect
# the suite; DATABASE_URL and REDIS_URL pass through from the environment. The browser tests
# need Chromium and run apart (make test-browser); a -m in PYTEST_ARGS comes later and wins.
test: $(STAMP)
	$(PY) -m pytest --ds=config.settings.test -m "not browser" $(PYTEST_ARGS)

# Compiled reads, triggers, constraints and COPY only run on PostgreSQL: this is the suite as CI
# runs it there, services and database made ready by the same script.
test-pg: $(STAMP)
	PG_HOST=$(PG_HOST) PG_PORT=$(PG_PORT) REDIS_HOST=$(REDIS_HOST) REDIS_PORT=$(REDIS_PORT) \
		PYTHON=$(PY) .ci/services $(TEST_PG_DATABASE)
	DATABASE_URL=postgres://postgres@$(PG_HOST):$(PG_PORT)/$(TEST_PG_DATABASE) \
		REDIS_URL=redis://$(REDIS_HOST):$(REDIS_PORT)/$(TEST_REDIS_DB) \
		$(PY) -m pytest --ds=config.settings.test -m "not browser" $(PYTEST_ARGS)

# The admin in a real browser: Playwright drives Debian's Chromium (CHROMIUM_PATH, default
# /usr/bin/chromium) against a live test server. BROWSER_TESTS_REQUIRED=1 makes a missing
# browser fail the run instead of skipping it (.ci/run sets it).
test-browser: $(STAMP)
	$(PY) -m pytest --ds=config.settings.test -m browser tests/browser $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

typecheck: $(STAMP)
	$(VENV)/bin/mypy .

# The layers of docs/architecture.md as an import contract (pyproject.toml, [tool.importlinter]).
layers: $(STAMP)
	$(VENV)/bin/lint-imports --no-cache

migrations-check: export DJANGO_DEBUG := 1
migrations-check: $(STAMP)
	$(MANAGE) makemigrations --check --dry-run
	$(MANAGE) check

check: lint typecheck layers migrations-check

# One command, one table: both databases loaded once (skipped when there), then every part
# (API list, admin list, counts, export) in interleaved rounds; see benchmarks/million.py.
bench: $(STAMP)
	PYTHONPATH=. $(PY) benchmarks/million.py $(BENCH_ARGS)

messages: export DJANGO_DEBUG := 1
messages: $(STAMP)
	mkdir -p locale
	$(MANAGE) makemessages --locale uk --ignore '$(VENV)/*' --ignore 'var/*' --ignore 'build/*'
	$(MANAGE) compilemessages --locale uk --ignore '$(VENV)/*'

clean:
	rm -rf build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache var/static
	find . -path './$(VENV)' -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

# Also removes the virtual environment and the development database with its demo admin.
distclean: clean
	rm -rf $(VENV) var
