"""Rerun a model from its pinned config and grade every number against what was reported and
against the run on the board (Pyserini 2CR style, on every cell).

A reproduction is stored as a run of kind ``reproduction`` linked to the board run it
reproduces, with one grade per (metric, reference): the board run, and each reported number
(a config may report one metric from several sources, e.g. a paper and a rerun of the
authors' code).  When a (model, task) has no board run yet, the rerun becomes the board run and
is graded against the reported numbers only.  Every grade carries the tolerance it used and the
rule of :data:`leaderboard.grading.TOLERANCES` it came from.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from benchmarks.contract import Task
from leaderboard import schema
from leaderboard.grading import Numerics, Tolerance, grade, tolerance_rule
from runners.outcome import RunOutcome
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
    tolerance_reported: Tolerance | None = None
    tolerance_board: Tolerance | None = None

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

    @property
    def rules(self) -> str:
        """The tolerance rules this cell's grades used, for the CLI table and the HTML report."""
        used = [t for t in (self.tolerance_reported, self.tolerance_board) if t is not None]
        return ", ".join(dict.fromkeys(f"±{t.value:g} ({t.rule})" for t in used))


def board_run(session: Session, model_name: str, task_id: str) -> schema.Run | None:
    stmt = (
        select(schema.Run)
        .join(schema.CurrentResult, schema.CurrentResult.run_id == schema.Run.id)
        .join(schema.Model, schema.Model.id == schema.CurrentResult.model_id)
        .where(schema.Model.name == model_name, schema.CurrentResult.task_id == task_id)
    )
    return session.scalars(stmt).first()


def grade_outcome(config: ModelConfig, task: Task, outcome: RunOutcome, board: schema.Run | None) -> list[GradedCell]:
    """One cell per (metric, reported source) for this task, plus the task's main score.

    The board grade goes on a metric's first cell.
    """
    reported: dict[str, list] = {}
    for entry in config.reported:
        if entry.task == task.id:
            reported.setdefault(entry.metric, []).append(entry)
    board_scores = {s.metric: s.value for s in board.scores if s.variant == ""} if board else {}
    numerics = Numerics.of_run(config, outcome.manifest)
    metrics = [task.main_score, *[m for m in reported if m != task.main_score]]
    cells = []
    for metric in metrics:
        if metric not in outcome.scores:
            continue
        local = outcome.scores[metric].value
        on_board = board_scores.get(metric)
        board_tolerance = tolerance_rule(metric, task=task.id, against="board", numerics=numerics) if on_board is not None else None
        for index, published in enumerate(reported.get(metric) or [None]):
            tolerance = tolerance_rule(metric, task=task.id, against="reported", numerics=numerics) if published else None
            with_board = index == 0 and on_board is not None
            cells.append(
                GradedCell(
                    task=task.id,
                    metric=metric,
                    reported=published.value if published else None,
                    reported_source=published.source if published else "",
                    board=on_board if with_board else None,
                    local=local,
                    grade_reported=grade(published.value, local, tolerance=tolerance) if published else None,
                    grade_board=grade(round(on_board, 4), local, tolerance=board_tolerance) if with_board else None,  # type: ignore[arg-type]
                    tolerance_reported=tolerance,
                    tolerance_board=board_tolerance if with_board else None,
                )
            )
    return cells


def grade_variants(config: ModelConfig, task: Task, outcome: RunOutcome, board: schema.Run | None) -> list[GradedCell]:
    """The main score of each precision variant (``int8``, ``bf16``; not their sizes) against the board run's same variant.

    Graded with the variant's own numerics (:meth:`Numerics.of_variant`: int8 and bf16 have their
    rules in :data:`leaderboard.grading.TOLERANCES`).  These cells are shown with the reproduction
    (table, report) but not stored as its grades: the stored grade of a (model, task) is the fp32
    main cell's, and a variant never replaces it.
    """
    from common.variants import parse_variant

    if board is None:
        return []
    on_board = {s.variant: s.value for s in board.scores if s.metric == task.main_score}
    cells = []
    for variant, results in outcome.variant_scores.items():
        parsed = parse_variant(variant)
        if parsed is None or parsed.precision is None or parsed.dim is not None or variant not in on_board:
            continue
        if task.main_score not in results:
            continue
        numerics = Numerics.of_variant(config, outcome.manifest, variant)
        tolerance = tolerance_rule(task.main_score, task=task.id, against="board", numerics=numerics)
        local, expected = results[task.main_score].value, on_board[variant]
        cells.append(
            GradedCell(
                task=f"{task.id} [{variant}]",
                metric=task.main_score,
                reported=None,
                reported_source="",
                board=expected,
                local=local,
                grade_reported=None,
                grade_board=grade(round(expected, 4), local, tolerance=tolerance),
                tolerance_board=tolerance,
            )
        )
    return cells


def _row(cell: GradedCell, against: str, expected: float, verdict: str, tolerance: Tolerance, source: str) -> dict:
    return {
        "metric": cell.metric,
        "against": against,
        "expected": expected,
        "got": cell.local,
        "tolerance": tolerance.value,
        "tolerance_rule": tolerance.rule,
        "tolerance_reason": tolerance.reason,
        "grade": verdict,
        "source": source,
    }


def grade_rows(cells: list[GradedCell]) -> list[dict]:
    """Rows for the grades table."""
    rows = []
    for cell in cells:
        if cell.grade_reported is not None and cell.reported is not None and cell.tolerance_reported is not None:
            rows.append(_row(cell, "reported", cell.reported, cell.grade_reported, cell.tolerance_reported, cell.reported_source))
        if cell.grade_board is not None and cell.board is not None and cell.tolerance_board is not None:
            rows.append(_row(cell, "board", cell.board, cell.grade_board, cell.tolerance_board, "board run"))
    return rows


def aggregate_cells(config: ModelConfig, outcomes: list[tuple[Task, RunOutcome]]) -> list[GradedCell]:
    """Grade numbers reported for a whole benchmark (task id ``tatoeba``: MTEB's mean over pairs).

    The local value is the unweighted mean of the metric over this reproduction's tasks of that
    benchmark, the same definition as MTEB's aggregate; it is only graded when every task of
    the benchmark was run.
    """
    from benchmarks.registry import all_tasks, benchmark_ids

    cells = []
    for reported in config.reported:
        if reported.task not in benchmark_ids():
            continue
        members = [t.id for t in all_tasks().values() if t.benchmark == reported.task]
        runs = [o for task, o in outcomes if task.benchmark == reported.task and reported.metric in o.scores]
        if not runs or len(runs) != len(members):
            continue
        local = sum(o.scores[reported.metric].value for o in runs) / len(runs)
        tolerance = tolerance_rule(
            reported.metric, task=reported.task, against="reported", numerics=Numerics.of_run(config, runs[0].manifest)
        )
        cells.append(
            GradedCell(
                task=f"{reported.task} (mean of {len(runs)})",
                metric=reported.metric,
                reported=reported.value,
                reported_source=reported.source,
                board=None,
                local=local,
                grade_reported=grade(reported.value, local, tolerance=tolerance),
                grade_board=None,
                tolerance_reported=tolerance,
            )
        )
    return cells
