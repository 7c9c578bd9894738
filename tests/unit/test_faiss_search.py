import numpy as np

from runners.exact_search import exact_top_k
from runners.faiss_search import faiss_top_k


def test_faiss_flat_equals_exact_and_hnsw_is_close():
    rng = np.random.default_rng(1)
    docs = rng.standard_normal((3000, 32)).astype(np.float32)
    queries = rng.standard_normal((20, 32)).astype(np.float32)
    exact_scores, exact_index = exact_top_k(queries, docs, 50, chunk_size=700)
    flat_scores, flat_index = faiss_top_k(queries, docs, 50, "faiss-flat")
    assert np.array_equal(exact_index, flat_index)
    assert np.allclose(exact_scores, flat_scores, atol=1e-4)
    _, hnsw_index = faiss_top_k(queries, docs, 50, "faiss-hnsw")
    recall = np.mean([len(set(a) & set(b)) / 50 for a, b in zip(exact_index, hnsw_index, strict=True)])
    assert recall > 0.9
