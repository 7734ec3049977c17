# The two commands: `make build` and `make test`. Both set everything up on a fresh machine.
# The interpreter .venv is made with: the fastest Python the project runs on found here, when it is
# clearly faster than python3 (tools/pick-python.py says which, and why). `make PYTHON=...` chooses.
PYTHON ?= $(shell python3 tools/pick-python.py || echo python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: build test lint bench fuzz preview clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

# `newsletter check` runs axe-core from node_modules/: `make build` installs it where npm is.
NODE_TOOLS := $(if $(shell command -v npm 2>/dev/null),node_modules/.package-lock.json)

build: $(STAMP) $(NODE_TOOLS)
	$(BIN)/newsletter build --out public

lint: $(STAMP)
	$(BIN)/ruff check newsletter tests bench
	$(BIN)/ruff format --check newsletter tests bench
	$(BIN)/mypy newsletter

test: $(STAMP) node_modules/.package-lock.json lint
	$(BIN)/pytest -q

bench: $(STAMP) node_modules/.package-lock.json
	$(BIN)/pip install --quiet -e '.[test,bench]'
	$(BIN)/python -m bench

fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=long $(BIN)/pytest -q -m fuzz

preview: $(STAMP)
	$(BIN)/newsletter preview

clean:
	rm -rf public test-artifacts .pytest_cache .mypy_cache .ruff_cache
