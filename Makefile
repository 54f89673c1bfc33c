# Two commands for a new user: `make run` and `make test`. Each creates .venv and installs on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test install bench smoke clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[test]"
	touch $@

install: $(BIN)/.installed

run: install
	$(BIN)/hoso run

test: install
	$(BIN)/pytest -q

# both benches: onboardings against bare Temporal, then the province at full size (bench/README.md)
bench: install
	$(BIN)/python -m bench.onboarding
	$(BIN)/python -m bench.province

# CI's production job: pip install . into a fresh venv, web and worker in prod mode against the
# PostgreSQL on 127.0.0.1:5432 (HOSO_SMOKE_ADMIN_URL) and a Temporal dev server; see docs/operations.md.
smoke:
	deploy/ci-prod-smoke.sh

clean:
	rm -rf .var $(VENV)
