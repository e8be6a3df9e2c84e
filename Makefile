# The two commands in the README: `make demo` (the demo migration through the gallery-migrate
# command line) and `make test`. Both create .venv when missing.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# The browser and card tests' tools, from Debian (CI runs `make test` as root on a fresh
# machine): headless Chromium with its WebDriver, and Node.js for the Adaptive Cards parser,
# whose npm package installs into tests/cards from a repo-local cache (.local/npm-cache).
DEBIAN_TOOLS := chromium:chromium chromedriver:chromium-driver node:nodejs npm:npm
CARDS := tests/cards/node_modules/.package-lock.json

.PHONY: demo test lint typecheck unit bench bench-bulk bench-polling bench-polling-short bench-chaos openapi clean system-tools

$(STAMP): pyproject.toml requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/gallery-migrate local --demo

test: lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy .

unit: $(STAMP) $(CARDS)
	$(BIN)/pytest

system-tools:
	@missing=""; for pair in $(DEBIAN_TOOLS); do \
	  command -v $${pair%%:*} >/dev/null 2>&1 || missing="$$missing $${pair##*:}"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" != 0 ]; then echo "run as root, or install them:$$missing" >&2; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(CARDS): tests/cards/package.json tests/cards/package-lock.json | system-tools
	cd tests/cards && npm ci --prefer-offline --no-audit --no-fund --legacy-peer-deps \
	  --cache ../../.local/npm-cache

bench: $(STAMP)
	$(BIN)/python -m bench

# docs/openapi.json: the document GET /api/openapi.json serves (a test keeps them equal).
openapi: $(STAMP)
	$(BIN)/python -c "from triggers.openapi import document_text; print(document_text(), end='')" > docs/openapi.json

# The README's "Performance": an estate of 500 images, replication watching against fixed
# 30-second polling, and 1,000 migrations under faults and host kills.
bench-bulk: $(STAMP)
	$(BIN)/python -m bench.bulk --images 500

bench-polling: $(STAMP)
	$(BIN)/python -m bench.polling

# The half-hour and one-hour cells with 100 versions each: their medians are the closest to twice
# fixed polling's, and 20 versions put a median a third either way.
bench-polling-short: $(STAMP)
	$(BIN)/python -m bench.polling --lengths "30 min,1 h" --modes "fixed 30 s,schedule,events lost" --images 100

bench-chaos: $(STAMP)
	$(BIN)/python -m bench.chaos --migrations 1000

clean:
	rm -rf $(VENV) .local .mypy_cache .ruff_cache .pytest_cache tests/cards/node_modules
