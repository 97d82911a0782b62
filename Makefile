# Entry points for developers and CI. Every target is idempotent and quick when set up:
# pip runs only when pyproject.toml, devtools/pyproject.toml or requirements.lock is newer
# than .venv/.installed, Maven only when infra/kafka/pom.xml changed, and `up` returns at
# once when the broker answers.
# `pg-up` installs Debian's postgresql package only when its server binaries are missing
# (as root: apt-get) and returns at once when the local PostgreSQL answers; `report-deps`
# installs Chromium and fonts-noto-cjk the same way.
#
# Two distributions live here: the ledger (`impact`, pyproject.toml) and its development
# tools (`impact_dev`, devtools/pyproject.toml: the local broker and PostgreSQL managers,
# the benchmarks; the `impact-dev` command). Both are installed editable, without
# resolving anything: the third-party packages come from requirements.lock, pinned with
# hashes (`make lock` compiles it from pyproject.toml's dependencies and its dev extra).

SHELL := /bin/bash
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
LOCK := requirements.lock
PIP := $(BIN)/python -m pip --disable-pip-version-check --no-input --quiet
IMPACT ?= $(BIN)/impact
DEV ?= $(BIN)/impact-dev
INFRA ?= $(DEV) infra
PYTEST_ARGS ?=
# pytest workers of `make test` and `make slow` (pytest-xdist; a module stays on one worker):
# most of an integration test's time is spent waiting on the broker and on subprocesses, so
# two workers halve it even on two cores. TEST_WORKERS=0 runs them in this process.
TEST_WORKERS ?= 2
XDIST = $(if $(filter 0,$(TEST_WORKERS)),-p no:xdist,-n $(TEST_WORKERS) --dist loadfile)
# What `make lint` checks (mypy: the runtime package and the development tools; ruff: the
# tests too), one line per finding (`make lint RUFF_OUTPUT=full` shows the code around it).
LINT_PATHS := impact devtools/impact_dev tests
RUFF_OUTPUT ?= concise

.PHONY: setup install lock lint check unit integration e2e up pg-up report-deps down pg-down test \
	demo bench ui trials slow kill-campaign cluster-trials cluster-campaign

setup: install
	$(INFRA) fetch

# The venv alone: no Maven, no service. Enough for `make lint` and `make unit`.
install: $(INSTALLED)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): pyproject.toml devtools/pyproject.toml $(LOCK) | $(BIN)/python
	$(PIP) install --require-hashes -r $(LOCK)
	@# setuptools warns on every editable install that same-named folders may shadow it
	PYTHONWARNINGS="ignore:Editable installation" \
		$(PIP) install --no-deps --no-build-isolation -e . -e devtools
	@$(BIN)/python -m pip check >/dev/null || { $(BIN)/python -m pip check; \
		echo "a pyproject.toml asks for more than $(LOCK) holds: run \`make lock\`" >&2; exit 1; }
	touch $@

# Compile the lock again from pyproject.toml (dependencies + the dev extra, and the build
# backend), keeping every pin that still fits; `make lock LOCK_ARGS=--upgrade` moves all
# pins to the newest releases, `LOCK_ARGS='--upgrade-package dagster'` one of them.
LOCK_ARGS ?=
lock: | $(BIN)/python
	@test -x $(BIN)/pip-compile || $(PIP) install 'pip-tools>=7.5'
	CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --extra dev \
		--all-build-deps --allow-unsafe --generate-hashes --no-strip-extras \
		--no-emit-index-url --no-emit-find-links $(LOCK_ARGS) --output-file $(LOCK) pyproject.toml

# ruff (lint and format) and mypy; .ci/run runs it before any service starts.
lint: install
	@rc=0; \
	$(BIN)/ruff check --output-format $(RUFF_OUTPUT) $(LINT_PATHS) || rc=1; \
	$(BIN)/ruff format --check --output-format $(RUFF_OUTPUT) $(LINT_PATHS) || rc=1; \
	$(BIN)/mypy impact devtools/impact_dev || rc=1; \
	exit $$rc

# The fast loop before a commit: lint and the pure tests, no service started.
check: lint unit

