"""Pick the compute device: CUDA when present, else CPU; ``LEADERBOARD_DEVICE`` overrides."""

from __future__ import annotations


def best_device() -> str:
    import torch

    from common.settings import settings

    wanted = settings().device
    if wanted != "auto":
        return wanted
    return "cuda" if torch.cuda.is_available() else "cpu"
