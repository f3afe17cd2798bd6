# Two commands: `make run` starts the bot on its embedded defaults, `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

NODE_STAMP := node_modules/.installed-stamp

.PHONY: install run test lint typecheck pytest clean node

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("Python >= 3.11 is needed, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

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

lint: $(STAMP)
	$(BIN)/ruff check --no-cache .
	$(BIN)/ruff format --no-cache --check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP) node
	bash .ci/ensure-postgres
	bash .ci/ensure-chromium
	$(BIN)/pytest

test: lint typecheck pytest

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .hypothesis node_modules
