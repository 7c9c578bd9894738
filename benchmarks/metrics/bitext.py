"""Bitext mining scores exactly as MTEB computes them (``AbsTaskBitextMining`` + ``BitextMiningEvaluator``).

Search: for every sentence of the *query* side, the single most similar sentence of the other
side (exact search, the model's similarity: cosine for cosine models, dot for dot models).  For
Tatoeba MTEB's ``sentence1`` is the non-English side and ``sentence2`` English, so each
non-English sentence searches the English sentences of its pair (xxx → eng), never the reverse.

Scores, with query i's gold being line i of the other side: each gold line is its own class,
and scikit-learn's ``precision/recall/f1_score(average="weighted", zero_division=0)`` and
``accuracy_score`` are taken over (gold, predicted) as MTEB does.  Every class has support 1, so
the weighted averages are plain means over the query sentences of per-sentence values:

- ``accuracy`` and ``recall``: 1 if query i found line i, else 0 (the two are equal);
- ``precision``: 1 / (number of queries that picked line i) if query i found it, else 0;
- ``f1``: the harmonic mean of those two, per sentence.

These per-sentence values are kept as ``per_query`` (keyed by 1-based line number), so their
mean is the score, and bootstraps and paired tests work as for retrieval.

Ties: the lowest index wins (``numpy.argmax``).  MTEB's ``torch.topk(k=1)`` leaves ties to the
backend; they occur only when two different sentences get identical embeddings.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from benchmarks.metrics.definition import MetricDefinition
from benchmarks.metrics.retrieval import MetricResult

BITEXT_METRICS: tuple[str, ...] = ("f1", "accuracy", "precision", "recall")
MAIN_BITEXT_METRIC = "f1"
BITEXT_DEFINITIONS: dict[str, MetricDefinition] = {
    "f1": MetricDefinition("f1", "F1", "per sentence, the harmonic mean of its precision and recall; averaged over the sentences"),
    "accuracy": MetricDefinition("accuracy", "Accuracy", "share of sentences whose nearest English sentence is their translation"),
    "precision": MetricDefinition(
        "precision", "Precision", "per sentence, 1 / (sentences that picked its translation) when it found it, else 0; averaged"
    ),
    "recall": MetricDefinition("recall", "Recall", "equal to accuracy: every line is its own class (support 1)"),
}


def nearest_neighbours(queries: np.ndarray, corpus: np.ndarray, *, similarity: str = "cosine", chunk: int = 4096) -> np.ndarray:
    """Index into ``corpus`` of the most similar row, for every row of ``queries``.

    Computed in float32 as sentence-transformers' ``cos_sim`` / ``dot_score`` (which MTEB's
    default similarity calls): cosine L2-normalises both sides first (eps 1e-12).
    """
    if similarity not in ("cosine", "dot"):
        raise ValueError(f"similarity must be cosine or dot, not {similarity!r}")
    q = np.asarray(queries, dtype=np.float32)
    c = np.asarray(corpus, dtype=np.float32)
    if q.ndim != 2 or c.ndim != 2 or q.shape[1] != c.shape[1] or len(c) == 0:
        raise ValueError(f"need (n × dim) queries and a non-empty (m × dim) corpus, got {q.shape} and {c.shape}")
    if similarity == "cosine":
        q = q / np.maximum(np.linalg.norm(q, axis=1, keepdims=True), np.float32(1e-12))
        c = c / np.maximum(np.linalg.norm(c, axis=1, keepdims=True), np.float32(1e-12))
    best = np.empty(len(q), dtype=np.int64)
    for start in range(0, len(q), chunk):
        best[start : start + chunk] = np.argmax(q[start : start + chunk] @ c.T, axis=1)
    return best


def neighbour_similarities(queries: np.ndarray, corpus: np.ndarray, found: np.ndarray, *, similarity: str = "cosine") -> np.ndarray:
    """The similarity of each query to the row it found, float32 as in :func:`nearest_neighbours` (shown, never scored).

    One row product per query, so it may differ from the search's matrix product in the last
    bit; it is the neighbour's displayed similarity in the stored ``neighbours`` artifact.
    """
    q = np.asarray(queries, dtype=np.float32)
    c = np.asarray(corpus, dtype=np.float32)[np.asarray(found, dtype=np.int64)]
    if similarity == "cosine":
        q = q / np.maximum(np.linalg.norm(q, axis=1, keepdims=True), np.float32(1e-12))
        c = c / np.maximum(np.linalg.norm(c, axis=1, keepdims=True), np.float32(1e-12))
    return np.einsum("ij,ij->i", q, c)


def evaluate_bitext(predicted: Sequence[int], item_ids: Sequence[str] | None = None) -> dict[str, MetricResult]:
    """Scores of a search where query i's translation is corpus row i; ``predicted[i]`` is the row it found."""
    predicted = np.asarray(predicted, dtype=np.int64)
    n = len(predicted)
    if n == 0:
        raise ValueError("no queries to score")
    ids = [str(i + 1) for i in range(n)] if item_ids is None else [str(i) for i in item_ids]
    if len(ids) != n or len(set(ids)) != n:
        raise ValueError("item ids must be unique, one per query")
    from sklearn.metrics import precision_recall_fscore_support  # imported here: the task registry must not need it

    gold = np.arange(n)
    # average=None gives one value per gold class; each class is one query sentence (support 1)
    precision, recall, f1, _ = precision_recall_fscore_support(gold, predicted, labels=gold, average=None, zero_division=0)
    correct = (predicted == gold).astype(np.float64)
    per_item = {"f1": f1, "accuracy": correct, "precision": precision, "recall": recall}
    return {
        metric: MetricResult(
            float(np.mean(per_item[metric])), dict(zip(ids, np.asarray(per_item[metric], dtype=float).tolist(), strict=True))
        )
        for metric in BITEXT_METRICS
    }


def metric_spec(*, language: str, pairs: int) -> dict[str, object]:
    """The exact definition recorded with every Tatoeba score."""
    return {
        "library": "scikit-learn precision_recall_fscore_support / accuracy (MTEB AbsTaskBitextMining semantics)",
        "main_score": MAIN_BITEXT_METRIC,
        "direction": (
            f"{language} -> eng: each {language} sentence searches the {pairs:,} English sentences of the pair "
            "(MTEB: sentence1 -> sentence2)"
        ),
        "search": "exact top-1 by the model config's similarity (cosine: L2-normalised, float32); ties to the lowest line",
        "metrics": {
            "f1": "scikit-learn f1_score(average='weighted', zero_division=0), gold = own line (main)",
            "accuracy": "share of sentences whose nearest English sentence is their translation",
            "precision": "precision_score(average='weighted', zero_division=0)",
            "recall": "recall_score(average='weighted'); equals accuracy since every line is its own class",
        },
        "pairs": pairs,
        "encoding": (
            "every distinct sentence of the pair (both sides) encoded once with the model config's query_prompt "
            "(MTEB encodes both sides alike, prompt_type None)"
        ),
        "per_query": "per 1-based line of the pair: that sentence's F1 / accuracy / precision / recall; their mean is the score",
        "aggregate": "benchmark score 'tatoeba' = unweighted mean over the 112 pairs of each metric (MTEB's per-pair results, averaged)",
    }
