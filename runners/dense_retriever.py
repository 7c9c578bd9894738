"""Dense retrieval: encode corpus and queries, exact top-k by cosine or dot product."""

from __future__ import annotations

import time
from collections.abc import Mapping

import numpy as np

from runners.device import best_device
from runners.exact_search import exact_top_k
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
        self.encoder = DenseEncoder(config, self.weights.folder, self.device)
        self.phase_times["load_model"] = time.perf_counter() - start
        self.counters: dict[str, float] = {}

    def retrieve(self, corpus: Corpus, queries: Mapping[str, str], k: int, corpus_sha256: str) -> dict[str, dict[str, float]]:
        doc_ids = list(corpus)
        query_ids = list(queries)
        start = time.perf_counter()
        doc_emb = self.encoder.encode([flat_text(corpus[d]) for d in doc_ids], self.config.document_prompt, "encoding corpus")
        self.phase_times["encode_corpus"] = time.perf_counter() - start
        start = time.perf_counter()
        query_emb = self.encoder.encode([queries[q] for q in query_ids], self.config.query_prompt, "encoding queries")
        self.phase_times["encode_queries"] = time.perf_counter() - start
        if self.config.similarity == "cosine" and not self.encoder.settings.normalize:
            doc_emb = _unit(doc_emb)
            query_emb = _unit(query_emb)
        start = time.perf_counter()
        scores, index = exact_top_k(query_emb, doc_emb, k, device=self.device)
        self.phase_times["search"] = time.perf_counter() - start
        self.counters = {
            "corpus_docs_per_s": len(doc_ids) / max(self.phase_times["encode_corpus"], 1e-9),
            "embedding_dim": int(doc_emb.shape[1]),
        }
        return {qid: {doc_ids[j]: float(s) for j, s in zip(index[row], scores[row], strict=True)} for row, qid in enumerate(query_ids)}

    def describe(self) -> dict:
        settings = self.encoder.settings
        return {
            "backend": "dense",
            "weights_origin": self.weights.origin,
            "weights_folder": str(self.weights.folder),
            "weights_sha256": self.weights.sha256,
            "pooling": settings.pooling,
            "normalize": settings.normalize,
            "max_length": settings.max_length,
            "settings_origin": settings.origin,
            "similarity": self.config.similarity,
            "query_prompt": self.config.query_prompt,
            "document_prompt": self.config.document_prompt,
            "dtype": self.config.dtype,
            "batch_size": self.config.batch_size,
            "device": self.device,
            "search": "exact top-k (torch, chunks of 50,000 docs)",
            **self.counters,
        }


def _unit(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.clip(norms, 1e-12, None)
