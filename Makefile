# One command to set everything up and run the main job, one to set up and run every test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: serve test lint validate build clean

$(STAMP): pyproject.toml $(wildcard client/pyproject.toml)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	if [ -f client/pyproject.toml ]; then $(BIN)/python -m pip install --quiet -e ./client; fi
	touch $(STAMP)

## serve: validate and build the dataset, then serve the API on 127.0.0.1:8000 (HOST=, PORT= to change)
HOST ?= 127.0.0.1
PORT ?= 8000
serve: $(STAMP)
	$(BIN)/openstrikes serve --host $(HOST) --port $(PORT)

## validate: run the contributor checks on every event and actor file
validate: $(STAMP)
	$(BIN)/openstrikes validate

## build: validate and build the data package into dist/
build: $(STAMP)
	$(BIN)/openstrikes build

# The client is type-checked where only it and `requests` are installed (no stub packages), as a
# user's project would have it.
CLIENT_VENV ?= .venv-client
$(CLIENT_VENV)/.installed: client/pyproject.toml
	$(PYTHON) -m venv $(CLIENT_VENV)
	$(CLIENT_VENV)/bin/python -m pip install --quiet ./client mypy
	touch $@

## lint: ruff lint and format check, mypy --strict on the client (in the dev venv and alone with requests)
lint: $(STAMP) $(CLIENT_VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	if [ -f client/pyproject.toml ]; then $(BIN)/mypy --strict client/openstrikes_client $(wildcard client/examples/*.py); fi
	$(CLIENT_VENV)/bin/mypy --strict --no-incremental client/openstrikes_client

## test: lint, then the whole test suite
test: lint
	$(BIN)/python -m pytest; rc=$$?; if [ $$rc -eq 5 ]; then echo "pytest collected no tests"; exit 1; fi; exit $$rc

clean:
	rm -rf $(VENV) $(CLIENT_VENV) dist build .pytest_cache .hypothesis
