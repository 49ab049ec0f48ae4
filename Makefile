# Two commands on a fresh machine: `make run` and `make test`. Needs only Python 3.11+ and the
# package registry; uv (the package manager) is installed into the user's site if missing.
SHELL := /bin/bash
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
UV_VERSION := 0.13.8
export UV_PYTHON_DOWNLOADS := never

.PHONY: install run test lint bench clean

$(UV):
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet --user "uv==$(UV_VERSION)" \
		|| $(PYTHON) -m pip install --quiet "uv==$(UV_VERSION)"

install: $(UV)
	@$(UV) sync --frozen --quiet

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
