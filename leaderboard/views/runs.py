"""Runs: summaries, the run view, listings, and what the dims and throughput plots read from runs."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from common.variants import variant_dim, variant_order
from leaderboard import schema
from leaderboard.views.labels import metric_definition, metric_label, task_metrics
from leaderboard.views.snapshot import ModelInfo, Snapshot, TaskInfo, public_models


@dataclass
class RunSummary:
    id: int
    model_id: int
    task_id: str
    status: str
    kind: str
    started_at: datetime | None
    finished_at: datetime | None
    config_sha256: str
    reproduces_run_id: int | None
    current: bool
    scores: dict[tuple[str, str], float] = field(default_factory=dict)  # (variant, metric) -> value
    manifest: dict | None = None

    def main(self, metric: str) -> float | None:
        return self.scores.get(("", metric))

    def metrics(self, variant: str = "") -> dict[str, float]:
        """metric -> value of one variant ("" = as configured), in name order."""
        return {m: v for (var, m), v in sorted(self.scores.items()) if var == variant}

    def variants(self) -> dict[str, dict[str, float]]:
        """variant -> metric -> value of every variant but the run as configured (``{"dim=64": {...}}``)."""
        out: dict[str, dict[str, float]] = {}
        for (variant, metric), value in sorted(self.scores.items()):
            if variant:
                out.setdefault(variant, {})[metric] = value
        return out


def _run_columns() -> list:
    return [
        schema.Run.id,
        schema.Run.model_id,
        schema.Run.task_id,
        schema.Run.status,
        schema.Run.started_at,
        schema.Run.finished_at,
        schema.Run.config_sha256,
        schema.Run.kind,
        schema.Run.reproduces_run_id,
        schema.CurrentResult.run_id,
    ]


def current_join(stmt):
    """``stmt`` with the current-result pointer of each run joined (NULL for history and reproductions)."""
    return stmt.outerjoin(
        schema.CurrentResult,
        (schema.CurrentResult.model_id == schema.Run.model_id)
        & (schema.CurrentResult.task_id == schema.Run.task_id)
        & (schema.CurrentResult.run_id == schema.Run.id),
    )


def _summary(row) -> RunSummary:
    run_id, model_id, task_id, status, started, finished, config_sha, kind, reproduces, current = row
    return RunSummary(run_id, model_id, task_id, status, kind or "board", started, finished, config_sha, reproduces, current is not None)


def _attach_scores(session: Session, runs: dict[int, RunSummary]) -> None:
    """Fill each summary's scores (every metric and variant, never the per-query values)."""
    ids = list(runs)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        columns = (schema.Score.run_id, schema.Score.variant, schema.Score.metric, schema.Score.value)
        stmt = select(*columns).where(schema.Score.run_id.in_(chunk))
        for run_id, variant, metric, value in session.execute(stmt):
            if value is not None:
                runs[run_id].scores[(variant, metric)] = value


def model_runs(session: Session, model_id: int, *, with_manifest: bool = True) -> list[RunSummary]:
    """Every run of a model (history and reproductions too), newest first, with scores and manifests."""
    columns = _run_columns()
    if with_manifest:
        columns.append(schema.Run.manifest)
    stmt = current_join(select(*columns)).where(schema.Run.model_id == model_id).order_by(schema.Run.id.desc())
    runs: dict[int, RunSummary] = {}
    for row in session.execute(stmt):
        summary = _summary(row[:10])
        if with_manifest:
            summary.manifest = row[10] if isinstance(row[10], dict) else {}
        runs[summary.id] = summary
    _attach_scores(session, runs)
    return list(runs.values())


# ------------------------------------------------------------------ variants
# names, sizes, precisions and display order: common/variants.py (one definition for runners and views)


# ------------------------------------------------------------------ the run view
@dataclass(frozen=True)
class MetricColumn:
    """A metric as a table shows it: its name, label and tooltip definition (:mod:`leaderboard.views.labels`)."""

    name: str
    label: str
    definition: str

    @classmethod
    def of(cls, metric: str, task: TaskInfo | None) -> MetricColumn:
        return cls(metric, metric_label(metric, task), metric_definition(metric, task))


