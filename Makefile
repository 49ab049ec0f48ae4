# Two commands on a fresh machine: `make run` and `make test`. Needs only Python 3.11+ and the
# package registry; uv (the package manager) is installed with pip when it is missing.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.8
UV := $(shell command -v uv 2>/dev/null)
ifeq ($(UV),)
UV := $(PYTHON) -m uv
endif
export UV_PYTHON_DOWNLOADS := never

.PHONY: install run test lint bench clean

install:
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet "uv==$(UV_VERSION)"
	@$(UV) sync --frozen --quiet --compile-bytecode

run: install
	@$(UV) run --frozen --no-sync billing serve

test: install
	@$(UV) run --frozen --no-sync pytest -q -n auto --dist loadgroup

lint: install
	@$(UV) run --frozen --no-sync ruff check src tests bench
	@$(UV) run --frozen --no-sync ruff format --check src
	@$(UV) run --frozen --no-sync mypy
	@$(UV) run --frozen --no-sync lint-imports

bench: install
	@$(UV) run --frozen --no-sync python -m bench

clean:
	rm -rf .venv var .pytest_cache .mypy_cache .ruff_cache
