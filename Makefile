# Smart Manufacturing Innovation Platform — `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
PORT ?= 8000
PYTEST_ARGS ?=

.DEFAULT_GOAL := help

help: ## Show this help
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@rm -f $(VENV)/.installed-*; touch $@

venv: $(STAMP) ## Create .venv and install the platform with its dev tools

run: venv ## Migrate, seed demo data and serve the whole platform (embedded topology) on PORT (8000)
	$(BIN)/smartmfg run --port $(PORT)

# The infra servers' development credentials (infra/README.md); set these variables to run on other servers.
DIST_DB ?= postgresql+psycopg://smartmfg:smartmfg@127.0.0.1:55432/smartmfg
DIST_ISSUER ?= http://127.0.0.1:58080/realms/smartmfg
WRITERS ?= 2
# Trino (infra/trino) reads the same catalog database and bucket as the processes; ENGINE=duckdb for DuckDB.
ENGINE ?= trino

run-distributed: venv ## Every service its own process, the gateway on PORT, WRITERS lake writers, ENGINE, on the infra servers
	bash infra/ctl.sh up
	SMARTMFG_DATABASE_URL="$${SMARTMFG_DATABASE_URL:-$(DIST_DB)}" \
	SMARTMFG_OIDC_ISSUER="$${SMARTMFG_OIDC_ISSUER:-$(DIST_ISSUER)}" \
	SMARTMFG_ALLOW_DEV_SECRETS="$${SMARTMFG_ALLOW_DEV_SECRETS:-true}" \
	SMARTMFG_ANALYTICS_ENGINE="$${SMARTMFG_ANALYTICS_ENGINE:-$(ENGINE)}" \
	$(BIN)/smartmfg run-distributed --port $(PORT) --writers $(WRITERS)

# Tests keep their files on tmpfs where there is one: SQLite and the lake's catalog sync every commit, and on
# a busy disk those syncs were a quarter of an API test's setup.
TEST_TMP := $(if $(wildcard /dev/shm/.),TMPDIR=/dev/shm,)

# The whole suite in two phases on the same servers (tests/workers.py): every test that can share them on
# TEST_WORKERS pytest-xdist workers, then the tests marked `serial` (they stop a server, or must not share
# the cores), in one process: only the HA chaos test is left there, and every xdist worker would collect the
# whole suite (~16 CPU-s each) to run it. Either phase failing fails the
# target; a phase that PYTEST_ARGS leaves empty (pytest's exit status 5) does not. Three workers on two
# cores: with two, a clean run kept the cores busy 37 of 2 × 26 minutes, the rest waiting on servers.
TEST_WORKERS ?= 3

# The tests start once PostgreSQL, Kafka and MinIO are healthy; Keycloak and Trino, which take the better part
# of a minute, finish starting beside them, and a test reaching one waits for it (tests/servers_starting.py).
test: venv ## Start the real servers (infra/) and run the whole test suite (what CI runs)
	bash infra/with-servers.sh --late keycloak,trino $(MAKE) --no-print-directory test-phases

.PHONY: test-phases
test-phases:
	@start=$$SECONDS; env $(TEST_TMP) $(BIN)/pytest -n $(TEST_WORKERS) --dist loadgroup --phase parallel $(PYTEST_ARGS); \
	parallel=$$?; parallel_s=$$((SECONDS - start)); start=$$SECONDS; \
	env $(TEST_TMP) $(BIN)/pytest -n 0 --phase serial $(PYTEST_ARGS); \
	serial=$$?; serial_s=$$((SECONDS - start)); \
	echo "make test: parallel phase exit $$parallel in $${parallel_s}s, serial phase exit $$serial in $${serial_s}s"; \
	if [ $$parallel -eq 5 ] && [ $$serial -eq 5 ]; then exit 5; fi; \
	for rc in $$parallel $$serial; do if [ $$rc -ne 0 ] && [ $$rc -ne 5 ]; then exit $$rc; fi; done

# xdist hands out the longest units first (tests/workers.py); on a clean clone it knows them from the committed
# tests/durations.json, which this target rewrites from this checkout's last runs (run it after a whole
# `make test`), or from DURATIONS_OUTPUT, a saved output of `pytest --durations=0` of one.
DURATIONS_OUTPUT ?=

test-durations: venv ## Rewrite tests/durations.json (the tests' order on a clean clone) from the last make test
	$(BIN)/python -m tests.workers $(DURATIONS_OUTPUT)

test-fast: venv ## The fast tier: the tests that need no server (SQLite, local bus and lake); run it while working
	env $(TEST_TMP) $(BIN)/pytest --fast -n 2 --dist loadgroup $(PYTEST_ARGS)

infra-up: ## Install (first time) and start the real servers under .infra/
	bash infra/ctl.sh up

infra-down: ## Stop the real servers
	bash infra/ctl.sh down

infra-status: ## Show which real servers are healthy
	bash infra/ctl.sh status

lint: venv ## ruff (lint + format check) and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy platform_api services ingest catalog

fmt: venv ## Format the code with ruff
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

BENCH_ARGS ?=
BENCH_BASE ?= HEAD

bench: venv ## Run every benchmark of bench/ on the real servers: docs/benchmarks.md + bench/baseline.json (~1 h)
	bash infra/with-servers.sh $(BIN)/python bench/run.py $(BENCH_ARGS)

bench-check: venv ## Rerun the benchmarks; fail if a figure is > 30 % worse than bench/baseline.json, or HTTP ingest > 10 % slower than BENCH_BASE (alternating runs)
	bash infra/with-servers.sh $(BIN)/python bench/run.py --check --against $(BENCH_BASE) $(BENCH_ARGS)

clean: ## Remove the virtualenv, local data and caches of the checkout (not .infra/)
	rm -rf $(VENV) .data .pytest_cache .mypy_cache .ruff_cache

.PHONY: help venv run run-distributed test test-durations test-fast infra-up infra-down infra-status lint fmt bench bench-check clean
