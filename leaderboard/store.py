"""Transactional writes: a run, its scores, its item data and the current-result pointer land together or not at all."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from benchmarks.contract import Task as TaskSpec
from benchmarks.metrics.retrieval import MetricResult
from benchmarks.metrics.sts import GOLD_SCORE
from leaderboard import schema
from leaderboard.names import Owner, check_name, owner_for
from runners.manifest import config_sha256
from runners.outcome import RunOutcome
from submissions.schema import ModelConfig


def upsert_model(session: Session, config: ModelConfig, *, is_reference: bool, owner: Owner | None = None) -> schema.Model:
    """Insert or update the model row and refresh the reported scores that come from its config.

    Only the name's owner may write (:func:`leaderboard.names.check_name`; default owner: the
    registry for a reference config, else the local config itself), and a new row's name is
    guarded by the unique ``name_key``.  Reported scores imported from elsewhere
    (``leaderboard import``, origin "import") are kept.
    """
    dump = config.model_dump(mode="json")
    model = check_name(session, config.name, owner or owner_for(config, is_reference=is_reference), lock=True)
    if model is None:
        model = schema.Model(name=config.name)
        session.add(model)
    model.backend = config.backend
    model.families = list(config.family)
    model.config = dump
    model.config_sha256 = config_sha256(dump)
    model.parameters = config.metadata.parameters
    model.license = config.metadata.license
    model.open_weights = config.metadata.open_weights
    model.is_reference = is_reference
    model.updated_at = datetime.now(UTC)
    session.flush()
    stale = select(schema.ReportedScore).where(schema.ReportedScore.model_id == model.id, schema.ReportedScore.origin == "config")
    for old in session.scalars(stale):
        session.delete(old)
    session.flush()
    for reported in config.reported:
        session.add(
            schema.ReportedScore(
                model_id=model.id, task_id=reported.task, metric=reported.metric, value=reported.value, source=reported.source
            )
        )
    return model


def upsert_task(session: Session, spec: TaskSpec) -> schema.Task:
    task = session.get(schema.Task, spec.id)
    if task is None:
        task = schema.Task(id=spec.id)
        session.add(task)
    task.benchmark = spec.benchmark
    task.dataset = spec.dataset
    task.split = spec.split
    task.main_score = spec.main_score
    task.metric_spec = spec.metric_spec
    task.license = spec.license
    task.source_url = spec.source_url
    return task


def scores_and_items(outcome: RunOutcome) -> tuple[dict[str, dict[str, MetricResult]], dict[str, dict[str, float]]]:
    """variant -> metric -> result to store as scores ("" = the run as configured), and the run's item data.

    Item data is ``RunOutcome.item_data`` (the runners hand on ``Evaluation.item_data``).  A runner written before
    item data existed still returns STS's gold as the fake metric ``gold_score`` (in every
    variant): it is taken out of the scores here and stored as the item data ``gold``, so that
    no ``gold_score`` score is ever written again (migration 0005 moved the old ones).
    """
    items = {name: dict(values) for name, values in outcome.item_data.items()}
    scores = {"": dict(outcome.scores), **{variant: dict(results) for variant, results in outcome.variant_scores.items()}}
    for variant, results in scores.items():
        gold = results.pop(GOLD_SCORE, None)
        if gold is not None and variant == "":
            items.setdefault("gold", dict(gold.per_query))
    return scores, items


def add_run(
    session: Session,
    model: schema.Model,
    task: TaskSpec,
    outcome: RunOutcome,
    *,
    reproduces_run_id: int | None = None,
    grades: list[dict] | None = None,
) -> int:
    """Add a finished run, its scores, item data, artifacts and grades inside the caller's transaction; returns its id.

    A board run moves the (model, task) current-result pointer to itself; a reproduction
    (``reproduces_run_id`` set) is stored beside the run it reproduces and leaves it alone.
    """
    upsert_task(session, task)
    session.flush()
    run = schema.Run(
        model_id=model.id,
        task_id=task.id,
        status="done",
        started_at=outcome.started_at,
        finished_at=outcome.finished_at,
        config_sha256=outcome.manifest["config_sha256"],
        metric_spec=outcome.metric_spec,
        manifest=outcome.manifest,
        kind="reproduction" if reproduces_run_id is not None else "board",
        reproduces_run_id=reproduces_run_id,
    )
    session.add(run)
    session.flush()
    for item in grades or []:
        session.add(schema.Grade(run_id=run.id, **item))
    scores, items = scores_and_items(outcome)
    for variant, results in scores.items():
        for metric, result in results.items():
            session.add(schema.Score(run_id=run.id, metric=metric, variant=variant, value=result.value, per_query=result.per_query))
    for name, values in items.items():
        session.add(schema.RunItem(run_id=run.id, name=name, values=values))
    for kind, artifact in outcome.artifacts.items():  # the ranking lands with its scores or not at all
        session.add(
            schema.RunArtifact(
                run_id=run.id,
                kind=kind,
                format_version=artifact.version,
                sha256=artifact.sha256,
                size=len(artifact.data),
                queries=artifact.queries,
                hits=artifact.hits,
                data=artifact.data,
            )
        )
    if reproduces_run_id is None:
        current = session.get(schema.CurrentResult, (model.id, task.id))
        if current is None:
            session.add(schema.CurrentResult(model_id=model.id, task_id=task.id, run_id=run.id))
        else:
            current.run_id = run.id
    session.flush()
    return run.id


def record_run(
    session: Session,
    config: ModelConfig,
    task: TaskSpec,
    outcome: RunOutcome,
    *,
    is_reference: bool,
    reproduces_run_id: int | None = None,
    grades: list[dict] | None = None,
) -> int:
    """Store one finished run (and its grades) in a single transaction; returns the new run id.

    Earlier runs of the same (model, task) stay as history.
    """
    with session.begin():
        owner = owner_for(config, is_reference=is_reference, reproduction=reproduces_run_id is not None)
        model = upsert_model(session, config, is_reference=is_reference, owner=owner)
        return add_run(session, model, task, outcome, reproduces_run_id=reproduces_run_id, grades=grades)
