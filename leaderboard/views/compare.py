"""Chosen models against a baseline, task by task: Δ, the paired test's p and d_z, wins/ties/losses, the pooled result.

The compare page and its CSV/JSON downloads read :func:`contrasts`; every statistic is
:mod:`leaderboard.stats` (the same paired randomisation test, d_z and DerSimonian–Laird pooling
as ``leaderboard compare``), on the per-item values the metric's declared aggregation says a
test compares (:func:`leaderboard.stats.paired_values`: per-query values of a mean, each pair's
contribution to a correlation).  Wins, ties and losses count the items on which the other
model's value is above, equal to or below the baseline's, on those same values.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy.orm import Session

from leaderboard import stats
from leaderboard.views.board import BoardRow, BoardTable
from leaderboard.views.items import ItemValues, main_item_values
from leaderboard.views.snapshot import ModelInfo, TaskInfo

MAX_MODELS = 8  # the page's limit: one baseline and up to seven contrasts


@dataclass(frozen=True)
class TaskContrast:
    """One task: the other model minus the baseline."""

    task: TaskInfo
    baseline_run: int | None
    other_run: int | None
    delta: float | None  # main score of the other − main score of the baseline (the board's cells)
    items: int = 0  # items both runs scored
    effect: float | None = None  # Cohen's d_z of the paired per-item differences
    p_value: float | None = None  # two-sided paired randomisation test
    wins: int = 0
    ties: int = 0
    losses: int = 0
    note: str = ""  # why there is no test

    @property
    def tested(self) -> bool:
        return self.p_value is not None


@dataclass(frozen=True)
class Pooled:
    """The random-effects (DerSimonian–Laird) pooling of the per-task d_z."""

    tasks: int
    effect: float
    ci_low: float
    ci_high: float
    p_value: float
    tau_squared: float


@dataclass(frozen=True)
class Contrast:
    """Every task of the board for one model against the baseline, and the pooled result."""

    baseline: ModelInfo
    other: ModelInfo
    tasks: list[TaskContrast]
    pooled: Pooled | None

    @property
    def wins(self) -> int:
        return sum(t.wins for t in self.tasks)

    @property
    def ties(self) -> int:
        return sum(t.ties for t in self.tasks)

    @property
    def losses(self) -> int:
        return sum(t.losses for t in self.tasks)


def _paired(values: ItemValues | None) -> dict[str, float] | None:
    if values is None:
        return None
    return stats.paired_values(stats.statistic_for(values.task_id, values.metric), values.per_query, values.gold)


def contrasts(session: Session, table: BoardTable, rows: list[BoardRow]) -> list[Contrast]:
    """Each of ``rows[1:]`` against ``rows[0]`` on every column of ``table``.

    A task where one of the two has no score, or no stored per-item values, has a Δ (if both
    have scores) and a note instead of a test.  The pooled result needs two tested tasks.
    """
    if len(rows) < 2:
        return []
    baseline, others = rows[0], rows[1:MAX_MODELS]
    run_ids = [r for row in (baseline, *others) for r in row.run_ids if r is not None]
    items = main_item_values(session, run_ids)
    paired = {run_id: _paired(items.get(run_id)) for run_id in set(run_ids)}
    out = []
    for other in others:
        pending: list[tuple[int, dict[str, float], dict[str, float], np.ndarray]] = []  # column, a, b, b − a per shared item
        partial: dict[int, TaskContrast] = {}
        for j, task in enumerate(table.columns):
            a_run, b_run = baseline.run_ids[j], other.run_ids[j]
            a_value, b_value = baseline.values[j], other.values[j]
            delta = None if a_value is None or b_value is None else b_value - a_value
            if a_run is None or b_run is None:
                partial[j] = TaskContrast(task, a_run, b_run, delta, note="not run by both")
                continue
            a, b = paired[a_run], paired[b_run]
            if not a or not b:
                partial[j] = TaskContrast(task, a_run, b_run, delta, note="no per-item values stored; rerun to compare")
                continue
            diff = stats.difference(a, b)  # b − a over the shared items, sorted ids (as the test takes them)
            if diff.size < 2:
                partial[j] = TaskContrast(task, a_run, b_run, delta, items=int(diff.size), note="fewer than 2 shared items")
                continue
            pending.append((j, a, b, diff))
        p_values = stats.randomization_p_values([diff for *_, diff in pending])
        for (j, a, b, diff), p in zip(pending, p_values, strict=True):
            effect = stats.pair_effect(a, b)
            partial[j] = TaskContrast(
                table.columns[j],
                baseline.run_ids[j],
                other.run_ids[j],
                None if baseline.values[j] is None or other.values[j] is None else other.values[j] - baseline.values[j],
                items=int(diff.size),
                effect=effect.effect if effect is not None else None,
                p_value=p,
                wins=int(np.count_nonzero(diff > 0)),
                ties=int(np.count_nonzero(diff == 0)),
                losses=int(np.count_nonzero(diff < 0)),
            )
        tasks = [partial[j] for j in range(len(table.columns))]
        tested = [t for t in tasks if t.tested and t.effect is not None]
        pooled = None
        if len(tested) >= 2:
            meta = stats.random_effects_meta([t.effect for t in tested], [t.items for t in tested])
            pooled = Pooled(meta.tasks, meta.pooled_effect, meta.ci_low, meta.ci_high, meta.p_value, meta.tau_squared)
        out.append(Contrast(baseline.model, other.model, tasks, pooled))
    return out


def contrast_records(contrasts_: list[Contrast]) -> tuple[list[str], list[dict]]:
    """Flat records of every (model, task) contrast and of each pooled result (task ``pooled``), for CSV/JSON."""
    columns = ["baseline", "model", "task", "delta", "items", "d_z", "p_value", "wins", "ties", "losses", "note"]
    columns += ["pooled_ci_low", "pooled_ci_high", "tau_squared"]
    records = []
    for c in contrasts_:
        for t in c.tasks:
            records.append(
                {
                    "baseline": c.baseline.name,
                    "model": c.other.name,
                    "task": t.task.id,
                    "delta": t.delta,
                    "items": t.items,
                    "d_z": t.effect,
                    "p_value": t.p_value,
                    "wins": t.wins,
                    "ties": t.ties,
                    "losses": t.losses,
                    "note": t.note,
                }
            )
        if c.pooled is not None:
            records.append(
                {
                    "baseline": c.baseline.name,
                    "model": c.other.name,
                    "task": "pooled",
                    "items": sum(t.items for t in c.tasks if t.tested),
                    "d_z": c.pooled.effect,
                    "p_value": c.pooled.p_value,
                    "wins": c.wins,
                    "ties": c.ties,
                    "losses": c.losses,
                    "note": f"random effects (DerSimonian–Laird) over {c.pooled.tasks} tasks",
                    "pooled_ci_low": c.pooled.ci_low,
                    "pooled_ci_high": c.pooled.ci_high,
                    "tau_squared": c.pooled.tau_squared,
                }
            )
    return columns, records