# The pure tests: no broker, no PostgreSQL, no ClickHouse server; seconds.
unit: install
	$(BIN)/pytest tests/unit $(PYTEST_ARGS)

integration: up pg-up
	$(BIN)/pytest tests/integration $(PYTEST_ARGS)

e2e: up report-deps
	$(BIN)/pytest tests/e2e $(PYTEST_ARGS)

up: setup
	$(INFRA) up

pg-up: setup
	$(DEV) postgres up

# Headless Chromium and a CJK font for the report's browser test (Debian packages).
report-deps:
	bash infra/report-deps.sh

# Stops both, even when stopping one fails; fails if either did.
down:
	@if [ -x $(DEV) ]; then \
		rc=0; $(INFRA) down || rc=$$?; $(DEV) postgres down || rc=$$?; exit $$rc; \
	else echo "no $(DEV): no broker or PostgreSQL to stop"; fi

pg-down:
	@if [ -x $(DEV) ]; then $(DEV) postgres down; else echo "no $(DEV): no PostgreSQL to stop"; fi

# Everything but the slower fault trials (`make trials`; CI runs both) and the cluster's.
test: up pg-up report-deps
	@$(BIN)/pytest -m "not trial and not slow and not cluster" $(XDIST) $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: that is a failure" >&2; fi; \
	exit $$rc

trials: up pg-up
	@$(BIN)/pytest -m "trial and not cluster" $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no trials: that is a failure" >&2; fi; \
	exit $$rc

# The slower end-to-end walks of the users' surfaces (the README's walkthrough as written,
# the public site in Chromium, open data read back, receipts, workbooks, agencies' keys, the
# evidence register, the auditors' tools on the scenario); CI runs them too.
slow: up pg-up report-deps
	@$(BIN)/pytest -m "slow and not trial and not cluster" $(XDIST) $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no slow tests: that is a failure" >&2; fi; \
	exit $$rc

# A three-node Kafka cluster of its own, on free ports in a temporary state folder (the jars
# linked from the local broker's; tests/integration/test_cluster*.py): the leader of the
# events topic's busiest partition killed while the relay publishes; broker fault trials
# while the relay, the ingest and the loader run as processes on PostgreSQL
# (CLUSTER_TRIALS, 3 here); a rolling restart of the three nodes during the main job,
# compared with the single broker (`up`). `make cluster-campaign` runs the long version:
# 24 trials and the whole scenario, the trial table in .state/cluster-campaign.json.
CLUSTER_TRIALS ?= 3
CLUSTER_DEMO_UNTIL ?= 2019Q4
cluster-trials: setup up pg-up
	@IMPACT_CLUSTER_TRIALS=$(CLUSTER_TRIALS) IMPACT_CLUSTER_DEMO_UNTIL=$(CLUSTER_DEMO_UNTIL) \
		$(BIN)/pytest -m cluster -s $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no cluster trials: that is a failure" >&2; fi; \
	exit $$rc

cluster-campaign:
	$(MAKE) cluster-trials CLUSTER_TRIALS=24 CLUSTER_DEMO_UNTIL= \
		IMPACT_CLUSTER_REPORT=$${IMPACT_CLUSTER_REPORT:-$(CURDIR)/.state/cluster-campaign.json}

demo: up
	$(IMPACT) demo

# SIGKILL the main job, the ingest, the relay and the loader at random moments (100 kills,
# seeded), restart each, and count what was lost or doubled; fails unless nothing was. CI
# runs a short one: `make kill-campaign KILL_ARGS="--kills 12 --until 2019Q1"`.
KILL_ARGS ?=
kill-campaign: up
	$(DEV) kill-campaign $(KILL_ARGS)

# The Dagster UI (http://127.0.0.1:3000) on the Dagster home where `impact` and `make demo`
# record their runs: <state>/dagster, or DAGSTER_HOME when set.
UI_PORT ?= 3000
ui: install
	@home="$${DAGSTER_HOME:-$${IMPACT_STATE_DIR:-$(CURDIR)/.state}/dagster}"; mkdir -p "$$home"; \
	echo "Dagster home: $$home"; \
	DAGSTER_HOME="$$home" $(BIN)/dagster dev -m impact.orchestration.definitions -p $(UI_PORT)

bench: up
	$(DEV) bench
