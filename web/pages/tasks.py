"""``/tasks/`` (every task, by benchmark) and ``/tasks/<id>`` (every model, every metric), with downloads."""

from __future__ import annotations

from flask import abort, render_template, request
from markupsafe import Markup

from leaderboard.serialize import dumps
from leaderboard.views.first_run import first_run
from leaderboard.views.labels import metric_label
from leaderboard.views.snapshot import registered_tasks
from leaderboard.views.tasks import TaskResult, TaskView, rank_order, task_groups, task_ranks
from web import cellinfo, confidence, views
from web.cache import cached_response, snapshot
from web.filters import request_filters
from web.pages import pages
from web.pages.common import sort_args
from web.tables import download, paginate


@pages.get("/tasks/")
@cached_response
def tasks_index():
    groups = task_groups(snapshot(), registered_tasks())
    fmt = request.args.get("format")
    if fmt:
        columns = ["task", "benchmark", "dataset", "split", "main_score", "models", "license", "source_url"]
        records = [
            {
                "task": t.id,
                "benchmark": t.benchmark,
                "dataset": t.dataset,
                "split": t.split,
                "main_score": t.main_score,
                "models": n,
                "license": t.license,
                "source_url": t.source_url,
            }
            for g in groups
            for t, n in g.tasks
        ]
        response = download(fmt, "leaderboard-tasks", columns, records)
        if response is not None:
            return response
    return render_template("tasks.html", groups=groups, metric_label=metric_label)


def _sorted(view: TaskView, rows: list[TaskResult], sort: str, order: str) -> list[TaskResult]:
    """Rows in the page's order: by model name, or by a metric with missing values last."""
    if sort == "model":
        return sorted(rows, key=lambda r: r.model.name.casefold(), reverse=order == "desc")
    key = sort if sort in view.metric_names else view.task.main_score
    sign = 1 if order == "asc" else -1
    return sorted(rows, key=lambda r: (r.scores.get(key) is None, sign * (r.scores.get(key) or 0.0), r.model.name))


def _cells(view: TaskView, rows: list[TaskResult], shown: list[TaskResult]) -> dict[int, dict]:
    """Per shown row: the main score's CI tooltip, its grade badge and the rank cell (ranked among ``rows``)."""
    main = view.task.main_score
    grades = views.grades()
    intervals = cellinfo.intervals(r.run_id for r in shown)
    ranks = task_ranks(rows, main)
    ordered = rank_order(rows, main)
    separations = dict(
        zip(
            (r.model.id for r in ordered),
            cellinfo.task_separations([r.run_id for r in ordered], [r.model.name for r in ordered]),
            strict=True,
        )
    )
    cells = {}
    for r in shown:
        value = r.scores.get(main)
        reproduction = grades.get((r.model.id, view.task.id))
        cells[r.model.id] = {
            "title": confidence.interval_text(value, intervals.get(r.run_id)) + f" · {value!r}" if value is not None else "",
            "badge": Markup(cellinfo.badge_html(reproduction, r.run_id)),
            "rank": Markup(cellinfo.rank_html(ranks.get(r.model.id), separations.get(r.model.id))),
        }
    return cells


@pages.get("/tasks/<path:task_id>")
@cached_response
def task_page(task_id: str):
    view = views.task(task_id)
    if view is None:
        abort(404, description=f"There is no task called “{task_id}”.")
    task = view.task
    sort, order = sort_args()
    sort = sort or task.main_score
    filters = request_filters()
    rows = [r for r in view.results if filters.keeps(r.model) and not (filters.zero_shot and r.trained_on)]
    rows = _sorted(view, rows, sort, order)
    metrics = view.metric_names
    fmt = request.args.get("format")
    if fmt:
        columns = ["model", *metrics, "run_id", "finished_at", "zero_shot", "trained_on"]
        records = [
            {
                "model": r.model.name,
                **{m: r.scores.get(m) for m in metrics},
                "run_id": r.run_id,
                "finished_at": r.finished_at.isoformat() if r.finished_at else None,
                "zero_shot": r.zero_shot,
                "trained_on": r.trained_on,
            }
            for r in rows
        ]
        response = download(fmt, f"leaderboard-{task_id.replace('/', '-')}", columns, records, {"task": task_id})
        if response is not None:
            return response
    page = paginate(rows, request.args.get("page"), request.args.get("per_page"))
    return render_template(
        "task.html",
        page=page,
        cells=_cells(view, rows, page.items),
        task=task,
        name=view.benchmark_name,
        metrics=[(m.column.name, m.column.label, m.column.definition) for m in view.metrics],
        specific={m.column.name: m.specific for m in view.metrics},
        common=view.common,
        rows=rows,
        sort=sort,
        order=order,
        filters=filters,
        reported=view.reported,
        spec_json=dumps(task.metric_spec or {}, indent=2, sort_keys=True, default=str),
        has_results=bool(view.results),
        first_run=first_run(task.id),
    )
