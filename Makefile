# dorsum: the two commands a fresh machine needs are `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed
LOCK    = requirements.lock

.PHONY: help install java web browser virtuoso graphviz demo test check docs bench clean lock release

help:            ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

# Every dependency comes from the hash-pinned lock file (reproducible runs); dorsum itself is
# installed editable on top, without resolving anything again.
$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP) java web  ## create .venv and install dorsum with its test tools

java:            ## install a Java runtime for HermiT when none is on PATH (Debian)
	@command -v java >/dev/null 2>&1 || { \
	  echo "java not found: installing default-jre-headless (needed by HermiT)"; \
	  (apt-get update -qq && apt-get install -y -qq default-jre-headless) || \
	  echo "WARNING: could not install Java; HermiT checks will be reported as skipped"; }

# The browser assets of dorsum serve's pages (YASGUI, Viz.js, Swagger UI) come from the npm registry at
# the versions of web/package-lock.json, installed here, never from a CDN at run time; only the files
# listed in reasoner/serve/vendor.py are copied (with their licences) into reasoner/serve/static/vendor.
WEB_STAMP = reasoner/serve/static/vendor/.installed
web: $(WEB_STAMP)  ## install the browser assets of dorsum serve's pages from web/package-lock.json (npm)
$(WEB_STAMP): web/package-lock.json reasoner/serve/vendor.py | $(STAMP)
	@if command -v npm >/dev/null 2>&1; then \
	  (cd web && npm ci --ignore-scripts --no-audit --no-fund) && $(BIN)/python -m reasoner.serve.vendor && touch $@; \
	else \
	  echo "WARNING: npm not found: the query page and /docs of dorsum serve will say their assets are not installed (install npm, then make web)"; \
	fi

browser:         ## install Debian's Chromium for the browser tests (tests/browser) when there is none
	@test -x /usr/bin/chromium || command -v chromium >/dev/null 2>&1 || { \
	  echo "chromium not found: installing Debian's chromium (the browser tests drive it)"; \
	  (apt-get update -qq && apt-get install -y -qq chromium) || \
	  echo "WARNING: could not install Chromium; the browser tests will be skipped (failed under DORSUM_REQUIRE_BROWSER=1)"; }

virtuoso:        ## install Debian's Virtuoso Open Source for the remote-store tests (tests/test_remote_store.py) when there is none
	@command -v virtuoso-t >/dev/null 2>&1 || { \
	  echo "virtuoso-t not found: installing virtuoso-opensource (the remote-store tests write into a temporary Virtuoso)"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq virtuoso-opensource) || \
	  echo "WARNING: could not install Virtuoso; the Virtuoso tests will be skipped (failed under DORSUM_REQUIRE_VIRTUOSO=1)"; }

demo: install    ## classify the bundled example cases, print a report for each, and load them into build/demo-store for the workbench
	$(BIN)/dorsum --version
	$(BIN)/dorsum check
	@for f in examples/*.json; do $(BIN)/dorsum explain "$$f"; done
	$(BIN)/dorsum classify examples/
	@rm -rf build/demo-store
	$(BIN)/dorsum load examples/ --store build/demo-store
	@echo "The workbench: $(BIN)/dorsum serve --store build/demo-store, then open http://127.0.0.1:7878/ (offline; also /editor, /rules.html, /docs)"

test: install browser virtuoso graphviz  ## run the test suite
	$(BIN)/dorsum --version
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup --durations=25

check: install   ## reason over, validate and QA the knowledge base; rule test manifests; statement -> rule -> test coverage
	$(BIN)/dorsum check
	$(BIN)/dorsum test-rules
	$(BIN)/dorsum coverage

graphviz:        ## install Debian's Graphviz (dot renders the pathway diagrams of make docs; a test lays them out) when there is none
	@command -v dot >/dev/null 2>&1 || { \
	  echo "dot not found: installing graphviz (renders pathway.svg)"; \
	  (apt-get update -qq && apt-get install -y -qq graphviz) >/dev/null 2>&1 || \
	  echo "WARNING: could not install Graphviz; build/docs gets the .dot files but no .svg, and the layout test is skipped"; }

docs: install graphviz  ## generate the ontology reference, rule catalogue and pathway diagram into build/docs
	$(BIN)/dorsum docs --out build/docs

release: check   ## cut a release: make release VERSION=x.y.z (after make check): versions, CHANGELOG.md with the behaviour diff, commit, tag
	@test -n "$(VERSION)" || { echo "usage: make release VERSION=x.y.z"; exit 2; }
	$(BIN)/python -m reasoner.repro.release $(VERSION)

lock:            ## regenerate requirements.lock (hash-pinned, every Python >= 3.11) from pyproject.toml; keeps pins that still fit
	$(PYTHON) -m venv $(VENV)-lock
	$(VENV)-lock/bin/pip install --quiet uv
	$(VENV)-lock/bin/uv pip compile pyproject.toml --extra test --generate-hashes --universal \
	  --python-version 3.11 --custom-compile-command "make lock" -o $(LOCK)
	rm -rf $(VENV)-lock

clean:           ## remove the virtualenv and caches
	rm -rf $(VENV) .pytest_cache *.egg-info

bench: install   ## benchmark and issue 18 targets: 1k and 10k cases (BENCH_ARGS=--full adds 100k; --quick, --base REV: see README)
	$(BIN)/python bench/run.py $(BENCH_ARGS)
