"""The retriever runner: every benchmark whose capability is ``retriever`` (BEIR and BEIR-format datasets).

Load the verified data (``BENCHMARK.load``: parsed, hashed, counts checked), retrieve the top
1,000 per query, and let the benchmark score the run (``BENCHMARK.evaluate``: trec_eval
semantics), and each Matryoshka variant run the same way.  The data is a corpus, queries and
qrels (:class:`benchmarks.beir.loader.BeirData`); ``remove_identical_ids`` in the task's spec
says whether a hit whose id equals its query's is dropped, and so whether a retriever that
follows BEIR asks for one extra hit.
"""

from __future__ import annotations

import logging
import math
import time
from datetime import UTC, datetime

from benchmarks.contract import Task
from benchmarks.metrics.retrieval import DEFAULT_DEPTH, evaluated_ranking
from benchmarks.registry import get_benchmark
from common import rankings
from common.variants import parse_variant, variant_name
from runners.manifest import build_manifest, precision_record
from runners.outcome import RunOutcome
from runners.session import ModelSession

log = logging.getLogger(__name__)


def run_retrieval(session: ModelSession, task: Task) -> RunOutcome:
    benchmark = get_benchmark(task.benchmark)
    started = datetime.now(UTC)
    phases: dict[str, float] = {}
    t0 = time.perf_counter()
    loaded = benchmark.load(task)  # parsed, hashed, counts checked
    data = loaded.data
    phases["load_data"] = time.perf_counter() - t0
    log.info("%s: %d docs, %d queries", task.id, len(data.corpus), len(data.queries))

    retriever = session.retriever  # a model without one stops here with TaskNotSupported
    phases.update(session.take_load_time())
    remove = bool(task.metric_spec.get("remove_identical_ids"))
    depth = DEFAULT_DEPTH
    k = depth + 1 if remove and retriever.extra_hit_for_identical_ids else depth
    t0 = time.perf_counter()
    result = retriever.retrieve(data.corpus, data.queries, k, data.sha256)
    phases.update(result.phase_times)
    phases["retrieve_total"] = time.perf_counter() - t0
    run = result.run

    # what check_defined needs: did any judged query get a hit, and were all hit scores numbers
    answered = sum(1 for qid in data.qrels if any(doc != qid or not remove for doc in run.get(qid, {})))
    non_finite = sum(1 for hits in run.values() for score in hits.values() if not math.isfinite(score))

    t0 = time.perf_counter()
    scores = benchmark.evaluate(task, data, run).scores
    # Matryoshka sizes (dense ``dims:``): more runs from the same embeddings, scored the same way
    variant_scores = {variant: benchmark.evaluate(task, data, variant_run).scores for variant, variant_run in result.variants.items()}
    phases["evaluate"] = time.perf_counter() - t0
    # the ranking the scores came from, kept with the run (TREC export, explorer, fusion); the
    # variants' rankings are not kept: they can be recomputed from the embedding cache
    t0 = time.perf_counter()
    ranking = rankings.encode("ranking", evaluated_ranking(data.qrels, run, depth=depth, remove_identical_ids=remove))
    phases["encode_ranking"] = time.perf_counter() - t0

    # precision variants (``precisions:``): each its own encoding pass; its sizes come from that pass
    precision_variants: dict[str, dict] = {}
    for precision in session.config.precisions or []:
        t0 = time.perf_counter()
        precise = session.retriever_at(precision)
        at = precise.retrieve(data.corpus, data.queries, k, data.sha256)
        phases[f"retrieve_{precision}"] = time.perf_counter() - t0
        variant_scores[precision] = benchmark.evaluate(task, data, at.run).scores
        for name, variant_run in at.variants.items():
            variant_scores[variant_name(parse_variant(name).dim, precision=precision)] = benchmark.evaluate(task, data, variant_run).scores  # type: ignore[union-attr]
        non_finite += sum(1 for hits in at.run.values() for score in hits.values() if not math.isfinite(score))
        precision_variants[precision] = precision_record(session.sentence_encoder_at(precision).numerics(), at.counters)  # type: ignore[attr-defined]
    finished = datetime.now(UTC)
    manifest = build_manifest(
        session.config,
        described={**retriever.describe(), **result.counters},
        data_sha256=data.sha256,
        data_files=loaded.files,
        phases=phases,
        started=started,
        finished=finished,
        counts={"docs": len(data.corpus), "queries": len(data.queries), "queries_with_hits": answered},
        extra={
            "search": {"hits_retrieved": k, "depth_evaluated": depth, "remove_identical_ids": remove},
            "artifacts": {"ranking": ranking.manifest_entry()},
            **({"precision_variants": precision_variants} if precision_variants else {}),
        },
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
        artifacts={"ranking": ranking},
    )
