"""``/api/v1/scores``, ``/api/v1/runs``, ``/api/v1/runs/<id>`` and its ranking (``run.trec``, ``ranking``): flat scores and runs, paged."""

from __future__ import annotations

from flask import Response, abort, request, stream_with_context

from common.errors import UserError
from leaderboard.views.artifacts import NO_RANKING_NOTE, artifact_info, check_trec_ids, load_artifact, ranking_page, trec_lines, trec_tag
from leaderboard.views.items import run_item_data
from leaderboard.views.runs import RunSummary, per_query_values, runs_page
from leaderboard.views.scores import scores_page
from web import views
from web.api import api
from web.api.common import bool_arg, cached_json, int_arg, iso, next_url, page_args, total_cached
from web.cache import cached_response, db_session


@api.get("/scores")
@cached_response
def scores():
    def build():
        limit, offset = page_args(1000)
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
        limit, offset = page_args(100)
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
        body["ranking"] = ranking_record(run_id)
        if body["ranking"] is None:
            body["ranking_note"] = NO_RANKING_NOTE
        if bool_arg("per_query", False):
            body["per_query"] = per_query_values(db_session(), run_id)
            body["item_data"] = run_item_data(db_session(), run_id)  # e.g. STS's {"gold": {pair id: gold}}
        return body

    return cached_json(build)


def ranking_record(run_id: int) -> dict | None:
    """What the run stored of its ranking (no hits), with the links to fetch it; None for a run stored before rankings."""
    info = artifact_info(db_session(), run_id)
    if info is None:
        return None
    return {
        "kind": info.kind,
        "format_version": info.format_version,
        "sha256": info.sha256,
        "bytes": info.size,
        "queries": info.queries,
        "hits": info.hits,
        "trec": f"/api/v1/runs/{run_id}/run.trec",
        "json": f"/api/v1/runs/{run_id}/ranking",
    }


def _visible_ranking(run_id: int):
    view = views.run(run_id)
    if view is None:  # unknown, or of an unpublished submission (those stay private)
        abort(404, description=f"unknown run {run_id}")
    ranking = load_artifact(db_session(), run_id)
    if ranking is None:
        abort(404, description=f"run {run_id}: {NO_RANKING_NOTE}")
    return view, ranking


@api.get("/runs/<id:run_id>/run.trec")
def run_trec(run_id: int):
    """The run's ranking as a TREC run file, the bytes ``leaderboard export-run RUN_ID --format trec`` writes."""
    view, ranking = _visible_ranking(run_id)
    try:
        check_trec_ids(ranking)  # before the first byte: a stream cannot turn into an error half-way
    except UserError as err:
        abort(400, description=str(err))
    return Response(
        stream_with_context(trec_lines(ranking, trec_tag(view.model.name if view.model else "run", run_id))),
        mimetype="text/plain",
        headers={"Content-Disposition": f'attachment; filename="run-{run_id}.trec"'},
    )


@api.get("/runs/<id:run_id>/ranking")
@cached_response
def run_ranking(run_id: int):
    """The run's ranking as JSON, by query (id order): ``limit`` queries (default 10, at most 100) from ``offset``; ``depth`` hits each."""
    _, ranking = _visible_ranking(run_id)

    def build():
        limit, offset = page_args(10, 100)
        depth = int_arg("depth", 1000, 1000, low=1)
        total = len(ranking)
        return {
            "run_id": run_id,
            "kind": ranking.kind,
            "total": total,
            "limit": limit,
            "offset": offset,
            "next": next_url(total, limit, offset),
            "queries": ranking_page(ranking, limit=limit, offset=offset, depth=depth),
        }

    return cached_json(build)
