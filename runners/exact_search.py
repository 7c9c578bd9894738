"""Exact top-k search over dense embeddings, chunked over the corpus.

Memory stays bounded by ``queries × chunk`` scores however large the corpus is: each corpus
chunk yields its own top-k, merged into the running top-k.  Same results as BEIR's
``DenseRetrievalExactSearch`` (which also chunks and keeps top-k per chunk).
"""

from __future__ import annotations

import numpy as np


def exact_top_k(
    queries: np.ndarray, docs: np.ndarray, k: int, *, chunk_size: int = 50_000, device: str = "cpu"
) -> tuple[np.ndarray, np.ndarray]:
    """Top ``k`` doc indices and scores (dot product) per query, best first."""
    import torch

    q = torch.from_numpy(queries).to(device)
    best_scores = torch.full((q.shape[0], 0), float("-inf"), device=device)
    best_index = torch.zeros((q.shape[0], 0), dtype=torch.long, device=device)
    for start in range(0, docs.shape[0], chunk_size):
        d = torch.from_numpy(docs[start : start + chunk_size]).to(device)
        scores = q @ d.T
        take = min(k, scores.shape[1])
        chunk_scores, chunk_index = torch.topk(scores, take, dim=1)
        merged_scores = torch.cat([best_scores, chunk_scores], dim=1)
        merged_index = torch.cat([best_index, chunk_index + start], dim=1)
        keep = min(k, merged_scores.shape[1])
        best_scores, order = torch.topk(merged_scores, keep, dim=1)
        best_index = torch.gather(merged_index, 1, order)
    return best_scores.cpu().numpy(), best_index.cpu().numpy()
