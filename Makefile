# Carrefour: the two commands of the quick start are `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint check bench bench-quick serve clean fuzz

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

## demo: create the venv, an SQLite database with the catalogue and a synthetic population,
## print a credential per institution, and serve the API on http://127.0.0.1:8000
demo: $(STAMP)
	$(BIN)/carrefour demo

## test: lint, format check, strict typing, then the whole suite on SQLite and PostgreSQL
test: $(STAMP) lint
	$(BIN)/pytest -n 2 -q

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy --strict src

## bench: the benchmarks on SQLite and PostgreSQL, a table and benchmarks/results/*.json
## (wrk is installed from Debian when missing; BENCH_SCALE=0.1 or bench-quick for a short run)
# PostgreSQL through its Unix socket when it runs on this machine (a local round trip costs
# less than over TCP: docs/operations.md), else over TCP
PG_SOCKET := /var/run/postgresql
BENCH_POSTGRES ?= $(if $(wildcard $(PG_SOCKET)/.s.PGSQL.5432),postgresql+psycopg://postgres@/test?host=$(PG_SOCKET),postgresql+psycopg://postgres@127.0.0.1:5432/test)
BENCH_SCALE ?= 1
bench: $(STAMP)
	@command -v wrk >/dev/null || (apt-get install -y wrk >/dev/null 2>&1 || \
		sudo apt-get install -y wrk >/dev/null 2>&1 || echo "wrk could not be installed")
	$(BIN)/python -m benchmarks --scale $(BENCH_SCALE) $(if $(BENCH_POSTGRES),--postgres '$(BENCH_POSTGRES)')

bench-quick:
	$(MAKE) bench BENCH_SCALE=0.1

## fuzz: schemathesis against a demo server, from the OpenAPI (its own venv, .venv-fuzz)
fuzz: $(STAMP)
	.ci/fuzz

serve: $(STAMP)
	$(BIN)/carrefour serve

clean:
	rm -rf $(VENV) carrefour.db carrefour.db-wal carrefour.db-shm carrefour-checkpoints carrefour-signing.key
