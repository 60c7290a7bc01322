# The two commands of the README: `make up` runs the stack, `make test` passes the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: up test lint bench clean

$(BIN)/livedata: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

up: $(BIN)/livedata
	$(BIN)/livedata up

test: $(BIN)/livedata
	$(BIN)/pytest -q

lint: $(BIN)/livedata
	$(BIN)/ruff check .
	$(BIN)/mypy livedata

bench: $(BIN)/livedata
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var .pytest_cache
