"""Quality vs throughput per precision, for the model page and the throughput plot.

A run with ``precisions:`` stores each precision's main score as a variant (``int8``, ``bf16``;
:mod:`common.variants`) and, in its manifest, that precision's own encoding pass
(``precision_variants``: docs/s, tokens/s, the pass's peak RSS, its numerics).  The fp32 row is the
run as configured, its pass the manifest's ``encode_pass``.  A throughput is shown only for a
cold pass (one the embedding cache served measures the cache, not the model).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from benchmarks.aggregate import benchmark_mean
from common.variants import PRECISIONS, REFERENCE_PRECISION, parse_variant
from leaderboard import schema
from leaderboard.views.board import BoardTable
from leaderboard.views.runs import RunSummary
from leaderboard.views.snapshot import TaskInfo
from leaderboard.views.speed import hardware_label, positive


@dataclass(frozen=True)
class PrecisionRow:
    task: str
    precision: str  # "fp32" (the run as configured) or a precision variant
    metric: str
    score: float
    delta: float  # score − the fp32 score of the same run
    docs_per_s: float | None  # of a cold pass only
    tokens_per_s: float | None
    peak_rss_mb: float | None  # this pass's own peak, sampled during it
    dtype: str
    hardware: str
    run_id: int


def _pass_numbers(record: Mapping | None) -> tuple[float | None, float | None, float | None]:
    if not isinstance(record, Mapping):
        return None, None, None
    cold = record.get("measured") == "cold pass"
    return (
        positive(record.get("docs_per_s")) if cold else None,
        positive(record.get("tokens_per_s")) if cold else None,
        positive(record.get("peak_rss_mb")),
    )


def run_precisions(run: RunSummary, task: TaskInfo) -> list[PrecisionRow]:
    """The fp32 row and one row per precision variant of ``run`` (nothing when the run has no precision variant)."""
    metric = task.main_score
    variants = [v for (v, m) in run.scores if m == metric and (p := parse_variant(v)) is not None and p.precision and p.dim is None]
    fp32 = run.main(metric)
    if not variants or fp32 is None:
        return []
    manifest = run.manifest if isinstance(run.manifest, Mapping) else {}
    model = manifest.get("model") if isinstance(manifest.get("model"), Mapping) else {}
    records = manifest.get("precision_variants") if isinstance(manifest.get("precision_variants"), Mapping) else {}
    machine = hardware_label(manifest.get("hardware"))
    rows = [
        PrecisionRow(
            task.id,
            REFERENCE_PRECISION,
            metric,
            fp32,
            0.0,
            *_pass_numbers(model.get("encode_pass") or manifest.get("encode_pass")),
            str(manifest.get("dtype") or "float32"),
            machine,
            run.id,
        )
    ]
    for variant in sorted(variants, key=list(PRECISIONS).index):
        record = records.get(variant) if isinstance(records.get(variant), Mapping) else None
        numerics = (record or {}).get("numerics") if isinstance((record or {}).get("numerics"), Mapping) else {}
        score = run.scores[(variant, metric)]
        rows.append(
            PrecisionRow(
                task.id,
                variant,
                metric,
                score,
                score - fp32,
                *_pass_numbers(record),
                str(numerics.get("dtype") or variant),
                machine,
                run.id,
            )
        )
    return rows


def precision_rows(results: Iterable[tuple[RunSummary, TaskInfo | None]]) -> list[PrecisionRow]:
    """Every current run's precision rows, by task."""
    rows: list[PrecisionRow] = []
    for run, task in results:
        if task is not None:
            rows.extend(run_precisions(run, task))
    return rows


@dataclass(frozen=True)
class PrecisionPoint:
    """A precision variant of a complete board row: its mean main score and median cold docs/s, for the speed plot."""

    precision: str
    mean: float
    docs_per_s: float


def precision_points(session: Session, table: BoardTable) -> dict[int, list[PrecisionPoint]]:
    """model id -> one point per precision that every column of the model's complete row has, with a measured pass.

    The mean is the board's (:func:`benchmarks.aggregate.benchmark_mean` over the same columns), so
    a point sits on the same scale as its fp32 parent; rows with a column the variant lacks get none.
    """
    complete = {row.model.id: row for row in table.rows if row.complete}
    if not complete:
        return {}
    column_ids = [task.id for task in table.columns]
    stmt = (
        select(schema.CurrentResult.model_id, schema.CurrentResult.task_id, schema.Score.variant, schema.Score.value, schema.Run.manifest)
        .join(schema.Run, schema.Run.id == schema.CurrentResult.run_id)
        .join(schema.Task, schema.Task.id == schema.CurrentResult.task_id)
        .join(
            schema.Score,
            (schema.Score.run_id == schema.CurrentResult.run_id)
            & (schema.Score.metric == schema.Task.main_score)
            & (schema.Score.variant.in_(list(PRECISIONS))),
        )
        .where(schema.Task.benchmark == table.benchmark, schema.CurrentResult.model_id.in_(list(complete)))
    )
    scores: dict[tuple[int, str], dict[str, float]] = {}
    rates: dict[tuple[int, str], list[float]] = {}
    for model_id, task_id, variant, value, manifest in session.execute(stmt):
        if value is None:
            continue
        scores.setdefault((model_id, variant), {})[task_id] = value
        records = manifest.get("precision_variants") if isinstance(manifest, Mapping) else None
        record = records.get(variant) if isinstance(records, Mapping) else None
        rate = _pass_numbers(record)[0]
        if rate is not None:
            rates.setdefault((model_id, variant), []).append(rate)
    out: dict[int, list[PrecisionPoint]] = {}
    for (model_id, precision), per_task in sorted(scores.items(), key=lambda item: (item[0][0], list(PRECISIONS).index(item[0][1]))):
        mean = benchmark_mean(table.columns, [per_task.get(task_id) for task_id in column_ids])
        if mean.complete and mean.value is not None and rates.get((model_id, precision)):
            out.setdefault(model_id, []).append(PrecisionPoint(precision, mean.value, statistics.median(rates[(model_id, precision)])))
    return out
