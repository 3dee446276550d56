# The two commands of the README. Both install everything they need into .venv first.
#   make run   — install, then run the engine on its embedded default
#   make test  — install, then run the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: install run test schema clean bench bytecode stress chromium

install: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test]'
	touch $@

# The pages' DSFR (@gouvfr/dsfr), from the npm registry by its committed lock: served from node_modules/@gouvfr/dsfr/dist,
# never vendored. --ignore-scripts: its preinstall asks for a project generator, and its dist/ is complete without it.
node_modules/.installed: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	touch $@

# The workflow sandbox re-imports the workflow modules for every cycle it runs: with bytecode on disk
# it loads them instead of compiling them each time (this matters where PYTHONDONTWRITEBYTECODE is set).
bytecode: install
	$(BIN)/python -m compileall -q workflows activities spplus bench worker.py

run: install bytecode
	$(BIN)/spplus rules check
	$(BIN)/python worker.py --api

# The pages' browser tests drive Debian's chromium (Playwright, with executable_path: no browser is downloaded).
test: install chromium
	$(BIN)/python -m pytest

chromium:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)

schema: install
	$(BIN)/spplus rules schema --out schema

clean:
	rm -rf $(VENV) build *.egg-info

bench: install bytecode
	$(BIN)/python bench/run.py

# Not a test: a few minutes of valid, invalid, oversized and repeated events against worker.py --api,
# with the worker SIGKILLed and restarted midway; prints what was refused, lost or applied twice.
stress: install bytecode
	$(BIN)/python bench/stress.py

# Not a test: the pages' server time (Server-Timing) with 10,000 cycles open on worker.py --api's embedded server;
# `make bench-pages ARGS="--cycles 2000"` for fewer (see python bench/pages.py --help).
.PHONY: bench-pages
bench-pages: install bytecode
	$(BIN)/python bench/pages.py $(ARGS)
