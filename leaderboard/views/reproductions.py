"""Reproductions (``leaderboard reproduce``'s grades) and published numbers, as the views show them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from leaderboard import schema

GRADE_ORDER = ("OK", "OKish", "FAIL")  # best first: the badge shows the best grade against the reported numbers


@dataclass(frozen=True)
class GradeInfo:
    """One grade of a reproduction's main score (see :mod:`leaderboard.grading`)."""

    against: str  # "board" | "reported"
    expected: float
    got: float
    tolerance: float
    grade: str  # "OK" | "OKish" | "FAIL"
    source: str
    tolerance_rule: str = ""  # the rule of leaderboard.grading.TOLERANCES that gave ``tolerance``
    tolerance_reason: str = ""


@dataclass
class Reproduction:
    """How often one metric of a (model, task) was reproduced, and the latest reproduction's grades.

    A reproduction is a run that carries grades: a run of kind ``reproduction``
    (``leaderboard reproduce`` with a board run to compare with), or the first run of a
    (model, task) made by ``leaderboard reproduce``, graded against the reported number only.
    """

    model_id: int
    task_id: str
    metric: str
    count: int = 0
    last_run_id: int = 0
    last_finished: datetime | None = None
    reproduces_run_id: int | None = None  # the board run the latest reproduction was graded against
    # against -> grade, of the latest reproduction; "reported" is the best of ``reported`` (the first of equals)
    grades: dict[str, GradeInfo] = field(default_factory=dict)
    reported: list[GradeInfo] = field(default_factory=list)  # one per reported source, in the config's order

    @property
    def preferred(self) -> GradeInfo | None:
        """The grade on the badge: against the board run when there is one, else against the reported number."""
        return self.grades.get("board") or self.grades.get("reported")

    @property
    def grade(self) -> str | None:
        chosen = self.preferred
        return chosen.grade if chosen else None

    def against_reported(self, value: float, source: str) -> GradeInfo | None:
        """The latest reproduction's grade against this published number (its value and source), if it was graded so."""
        candidates = self.reported or ([self.grades["reported"]] if "reported" in self.grades else [])
        return next((g for g in candidates if g.expected == value and g.source in ("", source)), None)


def reproductions(session: Session, *, model_id: int | None = None, main_only: bool = True) -> dict[tuple[int, str, str], Reproduction]:
    """(model id, task id, metric) -> its reproductions; by default only each task's main score.

    Read through ``grades`` rather than by scanning ``runs`` for their kind: ``grades.run_id``
    is indexed, ``runs.kind`` is not, and the board reads this once per data version.
    """
    stmt = (
        select(
            schema.Grade.run_id,
            schema.Run.model_id,
            schema.Run.task_id,
            schema.Grade.metric,
            schema.Run.finished_at,
            schema.Run.reproduces_run_id,
            schema.Grade.against,
            schema.Grade.expected,
            schema.Grade.got,
            schema.Grade.tolerance,
            schema.Grade.grade,
            schema.Grade.source,
            schema.Grade.tolerance_rule,
            schema.Grade.tolerance_reason,
        )
        .join(schema.Run, schema.Run.id == schema.Grade.run_id)
        .order_by(schema.Grade.run_id, schema.Grade.id)
    )
    if main_only:
        stmt = stmt.join(schema.Task, schema.Task.id == schema.Run.task_id).where(schema.Grade.metric == schema.Task.main_score)
    if model_id is not None:
        stmt = stmt.where(schema.Run.model_id == model_id)
    out: dict[tuple[int, str, str], Reproduction] = {}
    rank = {verdict: i for i, verdict in enumerate(GRADE_ORDER)}
    for row in session.execute(stmt):
        run_id, model, task_id, metric, finished, reproduces, against, expected, got, tolerance, verdict, source, rule, reason = row
        if expected is None or got is None or tolerance is None:  # a non-finite stored grade: not shown
            continue
        entry = out.setdefault((model, task_id, metric), Reproduction(model, task_id, metric))
        if run_id != entry.last_run_id:  # ordered by run id: a later reproduction replaces the grades
            entry.count += 1
            entry.last_run_id, entry.last_finished, entry.reproduces_run_id = run_id, finished, reproduces
            entry.grades, entry.reported = {}, []
        info = GradeInfo(against, expected, got, tolerance, verdict, source or "", rule or "", reason or "")
        if against == "reported":
            entry.reported.append(info)
            best = entry.grades.get("reported")
            if best is not None and rank.get(best.grade, 3) <= rank.get(verdict, 3):
                continue
        entry.grades[against] = info
    return out


def main_reproductions(session: Session) -> dict[tuple[int, str], Reproduction]:
    """(model id, task id) -> reproductions of the task's main score (the badges of every table)."""
    return {(model, task): entry for (model, task, _), entry in reproductions(session).items()}


def reported_scores(session: Session, model_id: int | None = None) -> list[schema.ReportedScore]:
    """Published numbers (a stored non-finite one reads as None and is left out, as missing)."""
    stmt = select(schema.ReportedScore).order_by(schema.ReportedScore.task_id, schema.ReportedScore.metric, schema.ReportedScore.id)
    if model_id is not None:
        stmt = stmt.where(schema.ReportedScore.model_id == model_id)
    return [row for row in session.scalars(stmt) if row.value is not None]


def reported_main(session: Session, task: str, main_score: str) -> dict[int, tuple[float, str]]:
    """model id -> (published main score, its source) on one task; several sources: the config's first."""
    stmt = (
        select(schema.ReportedScore.model_id, schema.ReportedScore.value, schema.ReportedScore.source)
        .where(schema.ReportedScore.task_id == task, schema.ReportedScore.metric == main_score)
        .order_by(schema.ReportedScore.id)
    )
    out: dict[int, tuple[float, str]] = {}
    for model_id, value, source in session.execute(stmt):
        if value is not None:
            out.setdefault(model_id, (value, source))
    return out
