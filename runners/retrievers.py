"""The retriever protocol and the factory that builds one from a model config.

A retriever turns (corpus, queries) into a run: query id -> {doc id: score}.  Each backend
declares whether it retrieves one extra hit when identical ids will be removed afterwards:
BEIR/MTEB's exact search does (so every query keeps ``depth`` hits); Pyserini's
``--remove-query`` does not (it removes from the 1,000 it retrieved).  We follow each
reference tool so that Recall@1000 matches it on ArguAna/Quora too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from submissions.schema import ModelConfig

Corpus = Mapping[str, Mapping[str, str]]


class Retriever(Protocol):
    extra_hit_for_identical_ids: bool
    phase_times: dict[str, float]

    def retrieve(self, corpus: Corpus, queries: Mapping[str, str], k: int, corpus_sha256: str) -> dict[str, dict[str, float]]:
        """Top ``k`` hits per query."""

    def describe(self) -> dict:
        """Resolved settings, weight hashes and counters for the run manifest."""


def build_retriever(config: ModelConfig) -> Retriever:
    if config.backend == "bm25":
        assert config.bm25 is not None
        if config.bm25.engine == "lucene":
            from runners.lucene_bm25 import LuceneBM25

            return LuceneBM25(config)
        from runners.bm25s_bm25 import Bm25sBM25

        return Bm25sBM25(config)
    if config.backend == "splade":
        from runners.splade import SpladeRetriever

        return SpladeRetriever(config)
    if config.backend == "clip":
        from runners.session import TaskNotSupported

        raise TaskNotSupported(f"{config.name} (clip) is an image-text model; it does not run text retrieval")
    from runners.dense_retriever import DenseRetriever

    return DenseRetriever(config)


def flat_text(doc: Mapping[str, str]) -> str:
    """BEIR's document text: title and body joined by a space (as BEIR's SentenceBERT and Anserini's BeirFlatCollection)."""
    return f"{doc.get('title', '')} {doc.get('text', '')}".strip()
