# Two entry points, both usable on a fresh machine:
#   make app   set everything up, ingest the sample corpus, start the app on 127.0.0.1:7860
#   make test  set everything up (Chromium included) and run lint and the test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup app test lint format bench llama

setup: $(STAMP)

# Exactly the versions in requirements.lock (bash scripts/lock.sh re-resolves them), and
# llama.cpp built portably by scripts/install-llama.sh (never pip's CPU-specific build).
$(STAMP): pyproject.toml requirements.lock scripts/install-llama.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q "$$(grep '^pip==' requirements.lock)"
	bash scripts/install-llama.sh $(BIN)/python
	$(BIN)/python -m pip install -q --no-deps -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps --no-build-isolation -e .
	$(BIN)/newsqa models pull
	$(BIN)/newsqa doctor
	touch $@

# Rebuild and reinstall llama-cpp-python portably (what `newsqa doctor` says to run).
llama:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	rm -f $(VENV)/newsqa-llama-build.txt
	bash scripts/install-llama.sh $(BIN)/python

app: setup
	$(BIN)/newsqa models pull
	$(BIN)/newsqa ingest samples/
	$(BIN)/python app.py

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: setup lint
	bash scripts/system-deps.sh
	$(BIN)/python -m pytest
