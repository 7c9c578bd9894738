"""The model view: a model's page, its downloads and the API's ``/models/<name>``, built once per data version."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from benchmarks.aggregate import benchmark_mean
from benchmarks.contract import DATA_DIFFERENCE_KEY
from benchmarks.zero_shot import UNKNOWN, training_match
from leaderboard.grading import Numerics, grade, tolerance_rule
from leaderboard.views.labels import benchmark_name, metric_label, task_metrics
from leaderboard.views.precision import PrecisionRow, precision_rows
from leaderboard.views.reproductions import Reproduction, reported_scores, reproductions
from leaderboard.views.runs import MetricColumn, RunSummary, model_runs
from leaderboard.views.snapshot import ModelInfo, Snapshot, TaskInfo, known_benchmarks, task_order


def model_fields(model: ModelInfo) -> dict:
    """A model's own fields as the models listing, its CSV and the API show them."""
    return {
        "name": model.name,
        "backend": model.backend,
        "families": list(model.families),
        "parameters": model.parameters,
        "embedding_dim": model.embedding_dim,
        "license": model.license,
        "open_weights": model.open_weights,
        "reference": model.is_reference,
        "training_datasets": list(model.training_datasets) if model.training_datasets is not None else None,
    }


@dataclass(frozen=True)
class ModelResult:
    """The model's current run of one task: its metrics in display order and whether it is zero-shot (tri-state)."""

    run: RunSummary
    task: TaskInfo | None
    metrics: list[str]
    zero_shot: bool | None  # None: unknown (no training data listed, or a task the code no longer knows)
    trained_on: str | None
    commands: dict[str, str]

    @property
    def main(self) -> float | None:
        return self.run.main(self.task.main_score) if self.task else None


@dataclass
class ReportedRow:
    """A published number of the model next to ours, with Δ, the 2CR-style grade and its latest reproduction."""

    task: str
    scope: str  # "task" | "benchmark" (a number reported for a whole benchmark, compared with our mean)
    metric: str
    label: str
    reported: float
    source: str
    ours: float | None
    run_id: int | None
    note: str
    delta: float | None
    grade: str | None
    tolerance: float
    tolerance_rule: str
    tolerance_reason: str
    reproduced: float | None
    reproduced_grade: str | None
    reproduction_run_id: int | None
    reproductions: int
    mean_covers: tuple[str, ...] = ()  # scope "benchmark": what our mean averages
    data_note: str = ""  # how our copy of the task's data differs from the one the published number used (metric_spec)

    @property
    def explanation(self) -> str:
        """What a grade short of OK says for itself: the task's data difference (SICK-R: 9,840 pairs, MTEB's 9,927), if any."""
        return self.data_note if self.grade in ("OKish", "FAIL") else ""


@dataclass
class ScoreBlock:
    """One benchmark's block of the model page: the main score first (beside the published number), then the rest."""

    benchmark: str
    name: str
    rows: list[ModelResult]
    main_label: str
    main_title: str
    others: list[MetricColumn]


@dataclass(frozen=True)
class Related:
    """Another model this one is related to (:mod:`submissions.kinship`): the same weights, or a tuned variant."""

    kind: str  # "same-weights" | "tuned-variant-of" (this is the variant) | "tuned-variant" (the other one is)
    model: str
    fields: tuple[str, ...] = ()  # the hyperparameters that differ

    @property
    def label(self) -> str:
        return {"same-weights": "same weights as", "tuned-variant-of": "tuned variant of", "tuned-variant": "tuned variant:"}[self.kind]


@dataclass
class ModelView:
    model: ModelInfo
    runs: list[RunSummary]  # every run, newest first (history and reproductions too)
    results: list[ModelResult]  # the current run of each task, by task id
    metrics: list[str]  # every metric of those runs (the CSV's columns)
    reported: list[ReportedRow]
    reported_main: dict[str, ReportedRow]  # task -> the published main score shown beside ours (the config's first)
    blocks: list[ScoreBlock] = field(default_factory=list)
    all_commands: dict[str, str] = field(default_factory=dict)
    related: list[Related] = field(default_factory=list)
    precisions: list[PrecisionRow] = field(default_factory=list)  # quality vs throughput per precision (leaderboard/views/precision.py)


