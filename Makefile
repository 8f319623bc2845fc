# Every target that runs code first makes sure .venv exists and holds the project.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-lowest fuzz lint format bench clean install

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/derivbot run --optional-token

test: $(STAMP)
	$(BIN)/python -m pytest -q

# The same suite on the lowest versions pyproject.toml allows (uv's lowest-direct resolution), so
# the ranges we declare are ranges we test. Its own venv; .ci/run runs it after `make test`.
# Compiled at install as pip does (uv does not by default): where PYTHONDONTWRITEBYTECODE is
# set, every process would otherwise compile sympy and matplotlib again (5 s more per import).
LOWEST := .venv-lowest
test-lowest:
	test -d $(LOWEST) || $(PYTHON) -m venv $(LOWEST)
	$(LOWEST)/bin/pip install --quiet "uv>=0.9,<1"
	$(LOWEST)/bin/uv pip install --quiet --python $(LOWEST)/bin/python --resolution lowest-direct \
		--compile-bytecode -e ".[dev]"
	$(LOWEST)/bin/python -m pytest -q

# Property tests only, exploring new examples (at least EXAMPLES each); failures are kept in
# .hypothesis/ and replayed by the next `make fuzz`.
EXAMPLES ?= 500
fuzz: $(STAMP)
	DERIVBOT_FUZZ=1 DERIVBOT_FUZZ_EXAMPLES=$(EXAMPLES) $(BIN)/python -m pytest -q -m property

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) $(LOWEST) .pytest_cache .ruff_cache
