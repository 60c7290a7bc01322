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

# ruff (with the S rules), mypy, and bandit at medium severity and up on the shipped code;
# every exception is justified in place (`# noqa: Sxxx - why`, `# nosec Bxxx - why`).
lint: $(BIN)/livedata
	$(BIN)/ruff check .
	$(BIN)/mypy livedata
	$(BIN)/bandit -q -r livedata services admin --severity-level medium

bench: $(BIN)/livedata
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var .pytest_cache
