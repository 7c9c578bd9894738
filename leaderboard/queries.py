"""Read-side queries shared by the CLI and the web site.

Zero-shot flags come from :mod:`benchmarks.zero_shot` and benchmark means from
:mod:`benchmarks.aggregate`: this module only reads rows and hands them to those rules, so the
site, the API, the CSV downloads and ``leaderboard results`` say the same.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case, func, literal, select
from sqlalchemy.orm import Session

from benchmarks.aggregate import benchmark_mean
from benchmarks.contract import Task
from benchmarks.registry import find_task
from benchmarks.zero_shot import trained_columns
from leaderboard import schema


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


# =====================================================================================
# The site's read model.
#
# The web pages and the JSON API read the whole board through one *snapshot*: every model,
# every task and every current main score, fetched with one query per table.  A snapshot is
# keyed by :func:`data_version`, a handful of O(1)/O(log n) aggregates that change whenever a
# run, model or task is written, so the site can cache it (and anything derived from it) until
# the data changes, instead of re-reading 150,000 cells on every request.
# =====================================================================================


_model_published = getattr(schema.Model, "published", None)


def public_models():
    """The condition for models shown on the board: community models only once their submission is published."""
    return _model_published.is_(True) if _model_published is not None else literal(True)


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
        return sorted((t for t in self.tasks.values() if t.benchmark == benchmark), key=lambda t: t.id)

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


def _snapshot(version: tuple, models: dict, tasks: dict, cells: dict) -> Snapshot:
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
    return _snapshot(version, models, tasks, cells)


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
    return _snapshot(version, models, tasks, cells)


# ------------------------------------------------------------------ benchmark tables
@dataclass(slots=True)
class Cell:
    value: float | None
    run_id: int | None = None
    trained: str | None = None  # the training dataset that makes this cell not zero-shot
    excluded: bool = False  # hidden by the zero-shot-only filter
    zero_shot: bool | None = True  # None: unknown (the model lists no training data)


@dataclass(slots=True)
class BoardRow:
    """One model's row, stored column-wise (plain lists) because a board can hold 100,000+ cells."""

    model: ModelInfo
    values: list[float | None]  # main score per column; None = not run
    run_ids: list[int | None]
    trained: dict[int, str]  # column -> training dataset that makes it not zero-shot
    excluded: frozenset[int]  # columns hidden by the zero-shot-only filter
    n_present: int
    complete: bool
    mean: float | None  # only for complete rows (benchmarks.aggregate: CQADupStack's forums count once)
    partial_mean: float | None  # the same mean over the cells present, for partial rows (shown marked, never ranked)
    rank: int | None = None
    covers: tuple[str, ...] = ()  # what the mean averages: "scifact", "cqadupstack (12 tasks)", ...
    training_known: bool = True  # False: the model lists no training data, so zero-shot is unknown

    @property
    def zero_shot(self) -> bool | None:
        """No score of the row is on one of the model's training datasets; None when that is unknown."""
        if not self.training_known:
            return None
        return not any(self.values[i] is not None for i in self.trained)

    def shown(self, i: int) -> float | None:
        """The value counted in column ``i`` (None when missing or excluded)."""
        return None if i in self.excluded else self.values[i]

    @property
    def cells(self) -> list[Cell]:
        return [
            Cell(value, run_id, self.trained.get(i), i in self.excluded, None if not self.training_known else i not in self.trained)
            for i, (value, run_id) in enumerate(zip(self.values, self.run_ids, strict=True))
        ]


@dataclass
class BoardTable:
    """A benchmark's model × task table of main scores, after filters, ranked by mean."""

    benchmark: str
    columns: list[TaskInfo]
    rows: list[BoardRow]
    total_models: int = 0  # models with any result on the benchmark, before filters


