# Two commands: `make run` starts the bot on its embedded defaults, `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

NODE_STAMP := node_modules/.installed-stamp

.PHONY: install lock fmt run test lint typecheck pytest clean node

# Installs exactly what requirements-dev.lock names, each file checked against its hash; the
# project itself goes in last, editable, built by the locked setuptools.
$(STAMP): requirements-dev.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("Python >= 3.11 is needed, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

install: $(STAMP)

# Re-resolve both lock files from pyproject.toml (after changing a dependency, or to take newer
# releases: `make lock UPGRADE=1`). Universal: one lock for every platform and Python >= 3.11.
# The build backend and pip are locked too, so nothing unhashed is installed.
LOCK_FLAGS := --universal --generate-hashes --quiet --custom-compile-command 'make lock' \
	$(if $(UPGRADE),--upgrade)
lock:
	@test -x $(BIN)/uv || { $(PYTHON) -m venv $(VENV) && $(BIN)/python -m pip install --quiet 'uv>=0.9,<1'; }
	printf 'setuptools>=77\npip\n' | $(BIN)/uv pip compile $(LOCK_FLAGS) pyproject.toml - \
		-o requirements.lock
	printf 'setuptools>=77\npip\n' | $(BIN)/uv pip compile $(LOCK_FLAGS) --extra dev \
		pyproject.toml - -o requirements-dev.lock

# The Teams side needs Node.js only for the Playground demo and its tests: skipped without npm.
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $(NODE_STAMP)

node:
	@if command -v npm >/dev/null 2>&1; then $(MAKE) --no-print-directory $(NODE_STAMP); \
	else echo "npm not found: the Teams Playground demo and its tests are skipped"; fi

# Another port: `make run PORT=4317 PLAYGROUND_PORT=56151`.
PLAYGROUND_PORT ?= 56150
run: $(STAMP) node
	$(if $(PORT),PORT=$(PORT) )$(BIN)/socialboost serve --playground --playground-port $(PLAYGROUND_PORT)

# Rewrite the code in the project's style: the fixes ruff can make, then its formatter.
fmt: $(STAMP)
	$(BIN)/ruff check --no-cache --fix .
	$(BIN)/ruff format --no-cache .

lint: $(STAMP)
	$(BIN)/ruff check --no-cache .
	$(BIN)/ruff format --no-cache --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# One pytest-xdist worker per core, each with its own PostgreSQL database (tests/conftest.py);
# tests marked with one xdist_group run on one worker. `make pytest PYTEST_WORKERS=0`: serial.
PYTEST_WORKERS ?= auto
pytest: $(STAMP) node
	bash .ci/ensure-postgres
	bash .ci/ensure-chromium
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup -m "not serial"
	$(BIN)/pytest -m serial

test: lint typecheck pytest

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .hypothesis node_modules
