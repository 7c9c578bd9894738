"""Dense retrieval: encode corpus and queries, exact top-k by cosine or dot product.

The retriever wraps a sentence encoder (:class:`runners.dense.DenseSentenceEncoder`, the one the
session built), so BEIR, STS and Tatoeba tasks of one run share one loaded model and one cache.

Matryoshka (``dims: [64, 128, …]`` in the config): the corpus and the queries are encoded once;
each size is then searched on the first ``d`` coordinates of those same embeddings,
re-normalised when the similarity is cosine (a truncated unit vector is no longer one).  Which
sizes are searched is :func:`common.variants.variant_dims`'s rule: the full size is the run
itself, never a second variant.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from common.variants import variant_dims, variant_name
from runners.dense import DenseSentenceEncoder
from runners.exact_search import exact_top_k, prepare
from runners.protocols import Corpus, RetrievalResult, Run
from runners.retrievers import flat_text


class DenseRetriever:
    extra_hit_for_identical_ids = True  # BEIR's DenseRetrievalExactSearch retrieves top_k + 1

    def __init__(self, encoder: DenseSentenceEncoder) -> None:
        self.encoder = encoder
        self.config = encoder.config

    def retrieve(self, corpus: Corpus, queries: Mapping[str, str], k: int, corpus_sha256: str) -> RetrievalResult:
        doc_ids = list(corpus)
        query_ids = list(queries)
        phases: dict[str, float] = {}
        start = time.perf_counter()
        doc_emb, corpus_pass = self.encoder.encode_pass(
            [flat_text(corpus[d]) for d in doc_ids], self.config.document_prompt, "encoding corpus"
        )
        phases["encode_corpus"] = time.perf_counter() - start
        start = time.perf_counter()
        query_emb, query_pass = self.encoder.encode_pass([queries[q] for q in query_ids], self.config.query_prompt, "encoding queries")
        phases["encode_queries"] = time.perf_counter() - start
        full_dim = int(doc_emb.shape[1])
        dims = variant_dims(self.config.dims, full_dim, self.config.name)
        # cosine on unnormalised embeddings: rows are scaled to unit length inside the search, chunk by chunk
        needs_unit = self.config.similarity == "cosine" and not self.encoder.unit_length
        start = time.perf_counter()
        run = self._search(query_ids, query_emb, doc_ids, doc_emb, k, dim=None, normalize=needs_unit)
        phases["search"] = time.perf_counter() - start
        variants: dict[str, Run] = {}
        renormalise = self.config.similarity == "cosine"  # a truncated unit vector is no longer one
        for dim in dims:
            start = time.perf_counter()
            variants[variant_name(dim)] = self._search(query_ids, query_emb, doc_ids, doc_emb, k, dim=dim, normalize=renormalise)
            phases[f"search_{variant_name(dim)}"] = time.perf_counter() - start
        # this pass's own throughput (the corpus) and peak memory (corpus and queries): runners/pass_meter.py
        encode_pass = corpus_pass.summary()
        # the corpus pass's record with the higher peak of the two passes (4 decimals, as every MB figure)
        encode_pass["peak_rss_mb"] = max(encode_pass["peak_rss_mb"], round(query_pass.peak_rss_mb, 4))
        counters: dict[str, object] = {
            "corpus_docs_per_s": len(doc_ids) / max(phases["encode_corpus"], 1e-9),
            "embedding_dim": full_dim,
            "encode_pass": encode_pass,
        }
        if dims:
            counters["matryoshka_dims"] = dims
            counters["encoding_passes"] = 1
        counters.update(self.encoder.stats)
        return RetrievalResult(run, variants, phases, counters)

    def _search(self, query_ids, query_emb, doc_ids, doc_emb, k, *, dim: int | None, normalize: bool) -> Run:
        if self.config.search == "exact":
            scores, index = exact_top_k(query_emb, doc_emb, k, device=self.encoder.loaded.device, dim=dim, normalize=normalize)
        else:  # FAISS builds an in-memory index of the whole (truncated, normalised) matrix
            from runners.faiss_search import faiss_top_k

            scores, index = faiss_top_k(prepare(query_emb, dim, normalize), prepare(doc_emb, dim, normalize), k, self.config.search)
        return {
            qid: {doc_ids[j]: float(s) for j, s in zip(index[row], scores[row], strict=True) if j >= 0} for row, qid in enumerate(query_ids)
        }

    def describe(self) -> dict:
        return {
            **self.encoder.describe(),
            "search": "exact top-k (torch, chunks of 50,000 docs)"
            if self.config.search == "exact"
            else _faiss_describe(self.config.search),
        }


def _faiss_describe(kind: str) -> str:
    from runners.faiss_search import describe

    return describe(kind)