def _result(model: ModelInfo, run: RunSummary, task: TaskInfo | None) -> ModelResult:
    seen = {m for (v, m) in run.scores if v == ""}
    names = task_metrics(task, seen) if task else sorted({m for (_, m) in run.scores})
    match = training_match(model.training_datasets, task) if task else UNKNOWN
    return ModelResult(run, task, [m for m in names if ("", m) in run.scores], match.state, match.matched, model.commands(run.task_id))


def _block(benchmark: str, rows: list[ModelResult]) -> ScoreBlock:
    mains = {r.task.main_score for r in rows if r.task}
    first = rows[0].task
    main_metric = next(iter(mains)) if len(mains) == 1 else None
    others: list[str] = []
    for r in rows:
        others.extend(m for m in r.metrics if m != main_metric and m not in others)
    return ScoreBlock(
        benchmark=benchmark,
        name=benchmark_name(benchmark),
        rows=rows,
        main_label=MetricColumn.of(main_metric, first).label if main_metric else "Main score",
        main_title=MetricColumn.of(main_metric, first).definition if main_metric else "each task's main score",
        others=[MetricColumn.of(m, first) for m in others],
    )


def _reproduced(entry: Reproduction | None, value: float, source: str) -> dict:
    """The latest reproduction's number and grade for one published number (None when never reproduced).

    The grade is the one stored by ``leaderboard reproduce`` against this published number (its
    source and value); it is left out when that reproduction was graded against another value
    (the config's number changed since).
    """
    graded = entry.against_reported(value, source) if entry is not None else None
    return {
        "reproduced": graded.got if graded else None,
        "reproduced_grade": graded.grade if graded else None,
        "reproduction_run_id": entry.last_run_id if entry is not None else None,
        "reproductions": entry.count if entry is not None else 0,
    }


def data_difference(task: TaskInfo | None) -> str:
    return str((task.metric_spec or {}).get(DATA_DIFFERENCE_KEY) or "") if task is not None else ""


def reported_rows(
    session: Session, snap: Snapshot, model: ModelInfo, runs: list[RunSummary], registered: dict[str, TaskInfo]
) -> list[ReportedRow]:
    """Each published number of the model next to ours, with Δ and the 2CR-style grade.

    A number reported for a whole benchmark (``task: tatoeba``) is compared with our mean of
    that metric over every registered task of the benchmark, taken as every benchmark mean is
    (:func:`benchmarks.aggregate.benchmark_mean`: CQADupStack's forums count once), only when
    all of them were run.
    """
    current = {r.task_id: r for r in runs if r.current}
    benchmarks = set(known_benchmarks(snap))
    reproduced = reproductions(session, model_id=model.id, main_only=False)
    rows = []
    for reported in reported_scores(session, model.id):
        task = snap.tasks.get(reported.task_id)
        run = current.get(reported.task_id)
        ours, run_id, note, scope, covers = None, None, "", "task", ()
        numerics = Numerics.of_run(model.config)
        if run is not None:
            ours, run_id = run.scores.get(("", reported.metric)), run.id
            numerics = Numerics.of_run(model.config, run.manifest)
        elif reported.task_id in benchmarks:
            scope = "benchmark"
            members = {t.id: t for t in registered.values() if t.benchmark == reported.task_id}
            members |= {t.id: t for t in snap.tasks.values() if t.benchmark == reported.task_id}
            columns = [members[t] for t in sorted(members)]
            values = [current[t.id].scores.get(("", reported.metric)) if t.id in current else None for t in columns]
            mean = benchmark_mean(columns, values) if columns else None
            ours, covers = (mean.value, mean.covers) if mean is not None else (None, ())
            note = f"mean over the benchmark's {len(columns)} tasks; {sum(v is not None for v in values)} run"
        tolerance = tolerance_rule(reported.metric, task=reported.task_id, against="reported", numerics=numerics)
        rows.append(
            ReportedRow(
                task=reported.task_id,
                scope=scope,
                metric=reported.metric,
                label=metric_label(reported.metric, task),
                reported=reported.value,
                source=reported.source,
                ours=ours,
                run_id=run_id,
                note=note,
                delta=None if ours is None else ours - reported.value,
                grade=None if ours is None else grade(reported.value, ours, tolerance=tolerance),
                tolerance=tolerance.value,
                tolerance_rule=tolerance.rule,
                tolerance_reason=tolerance.reason,
                **_reproduced(reproduced.get((model.id, reported.task_id, reported.metric)), reported.value, reported.source),
                mean_covers=covers,
                data_note=data_difference(task),
            )
        )
    return rows


