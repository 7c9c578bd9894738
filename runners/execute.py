"""Execute one (model × task): load data, run the model, evaluate; return scores and a manifest.

Pure computation: nothing here writes to the database.  The caller stores the returned
:class:`RunOutcome` in one transaction.  Each benchmark has a runner function
``run(session, task) -> RunOutcome`` registered in :data:`BENCHMARK_RUNNERS`.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from datetime import datetime

from benchmarks.errors import UserError
from benchmarks.metrics.retrieval import MetricResult
from benchmarks.tasks import Task
from runners.manifest import config_sha256, git_commit, hardware, library_versions, peak_memory_mb
from runners.session import ModelSession
from submissions.schema import ModelConfig

BENCHMARK_RUNNERS = {
    "beir": "runners.run_beir:run_beir",
    "sts": "runners.run_sts:run_sts",
    "tatoeba": "runners.run_tatoeba:run_tatoeba",
    "aro": "runners.run_aro:run_aro",
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


def check_counts(task: Task, found: dict[str, int]) -> None:
    """Refuse data whose size differs from what the benchmark publishes (a wrong or partial copy)."""
    differs = {key: want for key, want in task.expected_counts.items() if found.get(key) != want}
    if differs:
        found_text = ", ".join(f"{found.get(key, 0):,} {key}" for key in differs)
        want_text = ", ".join(f"{want:,} {key}" for key, want in differs.items())
        raise UserError(
            f"{task.id}: the files in {task.folder} hold {found_text}, but the benchmark publishes {want_text}; "
            f"replace them ('leaderboard data list' says where they come from)"
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
    """The run manifest of DESIGN.md, common to every benchmark."""
    described = dict(described)
    return {
        "config_sha256": config_sha256(config.model_dump(mode="json")),
        "weights_sha256": described.pop("weights_sha256", {}),
        "data_sha256": data_sha256,
        "data_files": data_files,
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


def run_task(session: ModelSession, task: Task) -> RunOutcome:
    """Run the session's model on ``task`` with the task's benchmark runner."""
    target = BENCHMARK_RUNNERS.get(task.benchmark)
    if target is None:
        raise UserError(f"{task.id}: no runner for benchmark {task.benchmark!r}")
    module_name, function_name = target.split(":")
    runner = getattr(importlib.import_module(module_name), function_name)
    return runner(session, task)


def run_model_on_task(config: ModelConfig, task: Task) -> RunOutcome:
    """Convenience for one task: a fresh session, one run."""
    return run_task(ModelSession(config), task)