def board_table(
    snap: Snapshot, benchmark: str, keep: Callable[[ModelInfo], bool] | None = None, *, zero_shot_only: bool = False
) -> BoardTable:
    """Rows for every model with a result on ``benchmark`` that ``keep`` accepts.

    Columns are the benchmark's tasks that have any result at all (unfiltered, so that a row's
    completeness does not depend on the filters).  A missing cell is ``None`` and never counts
    as 0: the mean (:func:`benchmarks.aggregate.benchmark_mean`, CQADupStack's forums averaged
    first) is given only for complete rows, and only complete rows are ranked, equal means
    sharing a rank.  With ``zero_shot_only``, cells on a model's own training data
    (:mod:`benchmarks.zero_shot`) are excluded, which makes such a row partial; a model whose
    training data is unknown keeps its cells, as MTEB's leaderboard keeps such models.
    """
    columns = [task for task in snap.tasks_of(benchmark) if snap.task_counts.get(task.id)]
    column_ids = [task.id for task in columns]
    model_ids = snap.benchmark_models.get(benchmark, set())
    no_exclusions: frozenset[int] = frozenset()
    rows: list[BoardRow] = []
    for model_id in model_ids:
        model = snap.models[model_id]
        if keep is not None and not keep(model):
            continue
        per_task = snap.cells[model_id]
        matched = trained_columns(model.training_datasets, columns)
        trained = matched or {}
        hits = [per_task.get(task_id) for task_id in column_ids]
        values = [hit[0] if hit is not None else None for hit in hits]
        run_ids = [hit[1] if hit is not None else None for hit in hits]
        excluded = frozenset(i for i in trained if values[i] is not None) if zero_shot_only and trained else no_exclusions
        counted = [None if i in excluded else value for i, value in enumerate(values)] if excluded else values
        mean = benchmark_mean(columns, counted)
        rows.append(
            BoardRow(
                model=model,
                values=values,
                run_ids=run_ids,
                trained=trained,
                excluded=excluded,
                n_present=sum(1 for value in counted if value is not None),
                complete=mean.complete,
                mean=mean.value,
                partial_mean=None if mean.complete else mean.over_present,
                covers=mean.covers,
                training_known=matched is not None,
            )
        )
    rows.sort(key=lambda r: (not r.complete, -(r.mean if r.complete else r.n_present), -(r.partial_mean or 0.0), r.model.name))
    rank = 0
    previous = None
    for position, row in enumerate(rows, start=1):
        if not row.complete:
            break
        if row.mean != previous:
            rank, previous = position, row.mean
        row.rank = rank
    return BoardTable(benchmark=benchmark, columns=columns, rows=rows, total_models=len(model_ids))


# ------------------------------------------------------------------ detail queries
def task_results(session: Session, task_id: str) -> list[dict]:
    """Every metric of every current result on one task: {model_id, run_id, finished_at, scores}."""
    stmt = (
        select(schema.CurrentResult.model_id, schema.CurrentResult.run_id, schema.Run.finished_at, schema.Score.metric, schema.Score.value)
        .join(schema.Run, schema.Run.id == schema.CurrentResult.run_id)
        .join(schema.Score, (schema.Score.run_id == schema.CurrentResult.run_id) & (schema.Score.variant == ""))
        .where(schema.CurrentResult.task_id == task_id)
    )
    rows: dict[int, dict] = {}
    for model_id, run_id, finished, metric, value in session.execute(stmt):
        row = rows.setdefault(model_id, {"model_id": model_id, "run_id": run_id, "finished_at": finished, "scores": {}})
        if value is not None:
            row["scores"][metric] = value
    return list(rows.values())


@dataclass
class RunSummary:
    id: int
    model_id: int
    task_id: str
    status: str
    kind: str
    started_at: datetime | None
    finished_at: datetime | None
    config_sha256: str
    reproduces_run_id: int | None
    current: bool
    scores: dict[tuple[str, str], float] = field(default_factory=dict)  # (variant, metric) -> value
    manifest: dict | None = None

    def main(self, metric: str) -> float | None:
        return self.scores.get(("", metric))


