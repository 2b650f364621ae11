# ivs-realtime-emulator: `make run` serves on 127.0.0.1:4599, `make test` runs the tests,
# `make test-media` the data plane's WebRTC tests in a loopback-only network namespace (root),
# `make test-web-sdk` the real IVS Web Broadcast SDK on the data plane (npm, Chromium, root),
# `make fuzz` fuzzes a running or a fresh emulator.
# Needs only python3 (>= 3.11, with its venv module) and make: everything else goes into .venv.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# What is installed in $(VENV): the package alone (enough to serve), or with the dev extra
# (boto3, the AWS CLI, pytest, ruff, mypy: what the tests and lint need), or the bench extra too.
SERVE_STAMP := $(VENV)/.installed-package
STAMP       := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.bench-installed
JS_STAMP := tests/js/node_modules/.installed

.PHONY: install run test test-media test-web-sdk lint contract contract-check bench bench-quick bench-persistence bench-servers bench-media fuzz clean image image-test

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "ivs-realtime-emulator needs Python >= 3.11; $(PYTHON) is $$($(PYTHON) --version 2>&1). Use make PYTHON=python3.11 (or newer)." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV) || \
	  { rm -rf $(VENV); echo "$(PYTHON) -m venv failed: on Debian or Ubuntu, apt-get install python3-venv" >&2; exit 1; }

$(SERVE_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,media]'
	touch $(SERVE_STAMP) $@

install: $(STAMP)

run: $(SERVE_STAMP)
	$(BIN)/ivs-realtime-emulator $(ARGS)

# The JS SDK and browser tests' packages (tests/js), installed when npm is there.
$(JS_STAMP): tests/js/package-lock.json
	npm ci --prefix tests/js --no-audit --no-fund --ignore-scripts
	touch $@

test: $(STAMP) $(if $(shell command -v npm),$(JS_STAMP))
	@npm=$$(command -v npm); chromium=$$(command -v "$${CHROMIUM:-/usr/bin/chromium}"); \
	case "$${npm:+n}$${chromium:+c}" in \
	c) echo "make test: npm not found, skipping the JS SDK and browser tests; install it: apt-get install npm";; \
	n) echo "make test: Chromium not found, skipping the browser tests; install it: apt-get install chromium";; \
	"") echo "make test: npm and Chromium not found, skipping the JS SDK and browser tests; install them: apt-get install npm chromium";; \
	esac
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The WebRTC tests (marker `media`) with every data-plane test, in a network namespace whose
# only interface is loopback, so that no ICE or media packet can leave the machine.
test-media: $(STAMP)
	unshare --net sh -c 'ip link set lo up && exec $(BIN)/python -m pytest tests/dataplane $(PYTEST_ARGS)'

# The IVS Web Broadcast SDK (AWS Content: installed here at test time, outside the repository,
# never committed) and puppeteer-core, then tests/web_sdk/ in a loopback-only namespace (root).
WEB_SDK_DIR ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/ivs-realtime-emulator/web-sdk
WEB_SDK_PACKAGES ?= amazon-ivs-web-broadcast@1.41.0 puppeteer-core@24.43.1 @aws-sdk/client-ivs-realtime@3.1058.0
test-web-sdk: $(STAMP)
	@if command -v npm >/dev/null; then \
	  mkdir -p "$(WEB_SDK_DIR)" && \
	  { test -f "$(WEB_SDK_DIR)/package.json" || echo '{"private": true}' > "$(WEB_SDK_DIR)/package.json"; } && \
	  echo "npm install --prefix $(WEB_SDK_DIR) $(WEB_SDK_PACKAGES)" && \
	  npm install --prefix "$(WEB_SDK_DIR)" --no-audit --no-fund --ignore-scripts $(WEB_SDK_PACKAGES); \
	else echo "make test-web-sdk: npm not found, the harness will skip; install it: apt-get install npm"; fi
	IVS_WEB_SDK_DIR="$(WEB_SDK_DIR)" unshare --net sh -c 'ip link set lo up && exec $(BIN)/python -m pytest tests/web_sdk $(PYTEST_ARGS)'

lint: $(STAMP)
	$(BIN)/ruff check emulator tests contract bench fuzz examples
	$(BIN)/mypy

contract: $(STAMP)
	$(BIN)/python contract/generate.py

contract-check: $(STAMP)
	$(BIN)/python contract/generate.py --check

$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $(BENCH_STAMP)

# The emulator beside moto_server and its ceilings, in one interleaved run (docs/performance.md);
# writes bench/results/. `make bench-quick`: the same table in a minute or two.
bench: $(BENCH_STAMP)
	@command -v wrk >/dev/null || echo "wrk not found: load from a Python client (apt-get install wrk for a lighter one)"
	$(BIN)/python -m bench $(BENCH_ARGS)

bench-quick: $(BENCH_STAMP)
	@command -v wrk >/dev/null || echo "wrk not found: load from a Python client (apt-get install wrk for a lighter one)"
	$(BIN)/python -m bench --quick $(BENCH_ARGS)

# Writes and reads per second with and without --state-dir (docs/persistence.md, "Cost").
bench-persistence: $(STAMP)
	$(BIN)/python -m bench.persistence $(BENCH_ARGS)

# The WSGI servers compared under the emulator (docs/serving.md).
bench-servers: $(BENCH_STAMP)
	$(BIN)/python -m bench.servers $(BENCH_ARGS)

# The container image, with docker or podman (tests/container/image.py; docs/container.md).
image:
	$(PYTHON) tests/container/image.py build

# Build the image and run it for real; fails (rather than skips) without a container engine.
image-test: $(STAMP)
	IVS_IMAGE_TEST_REQUIRED=1 $(BIN)/python -m pytest tests/container -m image $(PYTEST_ARGS)

# The data plane under media load (bench/dataplane.py): latencies, CPU per relayed stream,
# memory over a 10-minute soak; in a loopback-only network namespace (root).
bench-media: $(STAMP)
	unshare --net sh -c 'ip link set lo up && exec $(BIN)/python -m bench.dataplane $(BENCH_ARGS)'

# `make fuzz COUNT=100000 SEED=1 [URL=http://127.0.0.1:4599]`: without URL it starts an
# emulator itself (docs/fuzzing.md). Never point it at an emulator in use: it resets it.
COUNT ?= 10000
SEED  ?= 1
fuzz: $(STAMP)
	$(BIN)/python -m fuzz --count $(COUNT) --seed $(SEED) $(if $(URL),--url $(URL))

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis tests/js/node_modules
