"""Rerun a model from its pinned config and grade every number against what was reported and
against the run on the board (Pyserini 2CR style, on every cell).

A reproduction is stored as a run of kind ``reproduction`` linked to the board run it
reproduces, with one grade per (metric, reference).  When a (model, task) has no board run
yet, the rerun becomes the board run and is graded against the reported numbers only.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from benchmarks.tasks import Task
from leaderboard import schema
from leaderboard.grading import grade, tolerance_for
from runners.execute import RunOutcome
from submissions.schema import ModelConfig


@dataclass
class GradedCell:
    task: str
    metric: str
    reported: float | None
    reported_source: str
    board: float | None
    local: float
    grade_reported: str | None
    grade_board: str | None

    @property
    def delta(self) -> float | None:
        """local − reported (or − board when nothing was reported)."""
        reference = self.reported if self.reported is not None else self.board
        return None if reference is None else self.local - reference

    @property
    def worst(self) -> str | None:
        grades = [g for g in (self.grade_reported, self.grade_board) if g]
        for candidate in ("FAIL", "OKish", "OK"):
            if candidate in grades:
                return candidate
        return None


def board_run(session: Session, model_name: str, task_id: str) -> schema.Run | None:
    stmt = (
        select(schema.Run)
        .join(schema.CurrentResult, schema.CurrentResult.run_id == schema.Run.id)
        .join(schema.Model, schema.Model.id == schema.CurrentResult.model_id)
        .where(schema.Model.name == model_name, schema.CurrentResult.task_id == task_id)
    )
    return session.scalars(stmt).first()


def grade_outcome(config: ModelConfig, task: Task, outcome: RunOutcome, board: schema.Run | None) -> list[GradedCell]:
    """One cell per metric that was reported for this task, plus the task's main score."""
    reported = {r.metric: r for r in config.reported if r.task == task.id}
    board_scores = {s.metric: s.value for s in board.scores if s.variant == ""} if board else {}
    metrics = [task.main_score, *[m for m in reported if m != task.main_score]]
    cells = []
    for metric in metrics:
        if metric not in outcome.scores:
            continue
        local = outcome.scores[metric].value
        published = reported.get(metric)
        on_board = board_scores.get(metric)
        cells.append(
            GradedCell(
                task=task.id,
                metric=metric,
                reported=published.value if published else None,
                reported_source=published.source if published else "",
                board=on_board,
                local=local,
                grade_reported=grade(published.value, local, metric) if published else None,
                grade_board=grade(round(on_board, 4), local, metric) if on_board is not None else None,
            )
        )
    return cells


def grade_rows(cells: list[GradedCell]) -> list[dict]:
    """Rows for the grades table."""
    rows = []
    for cell in cells:
        if cell.grade_reported is not None and cell.reported is not None:
            rows.append(
                {
                    "metric": cell.metric,
                    "against": "reported",
                    "expected": cell.reported,
                    "got": cell.local,
                    "tolerance": tolerance_for(cell.metric),
                    "grade": cell.grade_reported,
                    "source": cell.reported_source,
                }
            )
        if cell.grade_board is not None and cell.board is not None:
            rows.append(
                {
                    "metric": cell.metric,
                    "against": "board",
                    "expected": cell.board,
                    "got": cell.local,
                    "tolerance": tolerance_for(cell.metric),
                    "grade": cell.grade_board,
                    "source": "board run",
                }
            )
    return rows


def aggregate_cells(config: ModelConfig, outcomes: list[tuple[Task, RunOutcome]]) -> list[GradedCell]:
    """Grade numbers reported for a whole benchmark (task id ``tatoeba``: MTEB's mean over pairs).

    The local value is the unweighted mean of the metric over this reproduction's tasks of that
    benchmark, the same definition as MTEB's aggregate; it is only graded when every task of
    the benchmark was run.
    """
    from benchmarks.tasks import BENCHMARKS, all_tasks

    cells = []
    for reported in config.reported:
        if reported.task not in BENCHMARKS:
            continue
        members = [t.id for t in all_tasks().values() if t.benchmark == reported.task]
        values = [
            o.scores[reported.metric].value for task, o in outcomes if task.benchmark == reported.task and reported.metric in o.scores
        ]
        if not values or len(values) != len(members):
            continue
        local = sum(values) / len(values)
        cells.append(
            GradedCell(
                task=f"{reported.task} (mean of {len(values)})",
                metric=reported.metric,
                reported=reported.value,
                reported_source=reported.source,
                board=None,
                local=local,
                grade_reported=grade(reported.value, local, reported.metric),
                grade_board=None,
            )
        )
    return cells
