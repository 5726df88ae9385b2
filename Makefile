# Two commands for a fresh machine: `make run` and `make test`. Everything else is theirs.
SHELL := /bin/bash
PYTHON ?= python3
UV := $(PYTHON) -m uv
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: uv setup setup-serve browser run test test-fast lint format clean

uv:
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv

## setup: the whole locked environment, dev and evals groups included (idempotent, cached)
setup: uv
	@# Offline first: uv revalidates a registry sdist when its HTTP cache entry expires and
	@# then builds it again, so llama-cpp-python (minutes of C++) would be rebuilt on every
	@# fresh clone; offline, the wheel already built from the cached sdist is reused.
	@$(UV) sync --frozen --quiet --offline 2>/dev/null || $(UV) sync --frozen --quiet

## setup-serve: only what serving needs (no dev or evals group); --inexact keeps what
## `make setup` installed, so `make run` after `make test` takes nothing away
setup-serve: uv
	@$(UV) sync --frozen --quiet --no-dev --inexact --offline 2>/dev/null || \
	  $(UV) sync --frozen --quiet --no-dev --inexact

## browser: Debian's Chromium for the end-to-end tests (Playwright drives it, never downloads one)
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else echo "browser tests need Debian's chromium: sudo apt-get install chromium"; fi; }

## run: ingest the sample articles, start the local LLM, serve the API and chat page (/ui)
run: setup-serve
	$(BIN)/rag ingest data/sources
	$(BIN)/rag llm-server start
	$(BIN)/rag serve --host $(HOST) --port $(PORT)

## test: the whole suite (unit, integration with real servers, end-to-end in Chromium)
test: setup browser
	$(BIN)/pytest

## test-fast: unit tests only
test-fast: setup
	$(BIN)/pytest -m unit

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf data/chroma data/lexical data/manifest.sqlite* data/logs .pytest_cache .mypy_cache .ruff_cache
