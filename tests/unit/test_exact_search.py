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


def test_truncated_cosine_on_a_memory_mapped_corpus_equals_the_whole_matrix(tmp_path):
    """Matryoshka cosine (first `dim` coordinates, re-normalised) applied chunk by chunk on a
    read-only memmap gives the ranking of the same computation on the whole in-memory matrix."""
    rng = np.random.default_rng(1)
    queries = rng.standard_normal((5, 32)).astype(np.float32) * 3
    docs = rng.standard_normal((800, 32)).astype(np.float32) * rng.uniform(0.1, 5, (800, 1)).astype(np.float32)
    path = tmp_path / "docs.npy"
    np.save(path, docs)
    mapped = np.load(path, mmap_mode="r")
    scores, index = exact_top_k(queries, mapped, 20, chunk_size=128, dim=8, normalize=True)

    def unit(m):
        return m / np.linalg.norm(m, axis=1, keepdims=True)

    full = unit(queries[:, :8]) @ unit(docs[:, :8]).T
    expected = np.argsort(-full, axis=1)[:, :20]
    assert np.array_equal(index, expected)
    assert np.allclose(scores, np.take_along_axis(full, expected, axis=1), atol=1e-5)
    assert np.all(scores <= 1 + 1e-6)  # cosine: the truncations were re-normalised
