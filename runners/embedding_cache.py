"""Content-addressed embedding cache: never encode the same text twice with the same model.

Layout under ``<cache dir>/embeddings/<model key>/``::

    shard-<uuid>.npy     float32 matrix, one row per text
    shard-<uuid>.keys    the sha256 of each row's text (hex, one per line)

The *model key* hashes everything that changes an embedding: the weight files' sha256, pooling,
normalisation, max length, dtype and the prompt (so query and document roles with different
prompts never collide).  A row is addressed by the sha256 of its text, so tasks that share a
corpus, Matryoshka dims and warm reruns all reuse the same rows.

Safety: a shard is written to a temporary name, fsynced, then renamed — readers never see a
half-written shard, a crash leaves at most an ignored ``.tmp`` file, and concurrent writers
each add their own shard (duplicate rows across shards are harmless).  Shards are read with
``mmap_mode="r"``, so a large cache is not loaded into memory.  Encoding writes a shard every
``flush_every`` texts, so an interrupted run resumes from what it had finished, and memory
holds at most one such block of new embeddings.  The matrix handed back is in memory up to
``LEADERBOARD_EMBEDDINGS_IN_RAM_MB`` (default 2 GiB), beyond that a memory-mapped scratch file
that the chunked search (:mod:`runners.exact_search`) reads a block at a time: a corpus larger
than host memory is encoded and searched in bounded memory.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def model_key(parts: dict) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:32]


def _atomic_write(path: Path, write: Callable[[object], None]) -> None:
    tmp = path.with_name(path.name + f".{uuid.uuid4().hex}.tmp")
    with tmp.open("wb") as handle:
        write(handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def _in_memory_limit_mb() -> float:
    """``LEADERBOARD_EMBEDDINGS_IN_RAM_MB`` (default 2048): larger result matrices are memory-mapped."""
    from common.settings import settings

    return settings().embeddings_in_ram_mb


class EmbeddingCache:
    def __init__(self, folder: Path, in_memory_mb: float | None = None) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self._index: dict[str, tuple[Path, int]] = {}
        self._arrays: dict[Path, np.ndarray] = {}
        self._seen: set[Path] = set()
        self.hits = 0
        self.misses = 0
        self.spilled_rows = 0
        self.in_memory_mb = in_memory_mb if in_memory_mb is not None else _in_memory_limit_mb()

    def _refresh(self) -> None:
        for keys_file in sorted(self.folder.glob("shard-*.keys")):
            shard = keys_file.with_suffix(".npy")
            if keys_file in self._seen or not shard.exists():
                continue
            self._seen.add(keys_file)
            for row, key in enumerate(keys_file.read_text().split()):
                self._index.setdefault(key, (shard, row))

    def _array(self, shard: Path) -> np.ndarray:
        if shard not in self._arrays:
            self._arrays[shard] = np.load(shard, mmap_mode="r")
        return self._arrays[shard]

    def _write_shard(self, keys: Sequence[str], vectors: np.ndarray) -> None:
        name = f"shard-{uuid.uuid4().hex}"
        shard = self.folder / f"{name}.npy"
        # the matrix first, then its keys: a shard counts only once its .keys file exists
        _atomic_write(shard, lambda handle: np.save(handle, np.ascontiguousarray(vectors, dtype=np.float32)))
        _atomic_write(self.folder / f"{name}.keys", lambda handle: handle.write("\n".join(keys).encode()))

    def _allocate(self, rows: int, dim: int) -> np.ndarray:
        """The result matrix: in memory up to ``in_memory_mb``, else a memory-mapped scratch file.

        The scratch file lives next to the shards and is unlinked as soon as it is mapped, so it
        disappears with the process whatever happens; the search reads it chunk by chunk.
        """
        if rows * dim * 4 <= self.in_memory_mb * 2**20:
            return np.empty((rows, dim), dtype=np.float32)
        scratch = self.folder / f"matrix-{uuid.uuid4().hex}.tmp"
        out = np.lib.format.open_memmap(scratch, mode="w+", dtype=np.float32, shape=(rows, dim))
        scratch.unlink()
        self.spilled_rows += rows
        return out

    def encode(self, texts: Sequence[str], compute: Callable[[list[str]], np.ndarray], *, flush_every: int = 20_000) -> np.ndarray:
        """Embeddings of ``texts`` in order; only texts never seen before are passed to ``compute``.

        Duplicates within ``texts`` are computed once.
        """
        self._refresh()
        keys = [text_key(text) for text in texts]
        missing: dict[str, str] = {}
        for key, text in zip(keys, texts, strict=True):
            if key not in self._index and key not in missing:
                missing[key] = text
        self.misses += len(missing)
        self.hits += len(texts) - len(missing)
        pending = list(missing.items())
        for start in range(0, len(pending), flush_every):
            chunk = pending[start : start + flush_every]
            vectors = compute([text for _, text in chunk])
            self._write_shard([key for key, _ in chunk], vectors)
        self._refresh()
        if not texts:
            return np.empty((0, 0), dtype=np.float32)
        first_shard, _ = self._index[keys[0]]
        out = self._allocate(len(texts), self._array(first_shard).shape[1])
        for position, key in enumerate(keys):
            shard, row = self._index[key]
            out[position] = self._array(shard)[row]
        return out


class CachedEncoder:
    """Wraps an encoder with ``encode(texts, prompt, desc)``; same interface, cached per prompt."""

    def __init__(self, encoder, cache_root: Path, identity: dict) -> None:
        self.encoder = encoder
        self.cache_root = cache_root
        self.identity = identity
        self.caches: dict[str, EmbeddingCache] = {}

    def __getattr__(self, name: str):  # settings, model, device… of the wrapped encoder
        return getattr(self.encoder, name)

    def cache_for(self, prompt: str) -> EmbeddingCache:
        key = model_key({**self.identity, "prompt": prompt})
        if key not in self.caches:
            self.caches[key] = EmbeddingCache(self.cache_root / key)
        return self.caches[key]

    def encode(self, texts: list[str], prompt: str = "", desc: str = "encoding") -> np.ndarray:
        cache = self.cache_for(prompt)
        return cache.encode(texts, lambda todo: self.encoder.encode(todo, prompt, desc))

    def encode_counted(self, texts: list[str], prompt: str = "", desc: str = "encoding") -> tuple[np.ndarray, dict[str, int]]:
        """:meth:`encode` through the wrapped encoder's ``encode_counted``, and what was computed:
        ``{"encoded": texts not in the cache, "tokens": their non-padding tokens, "padded_tokens": with padding}``."""
        counts = {"encoded": 0, "tokens": 0, "padded_tokens": 0}

        def compute(todo: list[str]) -> np.ndarray:
            vectors, tokens, padded = self.encoder.encode_counted(todo, prompt, desc)
            counts["encoded"] += len(todo)
            counts["tokens"] += tokens
            counts["padded_tokens"] += padded
            return vectors

        return self.cache_for(prompt).encode(texts, compute), counts

    @property
    def stats(self) -> dict[str, int]:
        caches = self.caches.values()
        stats = {"cache_hits": sum(c.hits for c in caches), "cache_misses": sum(c.misses for c in caches)}
        spilled = sum(c.spilled_rows for c in caches)
        return stats | ({"memory_mapped_rows": spilled} if spilled else {})