_run_kind = getattr(schema.Run, "kind", None)
_run_reproduces = getattr(schema.Run, "reproduces_run_id", None)


def _run_columns() -> list:
    columns = [
        schema.Run.id,
        schema.Run.model_id,
        schema.Run.task_id,
        schema.Run.status,
        schema.Run.started_at,
        schema.Run.finished_at,
        schema.Run.config_sha256,
    ]
    columns.append(_run_kind if _run_kind is not None else literal("board"))
    columns.append(_run_reproduces if _run_reproduces is not None else literal(None))
    columns.append(schema.CurrentResult.run_id)
    return columns


def _current_join(stmt):
    return stmt.outerjoin(
        schema.CurrentResult,
        (schema.CurrentResult.model_id == schema.Run.model_id)
        & (schema.CurrentResult.task_id == schema.Run.task_id)
        & (schema.CurrentResult.run_id == schema.Run.id),
    )


def _summary(row) -> RunSummary:
    run_id, model_id, task_id, status, started, finished, config_sha, kind, reproduces, current = row
    return RunSummary(run_id, model_id, task_id, status, kind or "board", started, finished, config_sha, reproduces, current is not None)


def _attach_scores(session: Session, runs: dict[int, RunSummary]) -> None:
    """Fill each summary's scores (every metric and variant, never the per-query values)."""
    ids = list(runs)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        columns = (schema.Score.run_id, schema.Score.variant, schema.Score.metric, schema.Score.value)
        stmt = select(*columns).where(schema.Score.run_id.in_(chunk))
        for run_id, variant, metric, value in session.execute(stmt):
            if value is not None:
                runs[run_id].scores[(variant, metric)] = value


def model_runs(session: Session, model_id: int, *, with_manifest: bool = True) -> list[RunSummary]:
    """Every run of a model (history and reproductions too), newest first, with scores and manifests."""
    columns = _run_columns()
    if with_manifest:
        columns.append(schema.Run.manifest)
    stmt = _current_join(select(*columns)).where(schema.Run.model_id == model_id).order_by(schema.Run.id.desc())
    runs: dict[int, RunSummary] = {}
    for row in session.execute(stmt):
        summary = _summary(row[:10])
        if with_manifest:
            summary.manifest = row[10] if isinstance(row[10], dict) else {}
        runs[summary.id] = summary
    _attach_scores(session, runs)
    return list(runs.values())


def reported_scores(session: Session, model_id: int | None = None) -> list[schema.ReportedScore]:
    """Published numbers (a stored non-finite one reads as None and is left out, as missing)."""
    stmt = select(schema.ReportedScore).order_by(schema.ReportedScore.task_id, schema.ReportedScore.metric, schema.ReportedScore.id)
    if model_id is not None:
        stmt = stmt.where(schema.ReportedScore.model_id == model_id)
    return [row for row in session.scalars(stmt) if row.value is not None]


@dataclass
class RunDetail:
    run: schema.Run
    summary: RunSummary
    grades: list = field(default_factory=list)
    reproductions: list[int] = field(default_factory=list)


def run_detail(session: Session, run_id: int) -> RunDetail | None:
    """One run with its scores (no per-query values), its grades and the reruns that reproduce it."""
    run = session.get(schema.Run, run_id)
    if run is None:
        return None
    row = session.execute(_current_join(select(*_run_columns())).where(schema.Run.id == run_id)).one()
    summary = _summary(row)
    summary.manifest = run.manifest if isinstance(run.manifest, dict) else {}
    _attach_scores(session, {run_id: summary})
    detail = RunDetail(run=run, summary=summary)
    grade_table = getattr(schema, "Grade", None)
    if grade_table is not None:
        detail.grades = list(session.scalars(select(grade_table).where(grade_table.run_id == run_id).order_by(grade_table.id)))
    if _run_reproduces is not None:
        detail.reproductions = list(session.scalars(select(schema.Run.id).where(_run_reproduces == run_id).order_by(schema.Run.id)))
    return detail


