"""The JSON API, ``/api/v1/``: benchmarks, tasks, models, scores and runs.

Field names are part of the contract (documented in the README, section "JSON API"): new
fields may be added, existing ones are never renamed or removed within v1.  Scores are full
precision floats; a missing cell is ``null``, never 0.  Lists that can grow large (scores,
runs) are paged with ``limit``/``offset`` and say ``total`` and ``next``.  Responses are cached
per data version, like the pages.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from flask import Blueprint, Response, abort, request, url_for

from leaderboard import queries
from leaderboard.queries import ModelInfo, TaskInfo
from web.cache import cached_response, db_session, memo, snapshot
from web.filters import Filters
from web.labels import benchmark_blurb, benchmark_name, metric_label
from web.pages import _reported_rows, board, known_benchmarks, registered_tasks, reproduce_commands
from web.tables import model_records, sort_rows

api = Blueprint("api", __name__, url_prefix="/api/v1")

MAX_LIMIT = 10_000


def _cached(build: Callable[[], object]) -> Response:
    """Serialize once per (data version, full URL); the response cache then serves it."""
    return Response(json.dumps(build(), default=str, ensure_ascii=False), mimetype="application/json")


def _int_arg(name: str, default: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        abort(400, description=f"{name} must be an integer, got {raw!r}")
    if value < 0:
        abort(400, description=f"{name} must be ≥ 0")
    return min(value, high)


def _bool_arg(name: str, default: bool) -> bool:
    raw = request.args.get(name)
    if raw is None:
        return default
    return raw.lower() in {"1", "true", "yes", "on"}


def _total_cached(what: str) -> Callable[[Callable[[], int]], int]:
    """Cache a listing's total per data version and filters (not per page): counting is a full scan."""
    filters = tuple(sorted((k, v) for k, v in request.args.items(multi=True) if k not in {"limit", "offset"}))
    return lambda count: memo(("total", what, filters), count)


def _next(total: int, limit: int, offset: int) -> str | None:
    if offset + limit >= total:
        return None
    args = request.args.to_dict(flat=False)
    args["offset"] = [str(offset + limit)]
    args["limit"] = [str(limit)]
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def task_record(task: TaskInfo, models: int | None = None) -> dict:
    record = {
        "id": task.id,
        "benchmark": task.benchmark,
        "dataset": task.dataset,
        "split": task.split,
        "main_score": task.main_score,
        "main_score_label": metric_label(task.main_score, task),
        "license": task.license,
        "source_url": task.source_url,
        "metric_spec": task.metric_spec,
    }
    if models is not None:
        record["models"] = models
    return record


def model_record(model: ModelInfo) -> dict:
    return model_records([model])[0]


@api.get("/")
def index():
    return {
        "version": "v1",
        "endpoints": {
            "benchmarks": url_for("api.benchmarks"),
            "benchmark": url_for("api.benchmark", benchmark="beir"),
            "tasks": url_for("api.tasks"),
            "task": url_for("api.task", task_id="beir/scifact"),
            "models": url_for("api.models"),
            "model": url_for("api.model", name="bm25s-flat"),
            "scores": url_for("api.scores"),
            "runs": url_for("api.runs"),
            "run": url_for("api.run", run_id=1),
        },
    }


@api.get("/benchmarks")
@cached_response
def benchmarks():
    def build():
        snap = snapshot()
        registry = registered_tasks()
        out = []
        for b in known_benchmarks(snap):
            table = board(b, Filters())
            out.append(
                {
                    "id": b,
                    "name": benchmark_name(b),
                    "description": benchmark_blurb(b),
                    "tasks": [t.id for t in table.columns],
                    "registered_tasks": sum(1 for t in registry.values() if t.benchmark == b),
                    "models": len(table.rows),
                    "complete_models": sum(1 for r in table.rows if r.complete),
                }
            )
        return {"benchmarks": out}

    return _cached(build)


