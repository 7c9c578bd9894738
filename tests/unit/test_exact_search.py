import numpy as np

from runners.exact_search import exact_top_k


def test_chunked_top_k_equals_full_sort():
    rng = np.random.default_rng(0)
    queries = rng.standard_normal((7, 16)).astype(np.float32)
    docs = rng.standard_normal((1000, 16)).astype(np.float32)
    scores, index = exact_top_k(queries, docs, 25, chunk_size=97)
    full = queries @ docs.T
    expected = np.argsort(-full, axis=1)[:, :25]
    assert np.array_equal(index, expected)
    assert np.allclose(scores, np.take_along_axis(full, expected, axis=1), atol=1e-5)


def test_k_larger_than_corpus():
    _scores, index = exact_top_k(np.ones((1, 2), np.float32), np.eye(2, dtype=np.float32), 10, chunk_size=1)
    assert index.shape == (1, 2)
