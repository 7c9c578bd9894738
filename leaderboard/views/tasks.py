"""The task view (a task's page, its downloads and the API's ``/tasks/<id>``) and the task listing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from benchmarks.zero_shot import training_match
from leaderboard import schema
from leaderboard.views.board import tied_ranks
from leaderboard.views.labels import benchmark_name, metric_specific, spec_common, task_metrics
from leaderboard.views.reproductions import reported_main
from leaderboard.views.runs import MetricColumn
from leaderboard.views.snapshot import ModelInfo, Snapshot, TaskInfo, known_benchmarks, task_order


# ------------------------------------------------------------------ the listing
@dataclass(frozen=True)
class TaskGroup:
    """A benchmark's tasks on the tasks page: (task, models with a result), tasks with results first."""

    benchmark: str
    name: str
    tasks: list[tuple[TaskInfo, int]]


def task_groups(snap: Snapshot, registered: dict[str, TaskInfo]) -> list[TaskGroup]:
    """Every registered task and every task with stored results, grouped by benchmark in display order."""
    counts = snap.task_counts
    everything = {**registered, **snap.tasks}
    groups = []
    for b in known_benchmarks(snap):
        tasks = sorted((t for t in everything.values() if t.benchmark == b), key=lambda t: (counts.get(t.id, 0) == 0, task_order(t)))
        groups.append(TaskGroup(b, benchmark_name(b), [(t, counts.get(t.id, 0)) for t in tasks]))
    return groups


def task_listing(snap: Snapshot, registered: dict[str, TaskInfo], benchmark: str | None = None) -> list[tuple[TaskInfo, int]]:
    """(task, models with a result) of every known task (of one benchmark), by benchmark and id: the API's ``/tasks``."""
    everything = {**registered, **snap.tasks}
    chosen = (t for t in everything.values() if not benchmark or t.benchmark == benchmark)
    chosen = sorted(chosen, key=lambda t: (t.benchmark, task_order(t)))
    return [(t, snap.task_counts.get(t.id, 0)) for t in chosen]


# ------------------------------------------------------------------ one task
@dataclass(frozen=True)
class TaskResult:
    """A model's current result on the task: every metric, and whether the score is zero-shot (tri-state)."""

    model: ModelInfo
    run_id: int
    finished_at: datetime | None
    scores: dict[str, float]
    zero_shot: bool | None  # None: the model lists no training data
    trained_on: str | None  # the training-data entry that names this task


@dataclass(frozen=True)
class TaskMetric:
    column: MetricColumn
    specific: str  # what the task's spec says about this metric alone


@dataclass
class TaskView:
    """Everything a task's page, its CSV/JSON downloads and its API record show, built once per data version."""

    task: TaskInfo
    benchmark_name: str
    metrics: list[TaskMetric]  # main score first, then the spec's order; only metrics some result has
    common: list[tuple[str, str]]  # the spec's shared definition fields
    results: list[TaskResult]  # rank order: main score descending, then model name
    reported: dict[int, tuple[float, str]]  # model id -> published main score and its source

    @property
    def metric_names(self) -> list[str]:
        return [m.column.name for m in self.metrics]


def task_results(session: Session, task_id: str) -> list[dict]:
    """Every metric of every current result on one task: {model_id, run_id, finished_at, scores}."""
    stmt = (
        select(schema.CurrentResult.model_id, schema.CurrentResult.run_id, schema.Run.finished_at, schema.Score.metric, schema.Score.value)
        .join(schema.Run, schema.Run.id == schema.CurrentResult.run_id)
        .join(schema.Score, (schema.Score.run_id == schema.CurrentResult.run_id) & (schema.Score.variant == ""))
        .where(schema.CurrentResult.task_id == task_id)
    )
    rows: dict[int, dict] = {}
    for model_id, run_id, finished, metric, value in session.execute(stmt):
        row = rows.setdefault(model_id, {"model_id": model_id, "run_id": run_id, "finished_at": finished, "scores": {}})
        if value is not None:
            row["scores"][metric] = value
    return list(rows.values())


def rank_order(results: Sequence[TaskResult], main_score: str) -> list[TaskResult]:
    """Results with a main score, best first (ties by model name): the order ranks and rank tests follow."""
    scored = [r for r in results if r.scores.get(main_score) is not None]
    return sorted(scored, key=lambda r: (-r.scores[main_score], r.model.name))


def task_ranks(results: Sequence[TaskResult], main_score: str) -> dict[int, int]:
    """model id -> rank by the main score among ``results`` (equal scores share a rank), whatever order a page sorts in."""
    ordered = rank_order(results, main_score)
    ranks = tied_ranks([r.scores[main_score] for r in ordered])
    return {r.model.id: rank for r, rank in zip(ordered, ranks, strict=True) if rank is not None}


def task_view(session: Session, snap: Snapshot, task: TaskInfo) -> TaskView:
    """The task's published current results with zero-shot flags (:mod:`benchmarks.zero_shot`), metrics and labels."""
    results = []
    for r in task_results(session, task.id):
        model = snap.models.get(r["model_id"])
        if model is None:  # unpublished submissions stay private
            continue
        match = training_match(model.training_datasets, task)
        results.append(TaskResult(model, r["run_id"], r["finished_at"], r["scores"], match.state, match.matched))
    seen = {metric for r in results for metric in r.scores}
    names = [m for m in task_metrics(task, seen) if m in seen] or [task.main_score]
    ordered = rank_order(results, task.main_score)
    unranked = sorted((r for r in results if r.scores.get(task.main_score) is None), key=lambda r: r.model.name)
    return TaskView(
        task=task,
        benchmark_name=benchmark_name(task.benchmark),
        metrics=[TaskMetric(MetricColumn.of(m, task), metric_specific(m, task)) for m in names],
        common=spec_common(task),
        results=ordered + unranked,
        reported=reported_main(session, task.id, task.main_score),
    )
