"""BEIR: retrieve the top 1,000 per query, evaluate with trec_eval semantics."""

from __future__ import annotations

import logging
import math
import time
from datetime import UTC, datetime

from benchmarks.beir.benchmark import BENCHMARK
from benchmarks.contract import Task
from benchmarks.metrics.retrieval import DEFAULT_DEPTH, evaluate_retrieval
from runners.execute import RunOutcome, build_manifest
from runners.session import ModelSession

log = logging.getLogger(__name__)


def run_beir(session: ModelSession, task: Task) -> RunOutcome:
    started = datetime.now(UTC)
    phases: dict[str, float] = {}
    t0 = time.perf_counter()
    loaded = BENCHMARK.load(task)  # parsed, hashed, counts checked
    data = loaded.data
    phases["load_data"] = time.perf_counter() - t0
    log.info("%s: %d docs, %d queries", task.id, len(data.corpus), len(data.queries))

    retriever = session.retriever
    remove = bool(task.metric_spec.get("remove_identical_ids"))
    depth = DEFAULT_DEPTH
    k = depth + 1 if remove and retriever.extra_hit_for_identical_ids else depth
    t0 = time.perf_counter()
    run = retriever.retrieve(data.corpus, data.queries, k, data.sha256)
    phases.update(retriever.phase_times)
    phases["retrieve_total"] = time.perf_counter() - t0

    # what check_defined needs: did any judged query get a hit, and were all hit scores numbers
    answered = sum(1 for qid in data.qrels if any(doc != qid or not remove for doc in run.get(qid, {})))
    non_finite = sum(1 for hits in run.values() for score in hits.values() if not math.isfinite(score))

    t0 = time.perf_counter()
    scores = evaluate_retrieval(data.qrels, run, task.metrics, depth=depth, remove_identical_ids=remove)
    # Matryoshka sizes (dense ``dims:``): more runs from the same embeddings, scored the same way
    variant_scores = {
        variant: evaluate_retrieval(data.qrels, variant_run, task.metrics, depth=depth, remove_identical_ids=remove)
        for variant, variant_run in getattr(retriever, "variant_runs", {}).items()
    }
    phases["evaluate"] = time.perf_counter() - t0
    finished = datetime.now(UTC)
    manifest = build_manifest(
        session.config,
        described=retriever.describe(),
        data_sha256=data.sha256,
        data_files=loaded.files,
        phases=phases,
        started=started,
        finished=finished,
        counts={"docs": len(data.corpus), "queries": len(data.queries), "queries_with_hits": answered},
        extra={"search": {"hits_retrieved": k, "depth_evaluated": depth, "remove_identical_ids": remove}},
    )
    return RunOutcome(
        session.config.name,
        task.id,
        scores,
        manifest,
        started,
        finished,
        task.metric_spec,
        variant_scores,
        answered=answered,
        non_finite_outputs=non_finite,
    )
