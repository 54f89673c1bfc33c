# Two commands for a new user: `make run` and `make test`. Each creates .venv and installs on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test install bench clean

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

bench: install
	$(BIN)/python -m bench.onboarding

clean:
	rm -rf .var $(VENV)
