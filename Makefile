# Thin front door over scripts/; the scripts hold the logic so CI and humans
# run exactly the same thing.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

VENV := .venv/bin

.PHONY: help run test setup lint format bench clean

help: ## show this help
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

run: ## start the dev server (PORT=8000, RELOAD=1)
	scripts/run.sh

test: ## lint + full test suite on SpatiaLite and PostGIS (TEST_DB=, TEST_WORKERS=)
	scripts/test.sh

setup: ## install system packages, .venv and requirements
	scripts/bootstrap.sh run

lint: setup ## ruff check + format check
	$(VENV)/ruff check .
	$(VENV)/ruff format --check .

format: setup ## ruff format + autofix lint
	$(VENV)/ruff format .
	$(VENV)/ruff check --fix .

# One recipe line so the trap covers every benchmark: the throwaway
# PostgreSQL server (if any) is stopped even when a benchmark fails.
bench: ## run every bench/*.py (not _helpers) against PostGIS
	scripts/bootstrap.sh test
	@shopt -s nullglob; files=(bench/[!_]*.py); \
	if (( $${#files[@]} == 0 )); then echo "no bench/*.py" >&2; exit 1; fi; \
	url="$$(scripts/postgis.sh up)"; \
	trap 'scripts/postgis.sh down' EXIT; \
	for f in "$${files[@]}"; do \
	  echo "== $$f"; \
	  DATABASE_URL="$$url" $(VENV)/python "$$f"; \
	done

clean: ## remove test databases, caches (keeps .venv and the dev database)
	scripts/postgis.sh down
	rm -rf var/test.sqlite3* .pytest_cache .ruff_cache
	find . -path ./.venv -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
