"""Build the retriever of a model config (:class:`runners.protocols.Retriever`), and BEIR's document text.

Each backend declares whether it retrieves one extra hit when identical ids will be removed
afterwards: BEIR/MTEB's exact search does (so every query keeps ``depth`` hits); Pyserini's
``--remove-query`` does not (it removes from the 1,000 it retrieved).  We follow each
reference tool so that Recall@1000 matches it on ArguAna/Quora too.
"""

from __future__ import annotations

from collections.abc import Mapping

from runners.protocols import Retriever, SentenceEncoder
from submissions.schema import ModelConfig


def build_retriever(config: ModelConfig, sentence_encoder: SentenceEncoder | None = None) -> Retriever:
    """The retriever for ``config``; a dense one wraps ``sentence_encoder`` (loaded here when not given)."""
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
    if config.backend == "fusion":
        from common.errors import UserError

        raise UserError(
            f"{config.name} fuses stored runs; it is computed by the leaderboard service from them "
            f"('leaderboard run {config.name} --tasks …'), not built on its own"
        )
    if config.backend == "clip":
        from runners.session import TaskNotSupported

        raise TaskNotSupported(f"{config.name} (clip) is an image-text model; it does not run text retrieval")
    from runners.dense import DenseSentenceEncoder, load_sentence_encoder
    from runners.dense_retriever import DenseRetriever

    encoder = sentence_encoder if sentence_encoder is not None else load_sentence_encoder(config)
    if not isinstance(encoder, DenseSentenceEncoder):
        raise TypeError(f"the dense retriever wraps the dense backend's sentence encoder, not {type(encoder).__name__}")
    return DenseRetriever(encoder)


def flat_text(doc: Mapping[str, str]) -> str:
    """BEIR's document text: title and body joined by a space (as BEIR's SentenceBERT and Anserini's BeirFlatCollection)."""
    return f"{doc.get('title', '')} {doc.get('text', '')}".strip()
