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

pytest: venv
	$(BIN)/pytest -m "not e2e" --cov=hj212 --cov-branch --cov-report= $(PYTEST_ARGS)
	$(BIN)/coverage report --include='hj212/*' --fail-under=100

test: lint typecheck pytest

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

# ---- simulator ----
.PHONY: bench-simulator
# Connect the Rugao fleet to a fast acknowledging sink on 127.0.0.1 and print connect time and acked packets/s.
bench-simulator: venv
	$(PY) bench/simulator_bench.py --seconds 20 --accel 10
