#!/usr/bin/env bash
# All GPU checks in one script (< 10 minutes on one GPU): set up, then perf/gpu_check.py.
# On the device machine: bash perf/gpu_check.sh   (LEADERBOARD_DATA_DIR must hold beir/scifact)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q torch            # the CUDA build on a GPU machine
  .venv/bin/pip install -q -e ".[test,models]"
fi
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
timeout 540 .venv/bin/python perf/gpu_check.py
