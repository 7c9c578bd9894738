"""``/api/v1/models`` and ``/api/v1/models/<name>``: every model, and one model's results and published numbers."""

from __future__ import annotations

from flask import abort

from leaderboard.views.models import model_fields
from web import cellinfo, views
from web.api import api
from web.api.common import cached_json, iso
from web.cache import cached_response, snapshot
from web.filters import request_filters

REPORTED_FIELDS = ("task", "metric", "reported", "source", "ours", "delta", "grade", "run_id")
REPORTED_FIELDS += ("reproduced", "reproduced_grade", "reproduction_run_id", "reproductions", "mean_covers")


@api.get("/models")
@cached_response
def models():
    def build():
        snap = snapshot()
        filters = request_filters()
        counts = {model_id: len(per_task) for model_id, per_task in snap.cells.items()}
        chosen = sorted((m for m in snap.models.values() if filters.keeps(m)), key=lambda m: m.name)
        return {"models": [{**model_fields(m), "scores": counts.get(m.id, 0)} for m in chosen]}

    return cached_json(build)


@api.get("/models/<path:name>")
@cached_response
def model(name: str):
    view = views.model(name)
    if view is None:
        abort(404, description=f"unknown model {name!r}")

    def build():
        info = view.model
        intervals = cellinfo.intervals(r.run.id for r in view.results)
        grades = views.grades()
        results = []
        for r in view.results:
            low, high = cellinfo.ci_fields(intervals.get(r.run.id))
            reproduction = grades.get((info.id, r.run.task_id))
            results.append(
                {
                    "task": r.run.task_id,
                    "run_id": r.run.id,
                    "finished_at": iso(r.run.finished_at),
                    "zero_shot": r.zero_shot,
                    "scores": r.run.metrics(),
                    "variants": r.run.variants(),
                    "command": r.commands["run"],
                    "ci_low": low,
                    "ci_high": high,
                    "grade": reproduction.grade if reproduction else None,
                    "reproductions": reproduction.count if reproduction else 0,
                }
            )
        reported = [{k: getattr(row, k) for k in REPORTED_FIELDS} for row in view.reported]
        return {
            **model_fields(info),
            "description": info.description,
            "paper": info.paper,
            "url": info.url,
            "config": info.config,
            "results": results,
            "reported": reported,
            "runs": len(view.runs),
            "related": [{"kind": r.kind, "model": r.model, "fields": list(r.fields)} for r in view.related],
        }

    return cached_json(build)