@dataclass(frozen=True)
class GradeRow:
    """One stored grade of a run (a reproduction), with the difference it was graded on."""

    metric: str
    against: str
    expected: float | None
    got: float | None
    tolerance: float | None
    tolerance_rule: str
    tolerance_reason: str
    grade: str
    source: str

    @property
    def delta(self) -> float | None:
        return None if self.got is None or self.expected is None else self.got - self.expected


@dataclass
class RunView:
    """One run as its page, its JSON download and the API's ``/runs/<id>`` show it."""

    summary: RunSummary
    model: ModelInfo | None
    task: TaskInfo | None
    metric_spec: dict
    grades: list[GradeRow]
    reproductions: list[int]  # runs that reproduce this one
    variants: list[str]  # "" (as configured) first, then dims from the largest, then others
    metrics: list[MetricColumn]  # the task's order: main score first
    commands: dict[str, str]


def run_view(session: Session, snap: Snapshot, run_id: int) -> RunView | None:
    """The run with its scores (no per-query values), grades and reproductions; None if unknown or unpublished."""
    row = session.execute(
        current_join(select(*_run_columns(), schema.Run.manifest, schema.Run.metric_spec)).where(schema.Run.id == run_id)
    ).first()
    if row is None or row[1] not in snap.models:  # unpublished submissions stay private
        return None
    summary = _summary(row[:10])
    summary.manifest = row[10] if isinstance(row[10], dict) else {}
    _attach_scores(session, {run_id: summary})
    grades = [
        GradeRow(g.metric, g.against, g.expected, g.got, g.tolerance, g.tolerance_rule, g.tolerance_reason, g.grade, g.source or "")
        for g in session.scalars(select(schema.Grade).where(schema.Grade.run_id == run_id).order_by(schema.Grade.id))
    ]
    reproductions = list(session.scalars(select(schema.Run.id).where(schema.Run.reproduces_run_id == run_id).order_by(schema.Run.id)))
    model, task = snap.models.get(summary.model_id), snap.tasks.get(summary.task_id)
    variants = sorted({v for (v, _) in summary.scores}, key=variant_order)
    seen = {m for (_, m) in summary.scores}
    names = task_metrics(task, seen) if task else sorted(seen)
    metrics = [MetricColumn.of(m, task) for m in names if any((v, m) in summary.scores for v in variants)]
    return RunView(
        summary=summary,
        model=model,
        task=task,
        metric_spec=row[11] if isinstance(row[11], dict) else {},
        grades=grades,
        reproductions=reproductions,
        variants=variants,
        metrics=metrics,
        commands=model.commands(summary.task_id) if model else {},
    )


def per_query_values(session: Session, run_id: int) -> dict[str, dict[str, dict]]:
    """variant -> metric -> {query id: value} for one run (large; only on request)."""
    stmt = select(schema.Score.variant, schema.Score.metric, schema.Score.per_query).where(schema.Score.run_id == run_id)
    values: dict[str, dict[str, dict]] = {}
    for variant, metric, per_query in session.execute(stmt):
        values.setdefault(variant, {})[metric] = per_query or {}
    return values


# ------------------------------------------------------------------ listings
def paged(session: Session, stmt, limit: int, offset: int, count: Callable[[Callable[[], int]], int] | None) -> tuple[int, list]:
    """A page of ``stmt`` and the total row count; ``count`` may cache the total (it costs a full scan)."""

    def total_rows() -> int:
        return session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0

    total = count(total_rows) if count is not None else total_rows()
    return total, list(session.execute(stmt.limit(limit).offset(offset)))


def runs_page(
    session: Session,
    *,
    model: str | None = None,
    task: str | None = None,
    kind: str | None = None,
    limit: int = 100,
    offset: int = 0,
    count: Callable[[Callable[[], int]], int] | None = None,
) -> tuple[int, list[tuple[RunSummary, str]]]:
    """Runs of published models, newest first, as (summary without scores, model name)."""
    stmt = current_join(select(*_run_columns(), schema.Model.name).join(schema.Model, schema.Model.id == schema.Run.model_id))
    stmt = stmt.where(public_models())
    if model:
        stmt = stmt.where(schema.Model.name == model)
    if task:
        stmt = stmt.where(schema.Run.task_id == task)
    if kind:
        stmt = stmt.where(schema.Run.kind == kind)
    stmt = stmt.order_by(schema.Run.id.desc())
    total, rows = paged(session, stmt, limit, offset, count)
    return total, [(_summary(row[:10]), row[10]) for row in rows]


