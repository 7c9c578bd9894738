"""The inputs of a fusion model (``backend: fusion``): its source models' stored rankings, loaded from the database.

The service calls :func:`load_sources` while planning, before anything runs: each source model
must have a current (board) run of each task with a stored ranking, else the one-line error
names the command that makes it.  The rankings go to :class:`runners.fusion.FusionRetriever`
(runners do not import the database); the fused run's manifest names the source runs and the
sha256 of their rankings.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from benchmarks.contract import Task
from common.errors import UserError
from leaderboard import schema
from leaderboard.views.artifacts import artifact_info, load_artifact
from runners.fusion import SourceRun, make_command
from submissions.schema import ModelConfig


def current_run(session: Session, model: str, task_id: str) -> tuple[int, dict] | None:
    """(run id, manifest) of the model's current board run of the task, if any."""
    row = session.execute(
        select(schema.Run.id, schema.Run.manifest)
        .join(schema.CurrentResult, schema.CurrentResult.run_id == schema.Run.id)
        .join(schema.Model, schema.Model.id == schema.CurrentResult.model_id)
        .where(schema.Model.name == model, schema.CurrentResult.task_id == task_id)
    ).first()
    return (row[0], row[1] if isinstance(row[1], dict) else {}) if row is not None else None


def load_sources(session: Session, config: ModelConfig, tasks: Sequence[Task]) -> list[SourceRun]:
    """Every source model's stored ranking of every task; a missing one is a one-line error naming its command."""
    assert config.fusion is not None
    sources: list[SourceRun] = []
    for task in tasks:
        for model in config.fusion.runs:
            found = current_run(session, model, task.id)
            if found is None:
                raise UserError(
                    f"{task.id}: {config.name} fuses {model}, which has no stored run of it; make it with '{make_command(model, task.id)}'"
                )
            run_id, manifest = found
            info = artifact_info(session, run_id)
            ranking = load_artifact(session, run_id)
            if info is None or ranking is None:
                raise UserError(
                    f"{task.id}: run {run_id} of {model} has no stored ranking (stored before rankings were kept); "
                    f"rerun it: '{make_command(model, task.id)}'"
                )
            sources.append(SourceRun(model, task.id, run_id, info.sha256, str(manifest.get("data_sha256", "")), dict(ranking.items())))
    return sources
