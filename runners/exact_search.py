"""Exact top-k search over dense embeddings, chunked over the corpus.

Memory stays bounded by ``queries × chunk`` scores however large the corpus is: each corpus
chunk yields its own top-k, merged into the running top-k.  Same results as BEIR's
``DenseRetrievalExactSearch`` (which also chunks and keeps top-k per chunk).

The corpus matrix may be a read-only ``np.memmap`` (the embedding cache hands large corpora over
that way): only one chunk is in memory at a time.  Matryoshka truncation (``dim``) and cosine
re-normalisation (``normalize``) are applied per chunk for the same reason, instead of on a
full copy of the matrix; both are row-wise, so the result is the same as on the whole matrix.
"""

from __future__ import annotations

import numpy as np


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit L2 norm (float32); all-zero rows stay zero."""
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return (matrix / np.clip(norms, 1e-12, None)).astype(np.float32, copy=False)


def prepare(matrix: np.ndarray, dim: int | None, normalize: bool) -> np.ndarray:
    """The first ``dim`` coordinates of each row, re-normalised if asked, as a contiguous float32 array."""
    block = np.ascontiguousarray(matrix if dim is None else matrix[:, :dim], dtype=np.float32)
    if normalize:
        return unit_rows(block)
    return block if block.flags.writeable else block.copy()  # torch wants writable memory; a memmap chunk is read-only


def exact_top_k(
    queries: np.ndarray,
    docs: np.ndarray,
    k: int,
    *,
    chunk_size: int = 50_000,
    device: str = "cpu",
    dim: int | None = None,
    normalize: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Top ``k`` doc indices and scores (dot product) per query, best first.

    ``dim``/``normalize`` apply to both sides: truncate to the first ``dim`` coordinates, then
    scale each row to unit length (cosine similarity of Matryoshka truncations).
    """
    import torch

    q = torch.from_numpy(prepare(queries, dim, normalize)).to(device)
    best_scores = torch.full((q.shape[0], 0), float("-inf"), device=device)
    best_index = torch.zeros((q.shape[0], 0), dtype=torch.long, device=device)
    for start in range(0, docs.shape[0], chunk_size):
        d = torch.from_numpy(prepare(docs[start : start + chunk_size], dim, normalize)).to(device)
        scores = q @ d.T
        take = min(k, scores.shape[1])
        chunk_scores, chunk_index = torch.topk(scores, take, dim=1)
        merged_scores = torch.cat([best_scores, chunk_scores], dim=1)
        merged_index = torch.cat([best_index, chunk_index + start], dim=1)
        keep = min(k, merged_scores.shape[1])
        best_scores, order = torch.topk(merged_scores, keep, dim=1)
        best_index = torch.gather(merged_index, 1, order)
    return best_scores.cpu().numpy(), best_index.cpu().numpy()