def loaded_weight_hashes(session: Session, model_ids: list[int]) -> dict[int, dict]:
    """model id -> the weight hashes its newest run loaded (the manifest's ``weights_sha256``): for configs that pin none."""
    from sqlalchemy import func, select

    from leaderboard import schema

    if not model_ids:
        return {}
    newest = select(func.max(schema.Run.id)).where(schema.Run.model_id.in_(model_ids)).group_by(schema.Run.model_id)
    rows = session.execute(select(schema.Run.model_id, schema.Run.manifest).where(schema.Run.id.in_(newest)))
    return {model_id: (manifest or {}).get("weights_sha256") or {} for model_id, manifest in rows if isinstance(manifest, dict)}


def related_to(
    session: Session, snap: Snapshot, config: dict, *, is_reference: bool, loaded: Iterable[dict] = (), name: str | None = None
) -> list[Related]:
    """The published models with the same weights as ``config``, and its tuned variants or the reference it tunes.

    ``loaded``: the weight hashes its runs loaded (manifests), besides the config's pins;
    ``name``: the model itself, left out.  Both directions are found from either model's page, so
    the two pages link each other; a submission's status page asks the same before it has run.
    """
    from submissions.kinship import fingerprint, same_weights, tuned_fields

    mine = fingerprint(config, loaded)
    key = name.lower() if name else None
    others = [m for m in snap.by_name.values() if m.name.lower() != key]
    unpinned = [m.id for m in others if not ((m.config.get("weights") or {}).get("sha256"))]
    hashes = loaded_weight_hashes(session, unpinned)
    related = []
    for other in sorted(others, key=lambda m: m.name.lower()):
        shared = same_weights(mine, fingerprint(other.config, [hashes.get(other.id, {})]))
        if shared:
            related.append(Related("same-weights", other.name))
        if other.is_reference and not is_reference:
            fields = tuned_fields(config, other.config, same_weight_files=shared)
            if fields:
                related.append(Related("tuned-variant-of", other.name, tuple(fields)))
        elif is_reference and not other.is_reference:
            fields = tuned_fields(other.config, config, same_weight_files=shared)
            if fields:
                related.append(Related("tuned-variant", other.name, tuple(fields)))
    return related


def model_view(session: Session, snap: Snapshot, model: ModelInfo, registered: dict[str, TaskInfo]) -> ModelView:
    """The model's runs, current results (zero-shot tri-state), published numbers and per-benchmark blocks."""
    runs = model_runs(session, model.id)
    current = sorted((r for r in runs if r.current), key=lambda r: task_order(r.task_id))
    results = [_result(model, run, snap.tasks.get(run.task_id)) for run in current]
    metrics: list[str] = []
    for r in results:
        metrics.extend(m for m in r.metrics if m not in metrics)
    reported = reported_rows(session, snap, model, runs, registered)
    reported_main: dict[str, ReportedRow] = {}
    for r in reported:  # several sources for one main score: the config's first is the one beside the score
        if r.task in snap.tasks and r.metric == snap.tasks[r.task].main_score:
            reported_main.setdefault(r.task, r)
    order = known_benchmarks(snap)
    benchmarks_run = sorted({r.task.benchmark for r in results if r.task}, key=order.index)
    blocks = [_block(b, [r for r in results if r.task and r.task.benchmark == b]) for b in benchmarks_run]
    return ModelView(
        model=model,
        runs=runs,
        results=results,
        metrics=metrics,
        reported=reported,
        reported_main=reported_main,
        blocks=blocks,
        all_commands=model.commands([r.run.task_id for r in results] or None),
        related=related_to(
            session,
            snap,
            model.config,
            is_reference=model.is_reference,
            loaded=(r.manifest.get("weights_sha256") or {} for r in runs if r.manifest),
            name=model.name,
        ),
        precisions=precision_rows((r.run, r.task) for r in results),
    )
