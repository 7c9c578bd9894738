"""The board's read model: one snapshot of every published model, task and current main score.

The web pages, the JSON API and ``leaderboard results`` read the whole board through one
*snapshot*, fetched with one query per table.  A snapshot is keyed by :func:`data_version`, a
handful of O(1)/O(log n) aggregates that change whenever a run, model or task is written, so the
site can cache it (and anything derived from it) until the data changes, instead of re-reading
150,000 cells on every request; :func:`refresh_snapshot` reads only what a new run changed.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from benchmarks.contract import Task
from benchmarks.registry import all_tasks, find_task, task_spec
from leaderboard import schema
from submissions.schema import BACKENDS_WITH_WEIGHTS

log = logging.getLogger(__name__)


def public_models():
    """The condition for models shown on the board: community models only once their submission is published."""
    return schema.Model.published.is_(True)


def data_version(session: Session) -> tuple:
    """A value that changes whenever anything the site shows changes.

    ``(max run id, run count, model count, last model update, task count, reported-score count,
    published model count, grade count, max grade id)``.  New runs raise ``max(runs.id)``;
    deleted runs lower ``count(runs)``; a re-registered model bumps ``models.updated_at`` (its
    reported scores are rewritten in the same transaction); publishing a submission changes the
    published count; tasks are only written together with a run.  Grades of reproductions are
    written with their run today, but they are counted on their own so that a grade added or
    removed later (a regrade) still refreshes every badge.
    """
    one = select(
        select(func.max(schema.Run.id)).scalar_subquery(),
        select(func.count()).select_from(schema.Run).scalar_subquery(),
        select(func.count()).select_from(schema.Model).scalar_subquery(),
        select(func.max(schema.Model.updated_at)).scalar_subquery(),
        select(func.count()).select_from(schema.Task).scalar_subquery(),
        select(func.count()).select_from(schema.ReportedScore).scalar_subquery(),
        select(func.count()).select_from(schema.Model).where(public_models()).scalar_subquery(),
        select(func.count()).select_from(schema.Grade).scalar_subquery(),
        select(func.max(schema.Grade.id)).scalar_subquery(),
    )
    row = session.execute(one).one()
    return tuple(value.isoformat() if isinstance(value, datetime) else value for value in row)


@dataclass(frozen=True)
class ModelInfo:
    """A model row plus the metadata the filters need, flattened out of its config."""

    id: int
    name: str
    backend: str
    families: tuple[str, ...]
    parameters: int | None
    embedding_dim: int | None
    license: str | None
    open_weights: bool
    is_reference: bool
    training_datasets: tuple[str, ...] | None  # None: the config lists none, so zero-shot is unknown
    description: str
    paper: str | None
    url: str | None
    config: dict = field(hash=False, compare=False, repr=False)
    updated_at: datetime | None = None
    submitter: str | None = None  # community models: who submitted them (shown with the "community" badge)

    @property
    def has_weights(self) -> bool:
        """False for a lexical model (BM25): nothing to open, so no weights badge (:data:`BACKENDS_WITH_WEIGHTS`)."""
        return self.backend in BACKENDS_WITH_WEIGHTS

    @property
    def fusion_sources(self) -> tuple[str, ...]:
        """The models a ``backend: fusion`` model fuses (its config's ``fusion.runs``); () for any other model."""
        fusion = self.config.get("fusion") if self.backend == "fusion" and isinstance(self.config, dict) else None
        runs = fusion.get("runs") if isinstance(fusion, dict) else None
        return tuple(str(name) for name in runs) if isinstance(runs, list) else ()

    def commands(self, task_ids: str | Iterable[str] | None = None) -> dict[str, str]:
        """The exact commands that rerun scores locally: ``run`` (and ``reproduce`` for a reference model, which runs by name).

        ``task_ids``: one id, or several, written the short way (a complete benchmark by its
        name: :func:`benchmarks.registry.task_spec`).
        """
        target = self.name if self.is_reference else f"{self.name}.yaml"
        spec = task_ids if isinstance(task_ids, str) or task_ids is None else task_spec(task_ids)
        tasks = f" --tasks {spec}" if spec else ""
        commands = {"run": f"leaderboard run {target}{tasks}"}
        if self.is_reference:
            commands["reproduce"] = f"leaderboard reproduce {self.name}{tasks}"
        return commands


@dataclass(frozen=True)
class TaskInfo:
    id: str
    benchmark: str
    dataset: str
    split: str
    main_score: str
    metric_spec: dict = field(hash=False, compare=False, repr=False)
    license: str = ""
    source_url: str = ""
    aliases: tuple[str, ...] = ()  # from the registered task (zero-shot matching); () for one the code no longer knows
    group: str | None = None  # aggregation group (benchmarks.aggregate)


def task_info(task: Task) -> TaskInfo:
    """The site's view of a registered task."""
    return TaskInfo(
        task.id, task.benchmark, task.dataset, task.split, task.main_score, task.metric_spec or {}, task.license, task.source_url,
        aliases=task.aliases, group=task.group,
    )  # fmt: skip


@dataclass
class Snapshot:
    """Everything a leaderboard table needs, read once per data version."""

    version: tuple
    models: dict[int, ModelInfo]
    tasks: dict[str, TaskInfo]
    cells: dict[int, dict[str, tuple[float, int]]]  # model id -> task id -> (main score, run id)
    by_name: dict[str, ModelInfo] = field(default_factory=dict)
    task_counts: dict[str, int] = field(default_factory=dict)  # task id -> models with a result
    benchmark_models: dict[str, set[int]] = field(default_factory=dict)  # benchmark -> models with any result

    @property
    def n_cells(self) -> int:
        return sum(self.task_counts.values())

    def cell(self, model_id: int, task_id: str) -> tuple[float, int] | None:
        return self.cells.get(model_id, {}).get(task_id)

    def benchmark_counts(self, model_id: int) -> dict[str, int]:
        counts: dict[str, int] = {}
        for task_id in self.cells.get(model_id, {}):
            benchmark = self.tasks[task_id].benchmark
            counts[benchmark] = counts.get(benchmark, 0) + 1
        return counts

    def benchmarks(self, registered: tuple[str, ...] = ()) -> list[str]:
        """``registered`` first (display order), then any other benchmark present in the data."""
        present = {task.benchmark for task in self.tasks.values()}
        return [*registered, *sorted(present - set(registered))]

    def tasks_of(self, benchmark: str) -> list[TaskInfo]:
        """The benchmark's tasks in the registry's order (:func:`task_order`)."""
        return sorted((t for t in self.tasks.values() if t.benchmark == benchmark), key=task_order)

    @functools.cached_property
    def licenses(self) -> frozenset[str]:
        """Every licence on the board ("unknown" for a model without one): the values a licence filter can take."""
        return frozenset(m.license or "unknown" for m in self.models.values())


def _training(raw: object) -> tuple[str, ...] | None:
    """A stored config's ``metadata.training_datasets``: None when not given (unknown), else its entries."""
    if not isinstance(raw, list | tuple):
        return None
    return tuple(str(entry) for entry in raw)


def _model_info(row: schema.Model | tuple) -> ModelInfo:
    (model_id, name, backend, families, config, parameters, license_, open_weights, is_reference, updated_at, *rest) = row
    config = config if isinstance(config, dict) else {}
    metadata = config.get("metadata") if isinstance(config.get("metadata"), dict) else {}
    embedding_dim = metadata.get("embedding_dim")
    return ModelInfo(
        id=model_id,
        name=name,
        backend=backend or "",
        families=tuple(families or ()),
        parameters=parameters if parameters is not None else metadata.get("parameters"),
        embedding_dim=embedding_dim if isinstance(embedding_dim, int) else None,
        license=license_ if license_ is not None else metadata.get("license"),
        open_weights=bool(open_weights if open_weights is not None else metadata.get("open_weights", True)),
        is_reference=bool(is_reference),
        training_datasets=_training(metadata.get("training_datasets")),
        description=str(config.get("description") or ""),
        paper=metadata.get("paper"),
        url=metadata.get("url"),
        config=config,
        updated_at=updated_at,
        submitter=rest[0] if rest else None,
    )


MODEL_COLUMNS = (
    schema.Model.id,
    schema.Model.name,
    schema.Model.backend,
    schema.Model.families,
    schema.Model.config,
    schema.Model.parameters,
    schema.Model.license,
    schema.Model.open_weights,
    schema.Model.is_reference,
    schema.Model.updated_at,
    schema.Model.submitter,
)


def _task_info(task: schema.Task) -> TaskInfo:
    registered = find_task(task.id)  # identity (aliases, group) lives in the code, not the database
    return TaskInfo(
        id=task.id,
        benchmark=task.benchmark,
        dataset=task.dataset,
        split=task.split,
        main_score=task.main_score,
        metric_spec=task.metric_spec or {},
        license=task.license or "",
        source_url=task.source_url or "",
        aliases=registered.aliases if registered is not None else (),
        group=registered.group if registered is not None else None,
    )


def _main_scores_stmt(after_run_id: int | None = None):
    stmt = (
        select(schema.CurrentResult.model_id, schema.CurrentResult.task_id, schema.Score.value, schema.CurrentResult.run_id)
        .join(schema.Task, schema.Task.id == schema.CurrentResult.task_id)
        .join(
            schema.Score,
            (schema.Score.run_id == schema.CurrentResult.run_id)
            & (schema.Score.metric == schema.Task.main_score)
            & (schema.Score.variant == ""),
        )
    )
    if after_run_id is not None:
        stmt = stmt.where(schema.CurrentResult.run_id > after_run_id)
    return stmt


def build_snapshot(version: tuple, models: dict, tasks: dict, cells: dict) -> Snapshot:
    """A snapshot of these rows with its indexes (tests build synthetic boards with it)."""
    task_counts: dict[str, int] = {}
    benchmark_models: dict[str, set[int]] = {}
    for model_id, per_task in cells.items():
        for task_id in per_task:
            task_counts[task_id] = task_counts.get(task_id, 0) + 1
        for benchmark in {tasks[task_id].benchmark for task_id in per_task}:
            benchmark_models.setdefault(benchmark, set()).add(model_id)
    return Snapshot(
        version=version,
        models=models,
        tasks=tasks,
        cells=cells,
        by_name={m.name: m for m in models.values()},
        task_counts=task_counts,
        benchmark_models=benchmark_models,
    )


def _load_models(session: Session) -> dict[int, ModelInfo]:
    """Every model on the board (unpublished community submissions are left out)."""
    return {row[0]: _model_info(row) for row in session.execute(select(*MODEL_COLUMNS).where(public_models()))}


def _load_tasks(session: Session) -> dict[str, TaskInfo]:
    return {task.id: _task_info(task) for task in session.scalars(select(schema.Task))}


def load_snapshot(session: Session, version: tuple | None = None) -> Snapshot:
    """Three queries: models, tasks, and the main score of every current result."""
    version = version if version is not None else data_version(session)
    models = _load_models(session)
    tasks = _load_tasks(session)
    cells: dict[int, dict[str, tuple[float, int]]] = {}
    for model_id, task_id, value, run_id in session.execute(_main_scores_stmt()):
        if model_id in models and value is not None:  # None: a non-finite stored value (schema.FiniteFloat) = missing
            cells.setdefault(model_id, {})[task_id] = (value, run_id)
    return build_snapshot(version, models, tasks, cells)


def refresh_snapshot(session: Session, old: Snapshot, version: tuple) -> Snapshot:
    """``old`` brought up to ``version`` by reading only what changed, when that is possible.

    Runs are append-only, so when runs were only added (``max(id)`` and ``count`` grew by the
    same amount) the new current results are exactly those with a run id above the old
    maximum.  Models and tasks are small and re-read when their counters moved; a model that
    appears (new, or its submission just published) has all its results read.  Anything else
    (a deleted run) falls back to a full :func:`load_snapshot`.
    """
    old_max, old_count, old_models, old_updated, old_tasks, _, old_public, *_ = old.version
    new_max, new_count, new_models, new_updated, new_tasks, _, new_public, *_ = version
    appended = (new_count or 0) - (old_count or 0) == (new_max or 0) - (old_max or 0) >= 0
    if not appended:
        return load_snapshot(session, version)
    changed = (old_models, old_updated, old_public) != (new_models, new_updated, new_public)
    models = _load_models(session) if changed else old.models
    tasks = old.tasks if old_tasks == new_tasks and new_max == old_max else _load_tasks(session)
    cells = {model_id: dict(per_task) for model_id, per_task in old.cells.items()}
    if new_max != old_max:
        for model_id, task_id, value, run_id in session.execute(_main_scores_stmt(old_max or 0)):
            if value is None:  # a run whose main score is missing replaces the cell with "missing"
                cells.get(model_id, {}).pop(task_id, None)
                continue
            cells.setdefault(model_id, {})[task_id] = (value, run_id)
    appeared = set(models) - set(old.models)  # new or newly published models: their older runs count too
    if appeared:
        stmt = _main_scores_stmt().where(schema.CurrentResult.model_id.in_(appeared))
        for model_id, task_id, value, run_id in session.execute(stmt):
            if value is not None:
                cells.setdefault(model_id, {})[task_id] = (value, run_id)
    cells = {model_id: per_task for model_id, per_task in cells.items() if model_id in models}
    return build_snapshot(version, models, tasks, cells)


# ------------------------------------------------------------------ what the code registers
def registered_benchmarks() -> tuple[str, ...]:
    """Every benchmark the code knows, in display order (:mod:`benchmarks.registry`)."""
    from benchmarks.registry import benchmark_ids

    return benchmark_ids()


def task_order(task: TaskInfo | str) -> tuple[int, int, str]:
    """The one sort key of tasks: their benchmark's order in the registry, e.g. STS12–16, STS-B, SICK-R.

    Alphabetical ids would put ``sts/sick-r`` first and ``sts/stsb`` before ``sts/sts12``; the
    board, the API's columns, the CSV downloads and ``leaderboard results`` all sort with this
    key so they show a benchmark as its authors ordered it.  A task the registry does not know
    (results of a benchmark no longer installed) comes after the registered ones, by id.
    """
    task_id = task if isinstance(task, str) else task.id
    try:
        position = _positions(tuple(all_tasks()))
    except Exception:  # a half-built benchmark package must not take the site down
        position = {}
    index = position.get(task_id)
    return (0, index, "") if index is not None else (1, 0, task_id)


@functools.lru_cache(maxsize=4)
def _positions(task_ids: tuple[str, ...]) -> dict[str, int]:
    return {task_id: i for i, task_id in enumerate(task_ids)}


def registered_tasks() -> dict[str, TaskInfo]:
    """Tasks the code knows (even without results), as TaskInfo; empty if a benchmark fails to load."""
    try:
        from benchmarks.registry import all_tasks

        return {t.id: task_info(t) for t in all_tasks().values()}
    except Exception:  # a half-built benchmark package must not take the site down
        log.exception("could not load the task registry")
        return {}


def known_benchmarks(snap: Snapshot) -> list[str]:
    """The registered benchmarks in display order, then any other benchmark the data holds."""
    return snap.benchmarks(registered_benchmarks())
