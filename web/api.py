"""The JSON API, ``/api/v1/``: benchmarks, tasks, models, scores and runs; submissions.

Field names are part of the contract (documented in the README, section "JSON API"): new
fields may be added, existing ones are never renamed or removed within v1.  Scores are full
precision floats; a missing cell is ``null``, never 0.  Lists that can grow large (scores,
runs) are paged with ``limit``/``offset`` and say ``total`` and ``next``.  Responses are cached
per data version, like the pages (submissions excepted: their state changes without a new run).

Submissions (the one part that writes) authenticate with ``Authorization: Bearer <token>``; a
refusal is ``{"error": one line, "status", "problems": [{"field", "message"}]}`` with 400
(invalid config or body), 401 (missing or wrong token), 403 (not an admin token), 404, 409
(name taken, or the wrong state for an admin action), 413 (body too large) or 429 (rate limit).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Response, abort, request, url_for
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge

from benchmarks.zero_shot import training_match
from common.errors import UserError
from leaderboard import queries, schema
from leaderboard.queries import ModelInfo, TaskInfo
from leaderboard.serialize import dumps
from web import cellinfo
from web.cache import cached_response, db_session, memo, run_stats, snapshot
from web.filters import Filters, request_filters
from web.labels import benchmark_blurb, benchmark_name, metric_label
from web.pages import _reported_rows, board, known_benchmarks, registered_tasks, reproduce_commands, task_ranks
from web.submissions import (
    ADMIN_ACTIONS,
    Refused,
    apply_action,
    authenticate,
    create,
    form_input,
    json_input,
    submission_record,
    submissions_page,
    write_transaction,
)
from web.tables import model_records, sort_rows

api = Blueprint("api", __name__, url_prefix="/api/v1")

MAX_LIMIT = 10_000


def _cached(build: Callable[[], object]) -> Response:
    """Serialize once per (data version, full URL); the response cache then serves it."""
    return Response(dumps(build(), default=str, ensure_ascii=False), mimetype="application/json")


def _int_arg(name: str, default: int, high: int, low: int = 0) -> int:
    """An integer query argument, ``low`` or more (a limit is at least 1: limit=0 would page forever)."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:  # also an integer of more than 4,300 digits
        abort(400, description=f"{name} must be an integer, got {raw[:40]!r}")
    if value < low:
        abort(400, description=f"{name} must be ≥ {low}")
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
            "submissions": url_for("api.submissions"),
            "submission": url_for("api.submission", submission_id=1),
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
        filters = request_filters()
        table = board(benchmark, filters)
        sort = request.args.get("sort", "")
        order = "asc" if request.args.get("order", "asc" if sort == "model" else "desc") == "asc" else "desc"
        rows = sort_rows(table, sort, order)
        limit = _int_arg("limit", len(rows) or 1, MAX_LIMIT, low=1)
        offset = _int_arg("offset", 0, 10**9)
        shown = rows[offset : offset + limit]
        above = cellinfo.rows_above(table)
        cellinfo.prepare_board(table, shown, above)
        intervals = run_stats().intervals
        grades = cellinfo.reproductions()

        def extra(row) -> dict:
            cis = {
                t.id: cellinfo.ci_fields(intervals.get(row.run_ids[i])) if row.shown(i) is not None else (None, None)
                for i, t in enumerate(table.columns)
            }
            sep = cellinfo.separation(table, row, above) if row.rank is not None else None
            return {
                "ci_low": {task: low for task, (low, _) in cis.items()},
                "ci_high": {task: high for task, (_, high) in cis.items()},
                "grade": {
                    t.id: (entry.grade if row.shown(i) is not None and (entry := grades.get((row.model.id, t.id))) else None)
                    for i, t in enumerate(table.columns)
                },
                "separable_from_above": None if sep is None else sep.separable,
                "separability_p": None if sep is None else sep.p_value,
            }

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
                    "zero_shot": row.zero_shot,
                    "mean": row.mean,
                    "mean_covers": list(row.covers),
                    "complete": row.complete,
                    "n_scores": row.n_present,
                    "mean_over_present": row.mean if row.complete else row.partial_mean,
                    **extra(row),
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
        results = [r for r in queries.task_results(db_session(), task_id) if r["model_id"] in snap.models]
        for r in results:
            r["model"] = snap.models[r["model_id"]]
        ranks = task_ranks(info, results)
        intervals = cellinfo.intervals(r["run_id"] for r in results)
        grades = cellinfo.reproductions()
        rows = []
        for r in results:
            model = r["model"]
            match = training_match(model.training_datasets, info)
            low, high = cellinfo.ci_fields(intervals.get(r["run_id"]))
            reproduction = grades.get((model.id, task_id))
            rank, sep = ranks.get(model.id, (None, None))
            rows.append(
                {
                    "model": model.name,
                    "run_id": r["run_id"],
                    "finished_at": r["finished_at"].isoformat() if r["finished_at"] else None,
                    "zero_shot": match.state,
                    "trained_on": match.matched,
                    "scores": r["scores"],
                    "rank": rank,
                    "ci_low": low,
                    "ci_high": high,
                    "grade": reproduction.grade if reproduction else None,
                    "reproductions": reproduction.count if reproduction else 0,
                    "separable_from_above": None if sep is None else sep.separable,
                    "separability_p": None if sep is None else sep.p_value,
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
        filters = request_filters()
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
        current = sorted((r for r in runs if r.current), key=lambda r: r.task_id)
        intervals = cellinfo.intervals(r.id for r in current)
        grades = cellinfo.reproductions()
        for run in current:
            task_info = snap.tasks.get(run.task_id)
            low, high = cellinfo.ci_fields(intervals.get(run.id))
            reproduction = grades.get((info.id, run.task_id))
            results.append(
                {
                    "task": run.task_id,
                    "run_id": run.id,
                    "finished_at": run.finished_at.isoformat() if run.finished_at else None,
                    "zero_shot": training_match(info.training_datasets, task_info).state if task_info is not None else None,
                    "scores": {m: v for (variant, m), v in sorted(run.scores.items()) if variant == ""},
                    "variants": _variants(run.scores),
                    "command": reproduce_commands(info, run.task_id)["run"],
                    "ci_low": low,
                    "ci_high": high,
                    "grade": reproduction.grade if reproduction else None,
                    "reproductions": reproduction.count if reproduction else 0,
                }
            )
        fields = ("task", "metric", "reported", "source", "ours", "delta", "grade", "run_id")
        fields += ("reproduced", "reproduced_grade", "reproduction_run_id", "reproductions")
        reported = [{k: r[k] for k in fields} for r in _reported_rows(info, runs, snap)]
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
        limit = _int_arg("limit", 1000, MAX_LIMIT, low=1)
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
        limit = _int_arg("limit", 100, MAX_LIMIT, low=1)
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


@api.get("/runs/<id:run_id>")
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
                "tolerance_rule": g.tolerance_rule,
                "tolerance_reason": g.tolerance_reason,
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


# ------------------------------------------------------------------ submissions (not cached: they change without a new run)
def _refused(status: int, message: str, problems: list[tuple[str, str]] | None = None) -> Response:
    body = {"error": message, "status": status, "problems": [{"field": f, "message": m} for f, m in problems or []]}
    response = Response(dumps(body), status=status, mimetype="application/json")  # ASCII: safe for any input echoed
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="leaderboard"'
    return response


def _bearer() -> str | None:
    scheme, _, secret = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return secret.strip() or None


def _request_input() -> tuple[str, str | list[str]]:
    if request.mimetype in {"application/x-www-form-urlencoded", "multipart/form-data"}:
        return form_input(request.form, request.files)
    try:
        body = request.get_json(force=True)
    except BadRequest:  # not JSON, or nested too deeply to parse (web.StrictJSONProvider)
        body = None
    if body is None:
        message = 'send a JSON object {"config_yaml": "...", "tasks": "..."} (Content-Type: application/json) or form fields'
        raise Refused(400, message, [("body", message)])
    return json_input(body)


@api.post("/submissions")
def submit():
    """Validate and queue a model config; 201 with the submission, or a refusal with its problems."""
    try:
        row = authenticate(db_session(), _bearer())
        config_yaml, tasks = _request_input()
        record = create(config_yaml, tasks, row.token_sha256, submission_record)
    except Refused as refused:
        return _refused(refused.status, refused.message, refused.problems)
    except RequestEntityTooLarge:
        return _refused(413, "the request body is larger than the server accepts (a model config may have at most 64 KiB)")
    response = Response(dumps(record, ensure_ascii=False), status=201, mimetype="application/json")
    response.headers["Location"] = url_for("api.submission", submission_id=record["id"])
    return response


@api.get("/submissions/<id:submission_id>")
def submission(submission_id: int):
    """One submission: state, history with timestamps, error, log tail, run ids, config."""
    sub = db_session().get(schema.Submission, submission_id)
    if sub is None:
        abort(404, description=f"no submission #{submission_id}")
    return submission_record(sub)


@api.get("/submissions")
def submissions():
    """The queue, newest first; ``mine`` (with the Bearer token) only that token's; ``state`` filters."""
    token_id = None
    if "mine" in request.args:
        try:
            token_id = authenticate(db_session(), _bearer()).id
        except Refused as refused:
            return _refused(refused.status, refused.message, refused.problems)
    limit = _int_arg("limit", 100, 1000, low=1)
    offset = _int_arg("offset", 0, 10**9)
    total, rows = submissions_page(db_session(), token_id=token_id, state=request.args.get("state") or None, limit=limit, offset=offset)
    return {
        "total": total,
        "limit": limit,
        "offset": offset,
        "next": _next(total, limit, offset),
        "submissions": [submission_record(sub, full=False) for sub in rows],
    }


@api.post("/submissions/<id:submission_id>/<action>")
def submission_action(submission_id: int, action: str):
    """approve | reject | publish, with an admin token."""
    if action not in ADMIN_ACTIONS:
        abort(404, description=f"unknown action {action!r}; use one of {', '.join(ADMIN_ACTIONS)}")
    with write_transaction() as db:
        try:
            row = authenticate(db, _bearer())
        except Refused as refused:
            return _refused(refused.status, refused.message, refused.problems)
        if not row.is_admin:
            return _refused(403, f"the token {row.name!r} is not an admin token", [("token", "not an admin token")])
        if db.get(schema.Submission, submission_id) is None:
            abort(404, description=f"no submission #{submission_id}")
        try:
            sub = apply_action(db, submission_id, action, f"{action} by {row.name} (API)")
        except UserError as err:
            return _refused(409, str(err), [("state", str(err))])
        return submission_record(sub)
