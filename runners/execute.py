"""Execute one (model × task): load data, retrieve, evaluate; return scores and a manifest.

Pure computation: nothing here writes to the database.  The caller stores the returned
:class:`RunOutcome` in one transaction.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from benchmarks.beir.loader import load_split
from benchmarks.errors import UserError
from benchmarks.metrics.retrieval import DEFAULT_DEPTH, MetricResult, evaluate_retrieval
from benchmarks.tasks import Task
from runners.manifest import config_sha256, git_commit, hardware, library_versions, peak_memory_mb
from runners.retrievers import Retriever, build_retriever
from submissions.schema import ModelConfig

log = logging.getLogger(__name__)


@dataclass
class RunOutcome:
    model: str
    task: str
    scores: dict[str, MetricResult]
    manifest: dict
    started_at: datetime
    finished_at: datetime
    metric_spec: dict = field(default_factory=dict)


def check_counts(task: Task, docs: int, queries: int) -> None:
    """Refuse data whose size differs from what the benchmark publishes (a wrong or partial copy)."""
    entry = task.beir
    if entry is None:
        return
    if (docs, queries) != (entry.num_docs, entry.num_queries):
        raise UserError(
            f"{task.id}: the files in {task.folder} hold {docs:,} documents and {queries:,} judged {task.split} queries, "
            f"but BEIR publishes {entry.num_docs:,} and {entry.num_queries:,}; replace them "
            f"('leaderboard data fetch {task.id}')"
        )


def run_retrieval(config: ModelConfig, task: Task, retriever: Retriever | None = None) -> RunOutcome:
    """Run a retrieval model on a BEIR task and evaluate it."""
    started = datetime.now(UTC)
    phases: dict[str, float] = {}
    t0 = time.perf_counter()
    data = load_split(task.folder, task.split, task.id)
    check_counts(task, len(data.corpus), len(data.queries))
    phases["load_data"] = time.perf_counter() - t0
    log.info("%s: %d docs, %d queries", task.id, len(data.corpus), len(data.queries))

    retriever = retriever or build_retriever(config)
    remove = bool(task.metric_spec.get("remove_identical_ids"))
    depth = DEFAULT_DEPTH
    k = depth + 1 if remove and retriever.extra_hit_for_identical_ids else depth
    t0 = time.perf_counter()
    run = retriever.retrieve(data.corpus, data.queries, k, data.sha256)
    retrieve_total = time.perf_counter() - t0
    phases.update(retriever.phase_times)
    phases["retrieve_total"] = retrieve_total

    t0 = time.perf_counter()
    scores = evaluate_retrieval(data.qrels, run, task.metrics, depth=depth, remove_identical_ids=remove)
    phases["evaluate"] = time.perf_counter() - t0
    finished = datetime.now(UTC)

    described = retriever.describe()
    manifest = {
        "config_sha256": config_sha256(config.model_dump(mode="json")),
        "weights_sha256": described.pop("weights_sha256", {}),
        "data_sha256": data.sha256,
        "data_files": data.files,
        "git_commit": git_commit(),
        "versions": library_versions(),
        "hardware": hardware(described.get("device")),
        "retriever": described,
        "search": {"hits_retrieved": k, "depth_evaluated": depth, "remove_identical_ids": remove},
        "dtype": config.dtype,
        "batch_size": config.batch_size,
        "seed": None,  # nothing in these runs is random
        "timings_s": {name: round(value, 3) for name, value in phases.items()},
        "total_s": round((finished - started).total_seconds(), 3),
        "peak_memory_mb": round(peak_memory_mb(), 1),
        "counts": {"docs": len(data.corpus), "queries": len(data.queries)},
    }
    return RunOutcome(
        model=config.name,
        task=task.id,
        scores=scores,
        manifest=manifest,
        started_at=started,
        finished_at=finished,
        metric_spec=task.metric_spec,
    )