@api.get("/benchmarks/<benchmark>")
@cached_response
def benchmark(benchmark: str):
    snap = snapshot()
    if benchmark not in known_benchmarks(snap):
        abort(404, description=f"unknown benchmark {benchmark!r}")

    def build():
        filters = Filters.from_args(request.args)
        table = board(benchmark, filters)
        sort = request.args.get("sort", "")
        order = "asc" if request.args.get("order", "asc" if sort == "model" else "desc") == "asc" else "desc"
        rows = sort_rows(table, sort, order)
        limit = _int_arg("limit", len(rows) or 1, MAX_LIMIT)
        offset = _int_arg("offset", 0, 10**9)
        shown = rows[offset : offset + limit]
        return {
            "benchmark": benchmark,
            "filters": dict(filters.params()),
            "sort": sort or "mean",
            "order": order,
            "total": len(rows),
            "limit": limit,
            "offset": offset,
            "next": _next(len(rows), limit, offset),
            "models_with_results": table.total_models,
            "columns": [
                {"task": t.id, "dataset": t.dataset, "main_score": t.main_score, "main_score_label": metric_label(t.main_score, t)}
                for t in table.columns
            ],
            "rows": [
                {
                    "rank": row.rank,
                    "model": row.model.name,
                    "parameters": row.model.parameters,
                    "families": list(row.model.families),
                    "license": row.model.license,
                    "open_weights": row.model.open_weights,
                    "reference": row.model.is_reference,
                    "scores": {t.id: row.shown(i) for i, t in enumerate(table.columns)},
                    "run_ids": {t.id: row.run_ids[i] for i, t in enumerate(table.columns) if row.run_ids[i] is not None},
                    "not_zero_shot": {table.columns[i].id: name for i, name in sorted(row.trained.items())},
                    "mean": row.mean,
                    "complete": row.complete,
                    "n_scores": row.n_present,
                    "mean_over_present": row.mean if row.complete else row.partial_mean,
                }
                for row in shown
            ],
        }

    return _cached(build)


@api.get("/tasks")
@cached_response
def tasks():
    def build():
        snap = snapshot()
        counts = snap.task_counts
        everything = {**registered_tasks(), **snap.tasks}
        wanted = request.args.get("benchmark")
        chosen = sorted((t for t in everything.values() if not wanted or t.benchmark == wanted), key=lambda t: (t.benchmark, t.id))
        return {"tasks": [task_record(t, counts.get(t.id, 0)) for t in chosen]}

    return _cached(build)


@api.get("/tasks/<path:task_id>")
@cached_response
def task(task_id: str):
    snap = snapshot()
    info = snap.tasks.get(task_id) or registered_tasks().get(task_id)
    if info is None:
        abort(404, description=f"unknown task {task_id!r}")

    def build():
        results = queries.task_results(db_session(), task_id)
        rows = []
        for r in results:
            model = snap.models.get(r["model_id"])
            if model is None:
                continue
            trained = queries.trained_on(model, info)
            rows.append(
                {
                    "model": model.name,
                    "run_id": r["run_id"],
                    "finished_at": r["finished_at"].isoformat() if r["finished_at"] else None,
                    "zero_shot": trained is None,
                    "trained_on": trained,
                    "scores": r["scores"],
                }
            )
        rows.sort(key=lambda r: (r["scores"].get(info.main_score) is None, -(r["scores"].get(info.main_score) or 0.0), r["model"]))
        return {**task_record(info, len(rows)), "results": rows}

    return _cached(build)


@api.get("/models")
@cached_response
def models():
    def build():
        snap = snapshot()
        filters = Filters.from_args(request.args)
        counts = {model_id: len(per_task) for model_id, per_task in snap.cells.items()}
        chosen = sorted((m for m in snap.models.values() if filters.keeps(m)), key=lambda m: m.name)
        return {"models": [{**model_record(m), "scores": counts.get(m.id, 0)} for m in chosen]}

    return _cached(build)


