"""Execute one (model × task): load data, run the model, evaluate; return scores and a manifest.

Pure computation: nothing here writes to the database.  The caller stores the returned
:class:`RunOutcome` in one transaction.  Each capability a benchmark can need
(:data:`benchmarks.contract.Capability`) has a runner function ``run(session, task) -> RunOutcome``
in :data:`CAPABILITY_RUNNERS`; a task goes to the runner of its benchmark's capability.

Every run passes :func:`check_defined` before anyone can store it: a run whose scores are
undefined is refused with a :class:`UserError`, never stored as a number (see there).
"""

from __future__ import annotations

import importlib
import json
import math
from dataclasses import dataclass, field
from datetime import datetime

from benchmarks.contract import Capability, Task
from benchmarks.metrics.retrieval import MetricResult
from benchmarks.registry import get_benchmark
from common.errors import UserError
from common.finite import finite_json
from common.paths import relative_to
from common.settings import data_dir
from runners.manifest import config_sha256, git_commit, hardware, library_versions, peak_memory_mb
from runners.session import ModelSession
from submissions.schema import ModelConfig

# capability -> runner (module:function), imported when first used
CAPABILITY_RUNNERS: dict[Capability, str] = {
    "retriever": "runners.run_beir:run_beir",
    "sentence_encoder": "runners.run_sentences:run_sentences",
    "image_text_scorer": "runners.run_aro:run_aro",
}


@dataclass
class RunOutcome:
    model: str
    task: str
    scores: dict[str, MetricResult]
    manifest: dict
    started_at: datetime
    finished_at: datetime
    metric_spec: dict = field(default_factory=dict)
    # extra score sets from the same run, e.g. {"dim=64": {...}} for Matryoshka truncations
    variant_scores: dict[str, dict[str, MetricResult]] = field(default_factory=dict)
    # how many judged items the model gave any answer for (BEIR: judged queries with at least one
    # hit); None where every item gets one by construction (STS pairs, Tatoeba sentences, ARO cases)
    answered: int | None = None
    # model outputs (embeddings, similarities, hit scores) that were NaN or infinite
    non_finite_outputs: int = 0


def check_defined(task: Task, outcome: RunOutcome) -> None:
    """Refuse a run whose scores are undefined; the one rule every benchmark's runs pass.

    Undefined means any of:

    - no judged item at all (an empty qrels split, an empty pair file): a mean over nothing;
    - the model answered no item (BEIR: not one judged query got a hit, e.g. every query is
      empty after analysis, or a parameter makes every BM25 score 0): the scores would all be
      0 by construction, a property of the run, not a measurement of the model;
    - a model output that is NaN or infinite (float16 overflow, a broken checkpoint);
    - a score or per-item value that is NaN or infinite (STS: every pair given the same
      similarity leaves Spearman undefined).

    A model may still score 0 on single queries, or on all of them while returning hits: that
    is a measurement and is stored.
    """
    main = outcome.scores.get(task.main_score)
    if main is None or not main.per_query:
        raise UserError(f"{task.id}: the data has no judged item to score (empty split); nothing was stored")
    if outcome.answered == 0:
        raise UserError(
            f"{task.id}: {outcome.model} returned no hit for any of the {len(main.per_query):,} judged queries, so every "
            "score would be 0 by construction (queries empty after analysis, or a parameter that makes every score 0); "
            "nothing was stored"
        )
    if outcome.non_finite_outputs:
        raise UserError(
            f"{task.id}: {outcome.model} produced {outcome.non_finite_outputs:,} NaN or infinite outputs (e.g. float16 "
            "overflow, or broken weights); the scores are undefined and nothing was stored"
        )
    for variant, scores in {"": outcome.scores, **outcome.variant_scores}.items():
        for metric, result in scores.items():
            values = [result.value, *result.per_query.values()]
            if not all(math.isfinite(value) for value in values):
                name = f"{metric} ({variant})" if variant else metric
                raise UserError(
                    f"{task.id}: {name} of {outcome.model} is undefined (NaN or infinite), e.g. a correlation over "
                    "predictions that are all equal; nothing was stored"
                )


def build_manifest(
    config: ModelConfig,
    *,
    described: dict,
    data_sha256: str,
    data_files: dict,
    phases: dict[str, float],
    started: datetime,
    finished: datetime,
    counts: dict,
    extra: dict | None = None,
) -> dict:
    """The run manifest of DESIGN.md, common to every benchmark: finite JSON, paths relative to their roots.

    ``data_files`` are made relative to the data dir here; non-finite numbers become null and are
    listed under ``non_finite`` (runners/manifest.py says why; common/finite.py does it).
    """
    described = dict(described)
    root = data_dir()
    manifest = {
        "config_sha256": config_sha256(config.model_dump(mode="json")),
        "weights_sha256": described.pop("weights_sha256", {}),
        "data_sha256": data_sha256,
        "data_files": {role: relative_to(path, root) for role, path in data_files.items()},
        "git_commit": git_commit(),
        "versions": library_versions(),
        "hardware": hardware(described.get("device")),
        "model": described,
        "dtype": config.dtype,
        "batch_size": config.batch_size,
        "seed": None,  # nothing in these runs is random
        "timings_s": {name: round(value, 3) for name, value in phases.items()},
        "total_s": round((finished - started).total_seconds(), 3),
        "peak_memory_mb": round(peak_memory_mb(), 1),
        "counts": counts,
        **(extra or {}),
    }
    cleaned, replaced = finite_json(manifest)
    if replaced:
        cleaned["non_finite"] = replaced
    json.dumps(cleaned, allow_nan=False)  # the guarantee, checked: raises ValueError if anything slipped through
    return cleaned


def run_task(session: ModelSession, task: Task) -> RunOutcome:
    """Run the session's model on ``task`` with the runner of its benchmark's capability."""
    capability = get_benchmark(task.benchmark).capability
    target = CAPABILITY_RUNNERS.get(capability)
    if target is None:
        raise UserError(f"{task.id}: no runner for the capability {capability!r} that benchmark {task.benchmark!r} needs")
    module_name, function_name = target.split(":")
    runner = getattr(importlib.import_module(module_name), function_name)
    outcome = runner(session, task)
    check_defined(task, outcome)
    return outcome


def run_model_on_task(config: ModelConfig, task: Task) -> RunOutcome:
    """Convenience for one task: a fresh session, one run."""
    return run_task(ModelSession(config), task)
