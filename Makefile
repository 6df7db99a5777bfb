# openeo-gip: `make demo` serves a ready-to-use back-end, `make test` runs every test, `make test-fast` the quick ones.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_DIR ?= var

.PHONY: demo test test-fast lint format install install-test node-deps web web-if-npm screenshots stac-schemas conformance clean

install: $(VENV)/.installed web-if-npm
install-test: $(VENV)/.installed-test

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

# The Node.js programs of the tests (the openEO JS client, a real OpenID provider), from the npm registry.
node-deps: tests/node/node_modules/.installed

tests/node/node_modules/.installed: tests/node/package-lock.json
	npm ci --prefix tests/node --no-audit --no-fund --loglevel=error
	touch $@

# The web page the server shows at /app (docs/web.md): its files from web/src and the map library
# (Leaflet) from the npm registry, copied into the Python package, which serves them (never committed).
WEB_STATIC := src/openeo_gip/web/static
web: $(WEB_STATIC)/.built

$(WEB_STATIC)/.built: web/package-lock.json $(wildcard web/src/*)
	npm ci --prefix web --no-audit --no-fund --loglevel=error
	rm -rf $(WEB_STATIC)
	mkdir -p $(WEB_STATIC)/leaflet
	cp web/src/*.js web/src/*.css web/src/*.html $(WEB_STATIC)/
	cp -r web/node_modules/leaflet/dist/leaflet.js web/node_modules/leaflet/dist/leaflet.css \
		web/node_modules/leaflet/dist/images web/node_modules/leaflet/LICENSE $(WEB_STATIC)/leaflet/
	touch $@

# make install and make demo build the page when npm is there; without it the server says it was not built.
web-if-npm:
	@if command -v npm >/dev/null; then $(MAKE) --no-print-directory web; \
	else echo "npm not found: the web page (/app) is not built; install Node.js and npm, then make web"; fi

# docs/screenshots/*.png, taken by tools/screenshots.py in the browser of the tests (Debian's chromium).
screenshots: install-test web
	$(BIN)/python tools/screenshots.py docs/screenshots

# The schemas of the STAC extensions that job results declare, for the offline tests (tools/stac_schemas.py).
STAC_SCHEMAS := tests/.stac-schemas
stac-schemas: $(STAC_SCHEMAS)/.installed

$(STAC_SCHEMAS)/.installed: $(VENV)/.installed-test tools/stac_schemas.py
	$(BIN)/python tools/stac_schemas.py $(STAC_SCHEMAS)
	touch $@

# The official openEO test suite, in its own venv: it pins its dependencies (openapi-core==0.18.2, pytest
# plugins) apart from the project's. It runs against a demo server logged in through the tests' real
# OpenID provider; see tools/conformance/run.py and docs/compliance.md.
CONFORMANCE_VENV := .venv-conformance
OPENEO_TEST_SUITE ?= openeo-test-suite==0.2.2

$(CONFORMANCE_VENV)/.installed: Makefile
	$(PYTHON) -m venv $(CONFORMANCE_VENV)
	$(CONFORMANCE_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CONFORMANCE_VENV)/bin/python -m pip install --quiet '$(OPENEO_TEST_SUITE)'
	touch $@

conformance: install-test node-deps $(CONFORMANCE_VENV)/.installed
	$(BIN)/python tools/conformance/run.py

# `make demo PORT=5001` when 5000 is taken.
demo: install
	$(BIN)/openeo-gip demo --dir $(DEMO_DIR) $(if $(PORT),--port $(PORT))

test: install-test node-deps web stac-schemas lint
	$(BIN)/pytest

# The quick loop while editing: skips the tests marked slow (processes, servers, seconds each).
test-fast: install-test node-deps stac-schemas
	$(BIN)/pytest -m "not slow"

# The fuzz tests (tests/security/test_fuzz.py) with many random cases instead of make test's fixed few:
# requests from the openEO API document and random process graphs against a real server.
# `make fuzz FUZZ_EXAMPLES=20000` for a longer run.
FUZZ_EXAMPLES ?= 2000
fuzz: install-test
	OPENEO_GIP_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest -p no:cacheprovider -o timeout=0 tests/security/test_fuzz.py

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache .ruff_cache .hypothesis tests/node/node_modules web/node_modules $(WEB_STATIC) $(STAC_SCHEMAS) $(CONFORMANCE_VENV) var-conformance