@api.get("/models/<path:name>")
@cached_response
def model(name: str):
    snap = snapshot()
    info = snap.by_name.get(name)
    if info is None:
        abort(404, description=f"unknown model {name!r}")

    def build():
        runs = queries.model_runs(db_session(), info.id, with_manifest=False)
        results = []
        for run in sorted((r for r in runs if r.current), key=lambda r: r.task_id):
            task_info = snap.tasks.get(run.task_id)
            results.append(
                {
                    "task": run.task_id,
                    "run_id": run.id,
                    "finished_at": run.finished_at.isoformat() if run.finished_at else None,
                    "zero_shot": task_info is None or queries.trained_on(info, task_info) is None,
                    "scores": {m: v for (variant, m), v in sorted(run.scores.items()) if variant == ""},
                    "variants": _variants(run.scores),
                    "command": reproduce_commands(info, run.task_id)["run"],
                }
            )
        reported = [
            {k: r[k] for k in ("task", "metric", "reported", "source", "ours", "delta", "grade", "run_id")}
            for r in _reported_rows(info, runs, snap)
        ]
        return {
            **model_record(info),
            "description": info.description,
            "paper": info.paper,
            "url": info.url,
            "config": info.config,
            "results": results,
            "reported": reported,
            "runs": len(runs),
        }

    return _cached(build)


def _variants(scores: dict[tuple[str, str], float]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for (variant, metric), value in sorted(scores.items()):
        if variant:
            out.setdefault(variant, {})[metric] = value
    return out


@api.get("/scores")
@cached_response
def scores():
    def build():
        limit = _int_arg("limit", 1000, MAX_LIMIT)
        offset = _int_arg("offset", 0, 10**9)
        variant = request.args.get("variant")
        total, records = queries.scores_page(
            db_session(),
            model=request.args.get("model"),
            task=request.args.get("task"),
            benchmark=request.args.get("benchmark"),
            metric=request.args.get("metric"),
            variant=variant,
            current_only=not _bool_arg("all_runs", False),
            limit=limit,
            offset=offset,
            count=_total_cached("scores"),
        )
        return {"total": total, "limit": limit, "offset": offset, "next": _next(total, limit, offset), "scores": records}

    return _cached(build)


def run_record(summary: queries.RunSummary, model_name: str | None) -> dict:
    return {
        "id": summary.id,
        "model": model_name,
        "task": summary.task_id,
        "kind": summary.kind,
        "status": summary.status,
        "current": summary.current,
        "reproduces_run_id": summary.reproduces_run_id,
        "started_at": summary.started_at.isoformat() if summary.started_at else None,
        "finished_at": summary.finished_at.isoformat() if summary.finished_at else None,
        "config_sha256": summary.config_sha256,
    }


@api.get("/runs")
@cached_response
def runs():
    def build():
        limit = _int_arg("limit", 100, MAX_LIMIT)
        offset = _int_arg("offset", 0, 10**9)
        total, rows = queries.runs_page(
            db_session(),
            model=request.args.get("model"),
            task=request.args.get("task"),
            kind=request.args.get("kind"),
            limit=limit,
            offset=offset,
            count=_total_cached("runs"),
        )
        return {
            "total": total,
            "limit": limit,
            "offset": offset,
            "next": _next(total, limit, offset),
            "runs": [run_record(summary, name) for summary, name in rows],
        }

    return _cached(build)


@api.get("/runs/<int:run_id>")
@cached_response
def run(run_id: int):
    detail = queries.run_detail(db_session(), run_id)  # (a cache hit never gets here)
    if detail is None or detail.summary.model_id not in snapshot().models:  # unpublished submissions stay private
        abort(404, description=f"unknown run {run_id}")

    def build():
        snap = snapshot()
        summary = detail.summary
        model_info = snap.models.get(summary.model_id)
        body = run_record(summary, model_info.name if model_info else None)
        body["scores"] = [{"metric": m, "variant": v, "value": value} for (v, m), value in sorted(summary.scores.items())]
        body["metric_spec"] = detail.run.metric_spec
        body["manifest"] = summary.manifest
        body["grades"] = [
            {
                "metric": g.metric,
                "against": g.against,
                "expected": g.expected,
                "got": g.got,
                "tolerance": g.tolerance,
                "grade": g.grade,
                "source": g.source,
            }
            for g in detail.grades
        ]
        body["reproductions"] = detail.reproductions
        if model_info is not None:
            body["command"] = reproduce_commands(model_info, summary.task_id)["run"]
        if _bool_arg("per_query", False):
            body["per_query"] = queries.per_query_values(db_session(), run_id)
        return body

    return _cached(build)
