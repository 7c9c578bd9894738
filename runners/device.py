"""Pick the compute device: CUDA when present, else CPU; ``LEADERBOARD_DEVICE`` overrides."""

from __future__ import annotations

import os


def best_device() -> str:
    import torch

    wanted = os.environ.get("LEADERBOARD_DEVICE", "auto")
    if wanted != "auto":
        return wanted
    return "cuda" if torch.cuda.is_available() else "cpu"
