"""Pooling of a transformer's token states into one vector per text (the dense encoder's, and ONNX trial's)."""

from __future__ import annotations


def pool(hidden, mask, mode: str):
    """Mean over unmasked tokens, the first token (cls), or the last unmasked token (right or left padding)."""
    import torch

    if mode == "cls":
        return hidden[:, 0]
    if mode == "last":
        # position of the last 1 in each mask row: works for right padding and for left padding (decoder models)
        positions = torch.arange(mask.size(1), device=mask.device).expand_as(mask)
        last = (positions * mask.to(positions.dtype)).argmax(dim=1)
        return hidden[torch.arange(hidden.size(0), device=hidden.device), last]
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-9)