# ------------------------------------------------------------------ what plots read
def _manifest_values(session: Session, *path: str, kind: str) -> tuple:
    """``manifest[path]`` (as float or string) and the device, extracted in SQL so that manifests are not loaded.

    SQLite's json_extract fails the whole query on one manifest that is not strict JSON
    (``Infinity``, written by older versions); CASE evaluates it only on valid ones.
    """
    value = schema.Run.manifest[path].as_float() if kind == "float" else schema.Run.manifest[path].as_string()
    device = schema.Run.manifest[("hardware", "device")].as_string()
    if session.bind.dialect.name == "sqlite":
        valid = func.json_valid(schema.Run.manifest) == 1
        value, device = case((valid, value), else_=None), case((valid, device), else_=None)
    return value, device


def throughputs(session: Session, benchmark: str) -> list[tuple[int, str, float, str]]:
    """(model id, task id, items encoded per second, device) of current runs that recorded it.

    Read from ``manifest["model"]["corpus_docs_per_s"]`` (dense encoders: documents encoded per
    second over the whole corpus).
    """
    value, device = _manifest_values(session, "model", "corpus_docs_per_s", kind="float")
    stmt = (
        select(schema.CurrentResult.model_id, schema.CurrentResult.task_id, value, device)
        .join(schema.Run, schema.Run.id == schema.CurrentResult.run_id)
        .join(schema.Task, schema.Task.id == schema.CurrentResult.task_id)
        .where(schema.Task.benchmark == benchmark, value.is_not(None))
    )
    return [(m, t, float(v), d or "") for m, t, v, d in session.execute(stmt) if v is not None and math.isfinite(v) and v > 0]


def variant_main_scores(session: Session, benchmark: str) -> list[tuple[int, str, str, float]]:
    """(model id, task id, variant, value) of the main score of every non-default variant of current runs."""
    stmt = (
        select(schema.CurrentResult.model_id, schema.CurrentResult.task_id, schema.Score.variant, schema.Score.value)
        .join(schema.Task, schema.Task.id == schema.CurrentResult.task_id)
        .join(
            schema.Score,
            (schema.Score.run_id == schema.CurrentResult.run_id)
            & (schema.Score.metric == schema.Task.main_score)
            & (schema.Score.variant != ""),
        )
        .where(schema.Task.benchmark == benchmark)
    )
    return [tuple(row) for row in session.execute(stmt) if row[3] is not None]


def has_dim_variants(session: Session, benchmark: str) -> bool:
    """Whether the dims plot has anything to show: Matryoshka variants, not others such as ARO's "fp16-aro"."""
    return any(variant_dim(variant) is not None for _model, _task, variant, _value in variant_main_scores(session, benchmark))


def dimension_scores(session: Session, snap: Snapshot, benchmark: str) -> dict[int, dict[str, dict[int, float]]]:
    """model id -> task id -> {embedding size: main score}: each Matryoshka variant, plus the run itself.

    The run's own point is its full size as the run recorded it (``manifest["model"]["embedding_dim"]``),
    not the config's metadata, which may be absent or wrong; a configured size equal to the full
    one keeps its variant's value.
    """
    out: dict[int, dict[str, dict[int, float]]] = {}
    for model_id, task_id, variant, value in variant_main_scores(session, benchmark):
        dim = variant_dim(variant)
        if dim is not None and model_id in snap.models:
            out.setdefault(model_id, {}).setdefault(task_id, {})[dim] = value
    if not out:
        return out
    full, _device = _manifest_values(session, "model", "embedding_dim", kind="float")
    stmt = (
        select(schema.CurrentResult.model_id, schema.CurrentResult.task_id, full)
        .join(schema.Run, schema.Run.id == schema.CurrentResult.run_id)
        .join(schema.Task, schema.Task.id == schema.CurrentResult.task_id)
        .where(schema.Task.benchmark == benchmark, schema.CurrentResult.model_id.in_(list(out)), full.is_not(None))
    )
    for model_id, task_id, size in session.execute(stmt):
        dims = out.get(model_id, {}).get(task_id)
        cell = snap.cell(model_id, task_id)
        if dims is None or cell is None or size is None or not math.isfinite(size) or size < 1:
            continue
        dims.setdefault(int(size), cell[0])
    return out
