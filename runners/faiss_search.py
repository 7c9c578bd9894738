"""FAISS search for dense runs, when a config asks for it (``search: faiss-flat | faiss-hnsw``).

``faiss-flat`` is exact inner-product search (same top-k as our chunked search, up to ties);
``faiss-hnsw`` is an *approximation* (HNSW graph, M=32, efConstruction=200, efSearch=256),
recorded as such in the run manifest, for corpora where exact search is too slow.  The default
stays our exact chunked search, which needs no extra package and bounds memory by the chunk.
"""

from __future__ import annotations

import numpy as np

from common.errors import UserError

HNSW = {"M": 32, "efConstruction": 200, "efSearch": 256}


def faiss_top_k(queries: np.ndarray, docs: np.ndarray, k: int, kind: str) -> tuple[np.ndarray, np.ndarray]:
    try:
        import faiss
    except ImportError as err:
        raise UserError("search: faiss-* needs faiss: pip install faiss-cpu (or faiss-gpu)") from err
    dim = docs.shape[1]
    if kind == "faiss-flat":
        index = faiss.IndexFlatIP(dim)
    else:
        index = faiss.IndexHNSWFlat(dim, HNSW["M"], faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW["efConstruction"]
        index.hnsw.efSearch = max(HNSW["efSearch"], k)
    index.add(np.ascontiguousarray(docs, dtype=np.float32))
    scores, ids = index.search(np.ascontiguousarray(queries, dtype=np.float32), min(k, docs.shape[0]))
    return scores, ids


def describe(kind: str) -> str:
    if kind == "faiss-flat":
        return "exact inner product (FAISS IndexFlatIP)"
    return f"APPROXIMATE: FAISS HNSW (M={HNSW['M']}, efConstruction={HNSW['efConstruction']}, efSearch={HNSW['efSearch']})"
