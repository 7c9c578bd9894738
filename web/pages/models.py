"""``/models/`` (every model, with filters) and ``/models/<name>`` (config, scores beside the published numbers, runs)."""

from __future__ import annotations

import yaml
from flask import Response, abort, render_template, request
from markupsafe import Markup

from leaderboard.views.labels import metric_definition, metric_label
from leaderboard.views.models import ModelView
from web import cellinfo, confidence, plot_data, views
from web.cache import cached_response, memo, snapshot
from web.filters import SIZE_BUCKETS, SIZE_UNKNOWN, request_filters, size_bucket
from web.pages import pages
from web.pages.common import filter_choices
from web.pages.runs import manifest_sections
from web.tables import download, model_records, paginate

SEARCH_MAX = 100  # characters of the search box used: a model name is at most 100 (submissions/schema.py)


@pages.get("/models/")
@cached_response
def models_index():
    snap = snapshot()
    filters = request_filters()
    coverage = memo(("coverage",), lambda: {model_id: snap.benchmark_counts(model_id) for model_id in snap.cells})
    search = request.args.get("q", "").strip()[:SEARCH_MAX]
    needle = search.casefold()
    models = sorted((m for m in snap.models.values() if filters.keeps(m) and needle in m.name.casefold()), key=lambda m: m.name.casefold())
    fmt = request.args.get("format")
    if fmt:
        records = model_records(models)
        for record, model in zip(records, models, strict=True):
            record["scores"] = sum(coverage.get(model.id, {}).values())
            record.update({f"{b}_tasks": coverage.get(model.id, {}).get(b, 0) for b in views.benchmarks()})
        columns = list(records[0]) if records else ["name", "backend", "families", "parameters", "scores"]
        response = download(fmt, "leaderboard-models", columns, records)
        if response is not None:
            return response
    page = paginate(models, request.args.get("page"), request.args.get("per_page"))
    return render_template(
        "models.html",
        page=page,
        search=search,
        coverage=coverage,
        benchmarks=views.benchmarks(),
        filters=filters,
        choices=filter_choices(snap),
    )


def _cell_info(view: ModelView) -> dict[str, dict]:
    """task id -> the current run's main-score CI tooltip, grade badge and "reproduced N times, last grade X"."""
    grades = views.grades()
    intervals = cellinfo.intervals(r.run.id for r in view.results)
    out = {}
    for r in view.results:
        main = r.main
        reproduction = grades.get((view.model.id, r.run.task_id))
        out[r.run.task_id] = {
            "ci_title": confidence.interval_text(main, intervals.get(r.run.id)) + f" · {main!r}" if main is not None else "",
            "badge": Markup(cellinfo.badge_html(reproduction, r.run.id)),
            "reproduced": cellinfo.summary(reproduction),
            "reproduced_title": cellinfo.grade_title(reproduction, r.run.id) if reproduction and reproduction.grade else "",
            "reproduced_grade": reproduction.grade if reproduction else None,
        }
    return out


def _size_label(parameters: int | None) -> str:
    bucket = size_bucket(parameters)
    return dict((key, label) for key, label, *_ in SIZE_BUCKETS).get(bucket, SIZE_UNKNOWN[1])


@pages.get("/models/<path:name>")
@cached_response
def model_page(name: str):
    view = views.model(name)
    if view is None:
        abort(404, description=f"There is no model called “{name}”.")
    model = view.model
    fmt = request.args.get("format")
    if fmt == "yaml":
        body = yaml.safe_dump(model.config, sort_keys=False, allow_unicode=True)
        response = Response(body, mimetype="application/yaml")
        response.headers["Content-Disposition"] = 'attachment; filename="model.yaml"'
        return response
    if fmt:
        columns = ["task", "benchmark", "main_score", *view.metrics, "run_id", "finished_at", "zero_shot"]
        records = [
            {
                "task": r.run.task_id,
                "benchmark": r.task.benchmark if r.task else None,
                "main_score": r.task.main_score if r.task else None,
                **{m: r.run.scores.get(("", m)) for m in view.metrics},
                "run_id": r.run.id,
                "finished_at": r.run.finished_at.isoformat() if r.run.finished_at else None,
                "zero_shot": r.zero_shot,
            }
            for r in view.results
        ]
        response = download(fmt, f"leaderboard-{model.name}", columns, records, {"model": model.name})
        if response is not None:
            return response
    return render_template(
        "model.html",
        model=model,
        view=view,
        rows=view.results,
        cells=_cell_info(view),
        runs=view.runs,
        reported=view.reported,
        reported_main=view.reported_main,
        metric_label=metric_label,
        metric_definition=metric_definition,
        all_commands=view.all_commands,
        config_yaml=yaml.safe_dump(model.config, sort_keys=False, allow_unicode=True) if model.config else "",
        score_tables=view.blocks,
        bar_notes={b.benchmark: plot_data.note("bars", b.benchmark, names=(model.name,)) for b in view.blocks},
        size_label=_size_label(model.parameters),
        tasks=snapshot().tasks,
        manifest_sections=manifest_sections,
    )