def per_query_values(session: Session, run_id: int) -> dict[str, dict[str, dict]]:
    """variant -> metric -> {query id: value} for one run (large; only on request)."""
    stmt = select(schema.Score.variant, schema.Score.metric, schema.Score.per_query).where(schema.Score.run_id == run_id)
    values: dict[str, dict[str, dict]] = {}
    for variant, metric, per_query in session.execute(stmt):
        values.setdefault(variant, {})[metric] = per_query or {}
    return values


def variant_main_scores(session: Session, benchmark: str) -> list[tuple[int, str, str, float]]:
    """(model id, task id, variant, value) of the main score of every non-default variant of current runs."""
    stmt = (
        select(schema.CurrentResult.model_id, schema.CurrentResult.task_id, schema.Score.variant, schema.Score.value)
        .join(schema.Task, schema.Task.id == schema.CurrentResult.task_id)
        .join(
            schema.Score,
            (schema.Score.run_id == schema.CurrentResult.run_id)
            & (schema.Score.metric == schema.Task.main_score)
            & (schema.Score.variant != ""),
        )
        .where(schema.Task.benchmark == benchmark)
    )
    return [tuple(row) for row in session.execute(stmt) if row[3] is not None]


THROUGHPUT_KEYS = ("corpus_docs_per_s",)


def throughputs(session: Session, benchmark: str) -> list[tuple[int, str, float, str]]:
    """(model id, task id, items encoded per second, device) of current runs that recorded it.

    Read from ``manifest["model"]["corpus_docs_per_s"]`` (dense encoders: documents encoded per
    second over the whole corpus), extracted in SQL so that manifests are not loaded.
    """
    out = []
    sqlite = session.bind.dialect.name == "sqlite"
    for key in THROUGHPUT_KEYS:
        value = schema.Run.manifest[("model", key)].as_float()
        device = schema.Run.manifest[("hardware", "device")].as_string()
        if sqlite:
            # SQLite's json_extract fails the whole query on one manifest that is not strict JSON
            # (``Infinity``, written by older versions); CASE evaluates it only on valid ones
            valid = func.json_valid(schema.Run.manifest) == 1
            value, device = case((valid, value), else_=None), case((valid, device), else_=None)
        stmt = (
            select(schema.CurrentResult.model_id, schema.CurrentResult.task_id, value, device)
            .join(schema.Run, schema.Run.id == schema.CurrentResult.run_id)
            .join(schema.Task, schema.Task.id == schema.CurrentResult.task_id)
            .where(schema.Task.benchmark == benchmark, value.is_not(None))
        )
        out.extend((m, t, float(v), d or "") for m, t, v, d in session.execute(stmt) if v is not None and math.isfinite(v) and v > 0)
    return out


def _paged(session: Session, stmt, limit: int, offset: int, count: Callable[[Callable[[], int]], int] | None) -> tuple[int, list]:
    """A page of ``stmt`` and the total row count; ``count`` may cache the total (it costs a full scan)."""

    def total_rows() -> int:
        return session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0

    total = count(total_rows) if count is not None else total_rows()
    return total, list(session.execute(stmt.limit(limit).offset(offset)))


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
    stmt = _current_join(stmt).where(public_models())
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
    total, rows = _paged(session, stmt, limit, offset, count)
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


