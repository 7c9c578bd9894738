"""Dense retrieval: encode corpus and queries, exact top-k by cosine or dot product.

Matryoshka (``dims: [64, 128, …]`` in the config): the corpus and the queries are encoded once;
each size is then searched on the first ``d`` coordinates of those same embeddings,
re-normalised when the similarity is cosine (a truncated unit vector is no longer one).  A size
equal to the full dimension is the full run itself, not a re-normalised copy of it, so its
scores are the full run's to the last digit.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from common.errors import UserError
from runners.device import best_device
from runners.exact_search import exact_top_k, prepare
from runners.retrievers import Corpus, flat_text
from runners.weights import resolve_weights
from submissions.schema import ModelConfig


class DenseRetriever:
    extra_hit_for_identical_ids = True  # BEIR's DenseRetrievalExactSearch retrieves top_k + 1

    def __init__(self, config: ModelConfig) -> None:
        from runners.dense import DenseEncoder

        assert config.weights is not None
        self.config = config
        self.phase_times: dict[str, float] = {}
        self.device = best_device()
        start = time.perf_counter()
        self.weights = resolve_weights(config.weights, config.name)
        with self.weights.named_by_source():  # errors name the weights by their source, not a server path
            self.encoder = _cached(DenseEncoder(config, self.weights.folder, self.device), self.weights.sha256, self.device)
        self.phase_times["load_model"] = time.perf_counter() - start
        self.counters: dict[str, float] = {}
        # Matryoshka: "dim=64" -> run, filled by retrieve() when the config has dims
        self.variant_runs: dict[str, dict[str, dict[str, float]]] = {}

    def retrieve(self, corpus: Corpus, queries: Mapping[str, str], k: int, corpus_sha256: str) -> dict[str, dict[str, float]]:
        doc_ids = list(corpus)
        query_ids = list(queries)
        start = time.perf_counter()
        doc_emb = self.encoder.encode([flat_text(corpus[d]) for d in doc_ids], self.config.document_prompt, "encoding corpus")
        self.phase_times["encode_corpus"] = time.perf_counter() - start
        start = time.perf_counter()
        query_emb = self.encoder.encode([queries[q] for q in query_ids], self.config.query_prompt, "encoding queries")
        self.phase_times["encode_queries"] = time.perf_counter() - start
        full_dim = int(doc_emb.shape[1])
        dims = sorted(set(self.config.dims or []))
        too_big = [d for d in dims if d > full_dim]
        if too_big:
            raise UserError(f"model {self.config.name}: dims {too_big} exceed the embedding size {full_dim}; use sizes up to {full_dim}")
        # cosine on unnormalised embeddings: rows are scaled to unit length inside the search, chunk by chunk
        needs_unit = self.config.similarity == "cosine" and not self.encoder.settings.normalize
        start = time.perf_counter()
        run = self._search(query_ids, query_emb, doc_ids, doc_emb, k, dim=None, normalize=needs_unit)
        self.phase_times["search"] = time.perf_counter() - start
        self.variant_runs = {}
        renormalise = self.config.similarity == "cosine"  # a truncated unit vector is no longer one
        for dim in dims:
            start = time.perf_counter()
            if dim == full_dim:
                self.variant_runs[f"dim={dim}"] = run
            else:
                self.variant_runs[f"dim={dim}"] = self._search(query_ids, query_emb, doc_ids, doc_emb, k, dim=dim, normalize=renormalise)
            self.phase_times[f"search_dim={dim}"] = time.perf_counter() - start
        self.counters = {
            "corpus_docs_per_s": len(doc_ids) / max(self.phase_times["encode_corpus"], 1e-9),
            "embedding_dim": full_dim,
        }
        if dims:
            self.counters["matryoshka_dims"] = dims
            self.counters["encoding_passes"] = 1
        self.counters.update(getattr(self.encoder, "stats", {}))
        return run

    def _search(self, query_ids, query_emb, doc_ids, doc_emb, k, *, dim: int | None, normalize: bool) -> dict[str, dict[str, float]]:
        if self.config.search == "exact":
            scores, index = exact_top_k(query_emb, doc_emb, k, device=self.device, dim=dim, normalize=normalize)
        else:  # FAISS builds an in-memory index of the whole (truncated, normalised) matrix
            from runners.faiss_search import faiss_top_k

            scores, index = faiss_top_k(prepare(query_emb, dim, normalize), prepare(doc_emb, dim, normalize), k, self.config.search)
        return {
            qid: {doc_ids[j]: float(s) for j, s in zip(index[row], scores[row], strict=True) if j >= 0} for row, qid in enumerate(query_ids)
        }

    def describe(self) -> dict:
        settings = self.encoder.settings
        return {
            "backend": "dense",
            "weights_origin": self.weights.origin,
            "weights_folder": self.weights.label,
            "weights_sha256": self.weights.sha256,
            "pooling": settings.pooling,
            "normalize": settings.normalize,
            "max_length": settings.max_length,
            "dense_layers": list(settings.dense_layers),
            "settings_origin": settings.origin,
            "similarity": self.config.similarity,
            "query_prompt": self.config.query_prompt,
            "document_prompt": self.config.document_prompt,
            "dtype": self.config.dtype,
            "batch_size": self.config.batch_size,
            "batch_tokens": self.config.batch_tokens,
            "device": self.device,
            "search": "exact top-k (torch, chunks of 50,000 docs)"
            if self.config.search == "exact"
            else _faiss_describe(self.config.search),
            **self.counters,
        }


def _cached(encoder, weights_sha256: dict[str, str], device: str):
    """The encoder behind the content-addressed embedding cache (``<cache dir>/embeddings``).

    The key holds everything that changes an embedding: weight hashes, the resolved settings,
    dtype and device type; the prompt is added per call by :class:`CachedEncoder`.
    """
    from common.settings import cache_dir
    from runners.embedding_cache import CachedEncoder

    settings = encoder.settings
    identity = {
        "weights_sha256": weights_sha256,
        "pooling": settings.pooling,
        "normalize": settings.normalize,
        "max_length": settings.max_length,
        "lowercase": settings.lowercase,
        "dense_layers": list(settings.dense_layers),
        "dtype": str(encoder.dtype),
        "device": str(device).split(":")[0],
    }
    return CachedEncoder(encoder, cache_dir() / "embeddings", identity)


def _faiss_describe(kind: str) -> str:
    from runners.faiss_search import describe

    return describe(kind)
