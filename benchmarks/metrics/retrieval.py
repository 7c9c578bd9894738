"""Retrieval metrics with trec_eval semantics, computed by pytrec_eval.

Each metric is named once (:data:`RETRIEVAL_METRICS`) with the trec_eval measure behind it,
in the spirit of ir_measures.  pytrec_eval does the arithmetic; this module only does the
three things around it that decide whether a number matches the literature:

1. **Ordering and depth.**  A run is ranked by score descending, ties by doc id descending —
   the order trec_eval itself uses (``comp_sim_docno``) — and cut to ``depth`` hits (1000 as in
   BEIR, MTEB and Pyserini 2CR).  Cutting in any other order would change Recall@1000 on ties.
2. **Identical ids.**  When the task says so (BEIR sets where a query is also a document:
   ArguAna, Quora, …), hits whose doc id equals the query id are dropped before cutting, like
   Pyserini's ``--remove-query`` and BEIR's ``ignore_identical_ids``.
3. **Averaging.**  The mean is over *every* query in the qrels; a query with no hits scores 0.
   That is ``trec_eval -c``, which 2CR uses; BEIR's and MTEB's averages are the same whenever a
   model returns hits for every query, which all of ours do.
4. **Grades <= 0.**  A judgement whose grade is 0 or negative (TREC's -2 "junk") is not relevant
   and has no gain: it is passed to pytrec_eval as grade 0 (:func:`judged_grades`).  That is
   what trec_eval itself computes for these six measures: a document is relevant when its grade
   is at least ``relevance_level`` 1 (recall, MAP, P, RR), nDCG adds gain only for grades > 0,
   and trec_eval reads a negative grade as "in the pool but unjudged"
   (``RELVALUE_UNJUDGED``), which none of these measures tells apart from grade 0.  We rewrite
   them because pytrec_eval's bundled trec_eval crashes (a negative-size ``memset`` in
   ``form_res_rels.c``, exit -11) on a query whose highest grade is -2 or lower.  The query stays
   judged (it counts 0 in the mean), as it does in trec_eval.

MRR@10 is trec_eval's ``recip_rank`` on the run cut to its first 10 hits, since trec_eval's
``recip_rank`` has no cutoff parameter (this is how ir_measures' pytrec_eval provider does RR@k).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pytrec_eval

from benchmarks.metrics.definition import MetricDefinition

Qrels = Mapping[str, Mapping[str, int]]
Run = Mapping[str, Mapping[str, float]]

DEFAULT_DEPTH = 1000


@dataclass(frozen=True)
class RetrievalMetric:
    """One named metric: our name, the trec_eval measure, and the cutoff applied before it."""

    name: str  # our (and MTEB's) field name, e.g. "ndcg_at_10"
    label: str  # how papers write it, e.g. "nDCG@10"
    trec_measure: str  # measure passed to pytrec_eval, e.g. "ndcg_cut.10"
    result_key: str  # key pytrec_eval returns, e.g. "ndcg_cut_10"
    truncate_to: int | None = None  # cut the run to this many hits before evaluating


RETRIEVAL_METRICS: dict[str, RetrievalMetric] = {
    metric.name: metric
    for metric in (
        RetrievalMetric("ndcg_at_10", "nDCG@10", "ndcg_cut.10", "ndcg_cut_10"),
        RetrievalMetric("recall_at_100", "R@100", "recall.100", "recall_100"),
        RetrievalMetric("recall_at_1000", "R@1000", "recall.1000", "recall_1000"),
        RetrievalMetric("map_at_100", "MAP@100", "map_cut.100", "map_cut_100"),
        RetrievalMetric("mrr_at_10", "MRR@10", "recip_rank", "recip_rank", truncate_to=10),
        RetrievalMetric("precision_at_10", "P@10", "P.10", "P_10"),
    )
}
MAIN_RETRIEVAL_METRIC = "ndcg_at_10"

_MEANINGS = {
    "ndcg_at_10": "normalised discounted cumulative gain of the first 10 hits (graded gain, log2 discount)",
    "recall_at_100": "share of a query's relevant documents found in the first 100 hits",
    "recall_at_1000": "share of a query's relevant documents found in the first 1,000 hits",
    "map_at_100": "mean average precision over the first 100 hits",
    "mrr_at_10": "reciprocal rank of the first relevant hit within the first 10 (0 when none)",
    "precision_at_10": "share of relevant documents among the first 10 hits",
}

RETRIEVAL_DEFINITIONS: dict[str, MetricDefinition] = {
    name: MetricDefinition(name, metric.label, f"{_MEANINGS[name]}, per judged query (trec_eval), averaged over every judged query")
    for name, metric in RETRIEVAL_METRICS.items()
}


@dataclass
class MetricResult:
    """Mean and per-query values of one metric."""

    value: float
    per_query: dict[str, float] = field(default_factory=dict)


def judged_grades(qrels: Qrels) -> dict[str, dict[str, int]]:
    """Qrels as pytrec_eval gets them: string ids, integer grades, every grade <= 0 written as 0 (see rule 4 above)."""
    return {str(q): {str(d): max(int(grade), 0) for d, grade in docs.items()} for q, docs in qrels.items()}


def count_not_relevant(qrels: Qrels) -> int:
    """Judgements with grade <= 0: counted by ``leaderboard data verify``, scored as not relevant."""
    return sum(1 for docs in qrels.values() for grade in docs.values() if int(grade) <= 0)


def trec_eval_order(hits: Mapping[str, float]) -> list[tuple[str, float]]:
    """Hits as trec_eval ranks them: score descending, then doc id descending."""
    return sorted(((doc, float(score)) for doc, score in hits.items()), key=lambda item: (item[1], item[0]), reverse=True)


def prepare_run(run: Run, *, depth: int = DEFAULT_DEPTH, remove_identical_ids: bool = False) -> dict[str, dict[str, float]]:
    """Drop identical ids (if asked), then keep the top ``depth`` hits in trec_eval order."""
    prepared: dict[str, dict[str, float]] = {}
    for query_id, hits in run.items():
        if remove_identical_ids:
            hits = {doc: score for doc, score in hits.items() if doc != query_id}
        prepared[str(query_id)] = dict(trec_eval_order(hits)[:depth])
    return prepared


def evaluated_ranking(
    qrels: Qrels, run: Run, *, depth: int = DEFAULT_DEPTH, remove_identical_ids: bool = False
) -> dict[str, list[tuple[str, float]]]:
    """Per judged query, the hits :func:`evaluate_retrieval` hands pytrec_eval, in trec_eval order (``[]`` for no hit).

    The same :func:`prepare_run` the scores go through, so the stored ranking (``common/rankings.py``)
    is the one that produced them: a TREC file written from it gives every score back exactly.
    """
    prepared = prepare_run({q: hits for q, hits in run.items() if str(q) in qrels}, depth=depth, remove_identical_ids=remove_identical_ids)
    return {str(q): list(prepared.get(str(q), {}).items()) for q in qrels}


def evaluate_retrieval(
    qrels: Qrels,
    run: Run,
    metrics: Iterable[str] = tuple(RETRIEVAL_METRICS),
    *,
    depth: int = DEFAULT_DEPTH,
    remove_identical_ids: bool = False,
) -> dict[str, MetricResult]:
    """Score ``run`` against ``qrels``; returns metric name -> mean and per-query values.

    Per-query values cover every query in ``qrels`` (0.0 for a query with no hits), so paired
    tests between two runs line up query by query.
    """
    chosen = [RETRIEVAL_METRICS[name] for name in metrics]
    prepared = prepare_run(run, depth=depth, remove_identical_ids=remove_identical_ids)
    prepared = {qid: hits for qid, hits in prepared.items() if qid in qrels}
    qrels_plain = judged_grades(qrels)

    results: dict[str, MetricResult] = {}
    by_cutoff: dict[int | None, list[RetrievalMetric]] = {}
    for metric in chosen:
        by_cutoff.setdefault(metric.truncate_to, []).append(metric)
    for cutoff, group in by_cutoff.items():
        group_run = prepared if cutoff is None else {q: dict(trec_eval_order(h)[:cutoff]) for q, h in prepared.items()}
        evaluator = pytrec_eval.RelevanceEvaluator(qrels_plain, {metric.trec_measure for metric in group})
        per_query_raw = evaluator.evaluate(group_run)
        for metric in group:
            per_query = {qid: float(per_query_raw.get(qid, {}).get(metric.result_key, 0.0)) for qid in qrels_plain}
            mean = sum(per_query.values()) / len(per_query) if per_query else 0.0
            results[metric.name] = MetricResult(value=mean, per_query=per_query)
    return results


def metric_spec(*, split: str, depth: int = DEFAULT_DEPTH, remove_identical_ids: bool) -> dict[str, object]:
    """The exact definition recorded with every retrieval score."""
    return {
        "library": "pytrec_eval (trec_eval semantics)",
        "metrics": {
            m.name: {"label": m.label, "trec_eval": m.trec_measure, "truncate_to": m.truncate_to} for m in RETRIEVAL_METRICS.values()
        },
        "main_score": MAIN_RETRIEVAL_METRIC,
        "split": split,
        "depth": depth,
        "ordering": "score descending, ties by doc id descending (trec_eval)",
        "averaging": "mean over all judged queries of the split; a query without hits scores 0 (trec_eval -c)",
        "gain": "relevance grade from qrels (linear), log2 discount",
        "relevance": (
            "a judgement is relevant when its grade is >= 1 (trec_eval relevance_level 1); grades <= 0, "
            "including negative ones (TREC's -2 'junk'), are not relevant and have no gain: they are given to "
            "pytrec_eval as 0, which leaves these measures as trec_eval computes them"
        ),
        "remove_identical_ids": remove_identical_ids,
    }
