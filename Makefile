# Entry points for developers and CI. Every target is idempotent and quick when set up:
# pip runs only when pyproject.toml is newer than .venv/.installed, Maven only when
# infra/kafka/pom.xml changed, and `up` returns at once when the broker answers.
# `pg-up` installs Debian's postgresql package only when its server binaries are missing
# (as root: apt-get) and returns at once when the local PostgreSQL answers; `report-deps`
# installs Chromium and fonts-noto-cjk the same way.

SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
IMPACT ?= $(BIN)/impact
INFRA ?= $(IMPACT) infra
PYTEST_ARGS ?=

.PHONY: setup up pg-up report-deps down pg-down test demo bench

setup: $(INSTALLED)
	$(INFRA) fetch

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check --no-input --quiet -e '.[dev]'
	touch $@

up: setup
	$(INFRA) up

pg-up: setup
	$(IMPACT) postgres up

# Headless Chromium and a CJK font for the report's browser test (Debian packages).
report-deps:
	bash infra/report-deps.sh

# Stops both, even when stopping one fails; fails if either did.
down:
	@if [ -x $(BIN)/python ]; then \
		rc=0; $(INFRA) down || rc=$$?; $(IMPACT) postgres down || rc=$$?; exit $$rc; \
	else echo "no $(VENV): no broker or PostgreSQL to stop"; fi

pg-down:
	@if [ -x $(BIN)/python ]; then $(IMPACT) postgres down; else echo "no $(VENV): no PostgreSQL to stop"; fi

test: up pg-up report-deps
	@$(BIN)/pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: that is a failure" >&2; fi; \
	exit $$rc

demo: up
	$(IMPACT) demo

bench: up
	$(IMPACT) bench
