"""``/api/v1/scores``, ``/api/v1/runs`` and ``/api/v1/runs/<id>``: flat scores and runs, paged."""

from __future__ import annotations

from flask import abort, request

from leaderboard.views.items import run_item_data
from leaderboard.views.runs import RunSummary, per_query_values, runs_page
from leaderboard.views.scores import scores_page
from web import views
from web.api import api
from web.api.common import MAX_LIMIT, bool_arg, cached_json, int_arg, iso, next_url, total_cached
from web.cache import cached_response, db_session


@api.get("/scores")
@cached_response
def scores():
    def build():
        limit = int_arg("limit", 1000, MAX_LIMIT, low=1)
        offset = int_arg("offset", 0, 10**9)
        total, records = scores_page(
            db_session(),
            model=request.args.get("model"),
            task=request.args.get("task"),
            benchmark=request.args.get("benchmark"),
            metric=request.args.get("metric"),
            variant=request.args.get("variant"),
            current_only=not bool_arg("all_runs", False),
            limit=limit,
            offset=offset,
            count=total_cached("scores"),
        )
        return {"total": total, "limit": limit, "offset": offset, "next": next_url(total, limit, offset), "scores": records}

    return cached_json(build)


def run_record(summary: RunSummary, model_name: str | None) -> dict:
    return {
        "id": summary.id,
        "model": model_name,
        "task": summary.task_id,
        "kind": summary.kind,
        "status": summary.status,
        "current": summary.current,
        "reproduces_run_id": summary.reproduces_run_id,
        "started_at": iso(summary.started_at),
        "finished_at": iso(summary.finished_at),
        "config_sha256": summary.config_sha256,
    }


@api.get("/runs")
@cached_response
def runs():
    def build():
        limit = int_arg("limit", 100, MAX_LIMIT, low=1)
        offset = int_arg("offset", 0, 10**9)
        total, rows = runs_page(
            db_session(),
            model=request.args.get("model"),
            task=request.args.get("task"),
            kind=request.args.get("kind"),
            limit=limit,
            offset=offset,
            count=total_cached("runs"),
        )
        return {
            "total": total,
            "limit": limit,
            "offset": offset,
            "next": next_url(total, limit, offset),
            "runs": [run_record(summary, name) for summary, name in rows],
        }

    return cached_json(build)


@api.get("/runs/<id:run_id>")
@cached_response
def run(run_id: int):
    view = views.run(run_id)
    if view is None:  # unknown, or of an unpublished submission (those stay private)
        abort(404, description=f"unknown run {run_id}")

    def build():
        summary = view.summary
        body = run_record(summary, view.model.name if view.model else None)
        body["scores"] = [{"metric": m, "variant": v, "value": value} for (v, m), value in sorted(summary.scores.items())]
        body["metric_spec"] = view.metric_spec
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
            for g in view.grades
        ]
        body["reproductions"] = view.reproductions
        if view.model is not None:
            body["command"] = view.commands["run"]
        if bool_arg("per_query", False):
            body["per_query"] = per_query_values(db_session(), run_id)
            body["item_data"] = run_item_data(db_session(), run_id)  # e.g. STS's {"gold": {pair id: gold}}
        return body

    return cached_json(build)
