"""Read-side queries shared by the CLI and the web site."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from leaderboard import schema


@dataclass
class Table:
    """A model × task table of main scores; ``None`` marks a missing cell."""

    benchmark: str
    tasks: list[str]
    rows: list[dict] = field(default_factory=list)  # {"model", "scores": {task: value|None}, "mean", "complete", "run_ids"}


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
        .order_by(schema.Task.id, schema.Model.name)
    )
    if benchmark:
        stmt = stmt.where(schema.Task.benchmark == benchmark)
    return [tuple(row) for row in session.execute(stmt)]


def benchmark_table(session: Session, benchmark: str) -> Table:
    """Main scores of the current results, one row per model, one column per task with any result.

    The mean is only given for rows that have every column; a partial row's mean is None, so a
    missing task never counts as 0 and never flatters a model either.
    """
    cells = current_main_scores(session, benchmark)
    tasks = sorted({task for _, _, task, _, _, _ in cells})
    by_model: dict[str, dict] = {}
    for model, _, task, _, value, run_id in cells:
        row = by_model.setdefault(model, {"model": model, "scores": {}, "run_ids": {}})
        row["scores"][task] = value
        row["run_ids"][task] = run_id
    rows = []
    for row in by_model.values():
        row["scores"] = {task: row["scores"].get(task) for task in tasks}
        present = [value for value in row["scores"].values() if value is not None]
        row["complete"] = len(present) == len(tasks)
        row["mean"] = sum(present) / len(present) if row["complete"] and present else None
        rows.append(row)
    rows.sort(key=lambda r: (r["mean"] is None, -(r["mean"] or 0.0), r["model"]))
    return Table(benchmark=benchmark, tasks=tasks, rows=rows)


def all_scores(session: Session) -> list[dict]:
    """Every stored score (all runs, not just current) as flat records."""
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