def runs_page(
    session: Session,
    *,
    model: str | None = None,
    task: str | None = None,
    kind: str | None = None,
    limit: int = 100,
    offset: int = 0,
    count: Callable[[Callable[[], int]], int] | None = None,
) -> tuple[int, list[tuple[RunSummary, str]]]:
    """Runs newest first, as (summary without scores, model name)."""
    stmt = _current_join(select(*_run_columns(), schema.Model.name).join(schema.Model, schema.Model.id == schema.Run.model_id))
    stmt = stmt.where(public_models())
    if model:
        stmt = stmt.where(schema.Model.name == model)
    if task:
        stmt = stmt.where(schema.Run.task_id == task)
    if kind and _run_kind is not None:
        stmt = stmt.where(_run_kind == kind)
    stmt = stmt.order_by(schema.Run.id.desc())
    total, rows = _paged(session, stmt, limit, offset, count)
    return total, [(_summary(row[:10]), row[10]) for row in rows]


# ------------------------------------------------------------------ reproductions and per-item values
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


def reproductions(session: Session, *, model_id: int | None = None, main_only: bool = True) -> dict[tuple[int, str, str], Reproduction]:
    """(model id, task id, metric) -> its reproductions; by default only each task's main score.

    Read through ``grades`` rather than by scanning ``runs`` for their kind: ``grades.run_id``
    is indexed, ``runs.kind`` is not, and the board reads this once per data version.
    """
    grade_table = getattr(schema, "Grade", None)
    if grade_table is None:
        return {}
    stmt = (
        select(
            grade_table.run_id,
            schema.Run.model_id,
            schema.Run.task_id,
            grade_table.metric,
            schema.Run.finished_at,
            _run_reproduces if _run_reproduces is not None else literal(None),
            grade_table.against,
            grade_table.expected,
            grade_table.got,
            grade_table.tolerance,
            grade_table.grade,
            grade_table.source,
            getattr(grade_table, "tolerance_rule", literal("")),
            getattr(grade_table, "tolerance_reason", literal("")),
        )
        .join(schema.Run, schema.Run.id == grade_table.run_id)
        .order_by(grade_table.run_id, grade_table.id)
    )
    if main_only:
        stmt = stmt.join(schema.Task, schema.Task.id == schema.Run.task_id).where(grade_table.metric == schema.Task.main_score)
    if model_id is not None:
        stmt = stmt.where(schema.Run.model_id == model_id)
    out: dict[tuple[int, str, str], Reproduction] = {}
    rank = {verdict: i for i, verdict in enumerate(("OK", "OKish", "FAIL"))}
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


GOLD_SCORE = "gold_score"  # STS: the per-pair gold the correlations are computed against (benchmarks.metrics.sts)


@dataclass
class ItemValues:
    """A run's main score with its per-item values (and, for correlations, the per-item gold)."""

    run_id: int
    metric: str
    value: float
    per_query: dict[str, float]
    gold: dict[str, float] | None = None


def main_item_values(session: Session, run_ids: list[int], *, chunk: int = 500) -> dict[int, ItemValues]:
    """Per-item values of the main score (and the ``gold_score`` row, where there is one) of each run.

    Large (every query of every run asked for); the site calls it only for runs whose derived
    statistics are not cached yet.
    """
    out: dict[int, ItemValues] = {}
    golds: dict[int, dict] = {}
    ids = sorted(set(run_ids))
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        stmt = (
            select(schema.Score.run_id, schema.Score.metric, schema.Score.value, schema.Score.per_query, schema.Task.main_score)
            .join(schema.Run, schema.Run.id == schema.Score.run_id)
            .join(schema.Task, schema.Task.id == schema.Run.task_id)
            .where(
                schema.Score.run_id.in_(part),
                schema.Score.variant == "",
                (schema.Score.metric == schema.Task.main_score) | (schema.Score.metric == GOLD_SCORE),
            )
        )
        for run_id, metric, value, per_query, main in session.execute(stmt):
            values = per_query if isinstance(per_query, dict) else {}
            if value is None:
                continue
            if metric == main:
                out[run_id] = ItemValues(run_id, metric, value, values)
            else:
                golds[run_id] = values
    for run_id, gold in golds.items():
        if run_id in out:
            out[run_id].gold = gold
    return out
