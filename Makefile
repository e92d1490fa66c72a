# Two commands for a fresh machine with Python 3.11+ and make: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test lint format migrations-check messages icons ci clean-db bench

$(INSTALLED): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is needed, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(INSTALLED)

.env:
	cp .env.example .env

# axe-core, which the browser tests (tests/browser) inject into each page. Without npm, or offline,
# those tests are skipped with the reason (CI, with CI_REQUIRE_BROWSER=1, fails them instead).
AXE := node_modules/axe-core/axe.min.js
$(AXE): package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  (npm ci --no-audit --no-fund && touch $(AXE)) || echo "npm ci failed: the browser tests will be skipped"; \
	else echo "npm not found: axe-core is not installed, so the browser tests will be skipped"; fi

install: $(INSTALLED) .env $(AXE)

## Run the portal at http://$(HOST):$(PORT) with demo data and the background worker (embedded PostgreSQL unless DATABASE_URL is set).
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@# The background worker (notices, code exports, housekeeping) runs beside the server and stops with it.
	$(BIN)/python manage.py run_worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/python manage.py runserver $(HOST):$(PORT)

## Run the test suite against PostgreSQL (embedded unless DATABASE_URL is set).
test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrations-check: install
	$(BIN)/python manage.py makemigrations --check --dry-run

## Update the Spanish catalogue from the source, then compile it (needs GNU gettext; commit both).
messages: install
	$(BIN)/python manage.py makemessages -l es --ignore=.venv --ignore=bench --ignore=tests --ignore=node_modules --ignore=staticfiles
	$(BIN)/python manage.py compilemessages --ignore=.venv --ignore=node_modules

## Copy the Lucide icons the portal uses (static/icons/lucide/*.svg) again from npm's lucide-static, then rebuild the sprite (commit both; `make run` needs no npm).
icons: $(AXE)
	for icon in static/icons/lucide/*.svg; do cp node_modules/lucide-static/icons/$$(basename $$icon) $$icon; done
	cp node_modules/lucide-static/LICENSE static/icons/lucide/LICENSE.txt
	node -p 'require("./node_modules/lucide-static/package.json").version' > static/icons/lucide/VERSION
	$(BIN)/python -m pairing_portal.icons

## Benchmarks (a fresh pairing_portal_bench database): prints a table, writes bench/results.json.
bench: install
	$(BIN)/python bench/run.py

## Everything CI runs.
ci: lint migrations-check test

## Delete the embedded PostgreSQL's data (stop `make run` first; the next start makes a fresh one).
clean-db:
	rm -rf .pgdata
