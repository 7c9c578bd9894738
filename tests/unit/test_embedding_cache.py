import numpy as np

from runners.embedding_cache import CachedEncoder, EmbeddingCache


class CountingEncoder:
    def __init__(self):
        self.calls: list[list[str]] = []

    def encode(self, texts, prompt="", desc=""):
        self.calls.append(list(texts))
        return np.array([[len(prompt + t), ord((prompt + t)[0]), 1.0] for t in texts], dtype=np.float32)


def test_only_new_texts_are_computed_and_order_is_kept(tmp_path):
    inner = CountingEncoder()
    encoder = CachedEncoder(inner, tmp_path, {"weights": "abc"})
    first = encoder.encode(["aa", "b", "aa", "ccc"])
    assert inner.calls == [["aa", "b", "ccc"]]  # the duplicate is encoded once
    second = encoder.encode(["ccc", "dddd", "b"])
    assert inner.calls[-1] == ["dddd"]
    assert np.array_equal(second[0], first[3]) and np.array_equal(second[2], first[1])
    assert encoder.stats == {"cache_hits": 3, "cache_misses": 4}


def test_prompt_and_identity_separate_entries(tmp_path):
    inner = CountingEncoder()
    encoder = CachedEncoder(inner, tmp_path, {"weights": "abc"})
    encoder.encode(["x"], prompt="query: ")
    encoder.encode(["x"], prompt="passage: ")
    CachedEncoder(inner, tmp_path, {"weights": "other"}).encode(["x"], prompt="query: ")
    assert len(inner.calls) == 3


def test_a_fresh_process_reuses_shards_and_ignores_half_written_files(tmp_path):
    inner = CountingEncoder()
    EmbeddingCache(tmp_path).encode(["one", "two"], inner.encode)
    (tmp_path / "shard-dead.npy.123.tmp").write_bytes(b"partial")  # a crash mid-write
    (tmp_path / "shard-orphan.npy").write_bytes(b"no keys file yet")  # crash between the two renames
    again = EmbeddingCache(tmp_path)
    vectors = again.encode(["two", "one"], inner.encode)
    assert len(inner.calls) == 1 and again.hits == 2
    assert vectors.shape == (2, 3)


def test_flushes_in_shards_while_encoding(tmp_path):
    cache = EmbeddingCache(tmp_path)
    cache.encode([f"t{i}" for i in range(10)], CountingEncoder().encode, flush_every=4)
    assert len(list(tmp_path.glob("shard-*.keys"))) == 3


def test_a_matrix_over_the_memory_limit_is_memory_mapped_and_leaves_no_file(tmp_path):
    texts = [f"text number {i}" for i in range(300)]
    in_memory = EmbeddingCache(tmp_path / "a").encode(texts, CountingEncoder().encode)
    spilling = EmbeddingCache(tmp_path / "b", in_memory_mb=0.001)  # 300 × 3 floats > 1 KiB
    mapped = spilling.encode(texts, CountingEncoder().encode)
    assert isinstance(mapped, np.memmap)
    assert spilling.spilled_rows == 300
    assert np.array_equal(np.asarray(mapped), in_memory)
    assert not list((tmp_path / "b").glob("matrix-*"))  # the scratch file is unlinked once mapped
