"""BM25 with bm25s: the embedded engine that needs no Java.

Scoring is bm25s' ``method="lucene"`` (Lucene's BM25: idf = ln(1 + (N - df + 0.5)/(df + 0.5)),
no (k1 + 1) factor), k1/b from the config, documents as BEIR's flat title + text.  Analysis is
:mod:`runners.lucene_analyzer`, the closest we get to Anserini's without a JVM.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from runners.lucene_analyzer import TermIds
from runners.protocols import Corpus, RetrievalResult
from runners.retrievers import flat_text
from submissions.schema import ModelConfig


class Bm25sBM25:
    extra_hit_for_identical_ids = True

    def __init__(self, config: ModelConfig) -> None:
        assert config.bm25 is not None
        self.settings = config.bm25

    def _doc_text(self, doc: Mapping[str, str]) -> str:
        return flat_text(doc)

    def retrieve(self, corpus: Corpus, queries: Mapping[str, str], k: int, corpus_sha256: str) -> RetrievalResult:
        import bm25s
        import numpy as np
        from tqdm.auto import tqdm

        terms = TermIds(self.settings.stemmer, self.settings.stopwords)
        phases: dict[str, float] = {}
        doc_ids = list(corpus)
        start = time.perf_counter()
        corpus_ids = [terms.ids(self._doc_text(corpus[d])) for d in tqdm(doc_ids, desc="analysing corpus", unit="doc", leave=False)]
        vocab = terms.vocab
        retriever = bm25s.BM25(k1=self.settings.k1, b=self.settings.b, method="lucene")
        retriever.index(bm25s.tokenization.Tokenized(ids=corpus_ids, vocab=vocab), show_progress=False)
        phases["index"] = time.perf_counter() - start

        start = time.perf_counter()
        query_ids = list(queries)
        query_tokens = [terms.ids(queries[q], grow=False) for q in query_ids]
        k = min(k, len(doc_ids))
        run: dict[str, dict[str, float]] = {}
        for row, qid in enumerate(tqdm(query_ids, desc="searching (bm25s)", unit="query", leave=False)):
            if not query_tokens[row]:  # no term left after analysis (stopwords, unknown words, empty text)
                run[qid] = {}  # nothing to match: no hits, as Lucene gives; the query counts 0 (trec_eval -c)
                continue
            scores = retriever.get_scores(query_tokens[row])
            top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
            run[qid] = {doc_ids[j]: float(scores[j]) for j in top if scores[j] > 0}
        phases["search"] = time.perf_counter() - start
        # the index's size: bm25s keeps its score matrix as CSR arrays (data, indices, indptr)
        index_bytes = sum(int(value.nbytes) for value in retriever.scores.values() if hasattr(value, "nbytes"))
        return RetrievalResult(run, phase_times=phases, counters={"vocabulary": len(vocab), "index_bytes": index_bytes})

    def describe(self) -> dict:
        import bm25s

        return {
            "backend": "bm25",
            "engine": "bm25s",
            "bm25s": bm25s.__version__,
            "method": "lucene",
            "k1": self.settings.k1,
            "b": self.settings.b,
            "fields": self.settings.fields,
            "analyzer": (
                "Lucene-like (UAX#29-style tokens, possessive filter, lowercase, "
                f"stopwords={self.settings.stopwords}, stemmer={self.settings.stemmer})"
            ),
        }
