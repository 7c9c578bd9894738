"""``/api/v1/benchmarks`` and ``/api/v1/benchmarks/<id>``: the benchmark tables, as the benchmark pages show them."""

from __future__ import annotations

from flask import abort, request

from leaderboard.views.board import BoardRow, BoardTable
from leaderboard.views.speed import Speed
from web import cellinfo, views
from web.api import api
from web.api.common import cached_json, next_url, page_args
from web.cache import cached_response, run_stats
from web.filters import request_filters
from web.tables import sort_rows


@api.get("/benchmarks")
@cached_response
def benchmarks():
    def build():
        return {
            "benchmarks": [
                {
                    "id": s.id,
                    "name": s.name,
                    "description": s.description,
                    "tasks": s.tasks,
                    "registered_tasks": s.registered_tasks,
                    "models": s.models,
                    "complete_models": s.complete,
                }
                for s in views.summaries()
            ]
        }

    return cached_json(build)


def _cell_fields(table: BoardTable, row: BoardRow, above: dict[int, BoardRow], intervals, grades: dict) -> dict:
    """CI bounds and grade per task, and the rank test against the row above (:mod:`web.cellinfo`, as the page's tooltips)."""
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


def _speed(speed: Speed | None) -> dict | None:
    """The board's speed column (leaderboard/views/speed.py); null when no run of the row measured anything."""
    if speed is None:
        return None
    return {
        "docs_per_s": speed.docs_per_s,
        "bytes_per_doc": speed.bytes_per_doc,
        "hardware": list(speed.machines),
        "measured_runs": speed.runs,
    }


def _row(table: BoardTable, row: BoardRow, above: dict[int, BoardRow], intervals, grades: dict, speeds: dict | None = None) -> dict:
    return {
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
        "mean_over_present": row.mean_over_present,
        **_cell_fields(table, row, above, intervals, grades),
        "speed": _speed((speeds or {}).get(row.model.id)),
    }


@api.get("/benchmarks/<benchmark>")
@cached_response
def benchmark(benchmark: str):
    if benchmark not in views.benchmarks():
        abort(404, description=f"unknown benchmark {benchmark!r}")

    def build():
        filters = request_filters()
        table = views.board(benchmark, filters)
        sort = request.args.get("sort", "")
        order = "asc" if request.args.get("order", "asc" if sort == "model" else "desc") == "asc" else "desc"
        speeds = views.speeds(benchmark)
        rows = sort_rows(table, sort, order, speeds)
        limit, offset = page_args(len(rows) or 1)
        shown = rows[offset : offset + limit]
        above = cellinfo.rows_above(table)
        cellinfo.prepare_board(table, shown, above)
        intervals, grades = run_stats().intervals, views.grades()
        return {
            "benchmark": benchmark,
            "filters": dict(filters.params()),
            "sort": sort or "mean",
            "order": order,
            "total": len(rows),
            "limit": limit,
            "offset": offset,
            "next": next_url(len(rows), limit, offset),
            "models_with_results": table.total_models,
            "columns": [
                {"task": h.task.id, "dataset": h.task.dataset, "main_score": h.task.main_score, "main_score_label": h.metric_label}
                for h in table.headers
            ],
            "rows": [_row(table, row, above, intervals, grades, speeds) for row in shown],
        }

    return cached_json(build)
