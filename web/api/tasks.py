"""``/api/v1/tasks`` and ``/api/v1/tasks/<id>``: every task, and one task's results as its page shows them."""

from __future__ import annotations

from flask import abort, request

from leaderboard.views.labels import metric_label
from leaderboard.views.snapshot import TaskInfo, registered_tasks
from leaderboard.views.tasks import rank_order, task_listing, task_ranks
from web import cellinfo, views
from web.api import api
from web.api.common import cached_json, iso
from web.cache import cached_response, snapshot


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


@api.get("/tasks")
@cached_response
def tasks():
    def build():
        listing = task_listing(snapshot(), registered_tasks(), request.args.get("benchmark"))
        return {"tasks": [task_record(t, n) for t, n in listing]}

    return cached_json(build)


@api.get("/tasks/<path:task_id>")
@cached_response
def task(task_id: str):
    view = views.task(task_id)
    if view is None:
        abort(404, description=f"unknown task {task_id!r}")

    def build():
        main = view.task.main_score
        ranks = task_ranks(view.results, main)
        ordered = rank_order(view.results, main)
        separations = cellinfo.task_separations([r.run_id for r in ordered], [r.model.name for r in ordered])
        separation = {r.model.id: sep for r, sep in zip(ordered, separations, strict=True)}
        intervals = cellinfo.intervals(r.run_id for r in view.results)
        grades = views.grades()
        rows = []
        for r in view.results:
            low, high = cellinfo.ci_fields(intervals.get(r.run_id))
            reproduction = grades.get((r.model.id, task_id))
            sep = separation.get(r.model.id)
            rows.append(
                {
                    "model": r.model.name,
                    "run_id": r.run_id,
                    "finished_at": iso(r.finished_at),
                    "zero_shot": r.zero_shot,
                    "trained_on": r.trained_on,
                    "scores": r.scores,
                    "rank": ranks.get(r.model.id),
                    "ci_low": low,
                    "ci_high": high,
                    "grade": reproduction.grade if reproduction else None,
                    "reproductions": reproduction.count if reproduction else 0,
                    "separable_from_above": None if sep is None else sep.separable,
                    "separability_p": None if sep is None else sep.p_value,
                }
            )
        return {**task_record(view.task, len(rows)), "results": rows}

    return cached_json(build)
