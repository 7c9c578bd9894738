"""Flat score records: the API's ``/scores``, ``leaderboard export`` and the demo's summary.

Every listing here shows published models only (``public_models``); ``export`` may add the
unpublished ones for an admin (``--include-unpublished``).  Records never hold per-item values,
and STS's per-pair gold is item data of its run (``run_items``), not a score, so it is in none.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from leaderboard import schema
from leaderboard.views.runs import current_join, paged
from leaderboard.views.snapshot import public_models


def current_main_scores(session: Session, benchmark: str | None = None) -> list[tuple[str, str, str, str, float, int]]:
    """(model, benchmark, task, metric, value, run id) of every current result's main score."""
    stmt = (
        select(schema.Model.name, schema.Task.benchmark, schema.Task.id, schema.Score.metric, schema.Score.value, schema.Run.id)
        .join(schema.CurrentResult, schema.CurrentResult.model_id == schema.Model.id)
        .join(schema.Task, schema.Task.id == schema.CurrentResult.task_id)
        .join(schema.Run, schema.Run.id == schema.CurrentResult.run_id)
        .join(
            schema.Score,
            (schema.Score.run_id == schema.Run.id) & (schema.Score.metric == schema.Task.main_score) & (schema.Score.variant == ""),
        )
        .where(public_models())
        .order_by(schema.Task.id, schema.Model.name)
    )
    if benchmark:
        stmt = stmt.where(schema.Task.benchmark == benchmark)
    return [tuple(row) for row in session.execute(stmt)]


def all_scores(session: Session, *, include_unpublished: bool = False) -> list[dict]:
    """Every stored score (all runs, not just current) as flat records: ``leaderboard export``.

    Unpublished models (community submissions not published yet, and the placeholders that hold
    their names) are left out, as the site leaves them out, unless ``include_unpublished``.
    """
    stmt = (
        select(
            schema.Model.name,
            schema.Run.task_id,
            schema.Score.metric,
            schema.Score.variant,
            schema.Score.value,
            schema.Run.id,
            schema.Run.finished_at,
            schema.CurrentResult.run_id,
        )
        .join(schema.Run, schema.Run.model_id == schema.Model.id)
        .join(schema.Score, schema.Score.run_id == schema.Run.id)
        .outerjoin(
            schema.CurrentResult, (schema.CurrentResult.model_id == schema.Model.id) & (schema.CurrentResult.task_id == schema.Run.task_id)
        )
        .order_by(schema.Run.id, schema.Score.variant, schema.Score.metric)
    )
    if not include_unpublished:
        stmt = stmt.where(public_models())
    return [
        {
            "model": model,
            "task": task,
            "metric": metric,
            "variant": variant,
            "value": value,
            "run_id": run_id,
            "finished_at": finished.isoformat() if finished else None,
            "current": current_run == run_id,
        }
        for model, task, metric, variant, value, run_id, finished, current_run in session.execute(stmt)
    ]


def scores_page(
    session: Session,
    *,
    model: str | None = None,
    task: str | None = None,
    benchmark: str | None = None,
    metric: str | None = None,
    variant: str | None = None,
    current_only: bool = True,
    limit: int = 1000,
    offset: int = 0,
    count: Callable[[Callable[[], int]], int] | None = None,
) -> tuple[int, list[dict]]:
    """Flat score records (the fields of :func:`all_scores` plus ``benchmark``), filtered and paged.

    Ordered by score id (the order runs were stored in).  ``count`` receives the function that
    counts all matching rows, so a caller can cache the total across pages.
    """
    stmt = (
        select(
            schema.Model.name,
            schema.Run.task_id,
            schema.Task.benchmark,
            schema.Score.metric,
            schema.Score.variant,
            schema.Score.value,
            schema.Run.id,
            schema.Run.finished_at,
            schema.CurrentResult.run_id,
        )
        .join(schema.Run, schema.Run.id == schema.Score.run_id)
        .join(schema.Model, schema.Model.id == schema.Run.model_id)
        .join(schema.Task, schema.Task.id == schema.Run.task_id)
    )
    stmt = current_join(stmt).where(public_models())
    if current_only:
        stmt = stmt.where(schema.CurrentResult.run_id.is_not(None))
    if model:
        stmt = stmt.where(schema.Model.name == model)
    if task:
        stmt = stmt.where(schema.Run.task_id == task)
    if benchmark:
        stmt = stmt.where(schema.Task.benchmark == benchmark)
    if metric:
        stmt = stmt.where(schema.Score.metric == metric)
    if variant is not None:
        stmt = stmt.where(schema.Score.variant == variant)
    stmt = stmt.order_by(schema.Score.id)  # insertion order: run by run; the primary key, so no sort
    total, rows = paged(session, stmt, limit, offset, count)
    records = [
        {
            "model": name,
            "task": task_id,
            "benchmark": bench,
            "metric": metric_name,
            "variant": variant_name,
            "value": value,
            "run_id": run_id,
            "finished_at": finished.isoformat() if finished else None,
            "current": current is not None,
        }
        for name, task_id, bench, metric_name, variant_name, value, run_id, finished, current in rows
    ]
    return total, records
