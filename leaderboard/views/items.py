"""Per-item values of a run's main score and the run's item data: what confidence intervals and paired tests read.

Large (every query of every run asked for); the site asks only for runs whose derived
statistics are not cached yet, and ``leaderboard compare`` for two runs per task.  The gold an
STS correlation is recomputed against is the run's item data ``gold`` (table ``run_items``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from leaderboard import schema

GOLD = "gold"  # the item data a correlation is computed against (benchmarks.contract.Evaluation.item_data)


@dataclass
class ItemValues:
    """A run's main score with its per-item values and, for correlations, the per-item gold."""

    run_id: int
    task_id: str
    metric: str
    value: float
    per_query: dict[str, float]
    gold: dict[str, float] | None = None


def main_item_values(session: Session, run_ids: list[int], *, chunk: int = 500) -> dict[int, ItemValues]:
    """Per-item values of the main score (variant as configured) of each run, with its ``gold`` item data where there is one."""
    out: dict[int, ItemValues] = {}
    ids = sorted(set(run_ids))
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        stmt = (
            select(schema.Score.run_id, schema.Run.task_id, schema.Score.metric, schema.Score.value, schema.Score.per_query)
            .join(schema.Run, schema.Run.id == schema.Score.run_id)
            .join(schema.Task, schema.Task.id == schema.Run.task_id)
            .where(schema.Score.run_id.in_(part), schema.Score.variant == "", schema.Score.metric == schema.Task.main_score)
        )
        for run_id, task_id, metric, value, per_query in session.execute(stmt):
            if value is not None:
                out[run_id] = ItemValues(run_id, task_id, metric, value, per_query if isinstance(per_query, dict) else {})
        golds = select(schema.RunItem.run_id, schema.RunItem.values).where(schema.RunItem.run_id.in_(part), schema.RunItem.name == GOLD)
        for run_id, values in session.execute(golds):
            if run_id in out and isinstance(values, dict):
                out[run_id].gold = values
    return out


def run_item_data(session: Session, run_id: int) -> dict[str, dict[str, float]]:
    """name -> {item id: value}: every item data of one run (the API's ``per_query=1``)."""
    stmt = select(schema.RunItem.name, schema.RunItem.values).where(schema.RunItem.run_id == run_id).order_by(schema.RunItem.name)
    return {name: values if isinstance(values, dict) else {} for name, values in session.execute(stmt)}
