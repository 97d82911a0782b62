# Entry points for developers and CI. Every target is idempotent and quick when set up:
# pip runs only when pyproject.toml or devtools/pyproject.toml is newer than
# .venv/.installed, Maven only when infra/kafka/pom.xml changed, and `up` returns at once
# when the broker answers.
# `pg-up` installs Debian's postgresql package only when its server binaries are missing
# (as root: apt-get) and returns at once when the local PostgreSQL answers; `report-deps`
# installs Chromium and fonts-noto-cjk the same way.
#
# Two distributions live here: the ledger (`impact`, pyproject.toml) and its development
# tools (`impact_dev`, devtools/pyproject.toml: the local broker and PostgreSQL managers,
# the benchmarks; the `impact-dev` command). Both are installed editable.

SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
IMPACT ?= $(BIN)/impact
DEV ?= $(BIN)/impact-dev
INFRA ?= $(DEV) infra
PYTEST_ARGS ?=

.PHONY: setup up pg-up report-deps down pg-down test demo bench

setup: $(INSTALLED)
	$(INFRA) fetch

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): pyproject.toml devtools/pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check --no-input --quiet -e '.[dev]' \
		-e devtools
	touch $@

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

test: up pg-up report-deps
	@$(BIN)/pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: that is a failure" >&2; fi; \
	exit $$rc

demo: up
	$(IMPACT) demo

bench: up
	$(DEV) bench
