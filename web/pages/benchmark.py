"""``/benchmarks/<b>``: the model × task table with filters, sort, pages, plots and downloads."""

from __future__ import annotations

from flask import abort, render_template, request

from leaderboard.views.first_run import first_run, first_task
from leaderboard.views.labels import benchmark_blurb, benchmark_name
from leaderboard.views.runs import has_dim_variants, throughputs
from leaderboard.views.snapshot import registered_tasks
from leaderboard.views.speed import mixed_hardware
from web import plot_data, views
from web.cache import cached_response, db_session, memo, snapshot
from web.filters import request_filters
from web.pages import pages
from web.pages.board_rows import RowRenderer
from web.pages.common import filter_choices, sort_args
from web.tables import ColumnBands, board_records, download, paginate, sort_rows


@pages.get("/benchmarks/<benchmark>")
@cached_response
def benchmark_page(benchmark: str):
    snap = snapshot()
    if benchmark not in views.benchmarks():
        abort(404, description=f"There is no benchmark called “{benchmark}”.")
    filters = request_filters()
    table = views.board(benchmark, filters)
    sort, order = sort_args()
    speeds = views.speeds(benchmark)
    rows = memo(("sorted", benchmark, filters.key(), sort, order), lambda: sort_rows(table, sort, order, speeds))
    fmt = request.args.get("format")
    if fmt:
        columns, records = board_records(table, rows)
        meta = {"benchmark": benchmark, "filters": dict(filters.params()), "sort": sort or "mean", "order": order}
        response = download(fmt, f"leaderboard-{benchmark}", columns, records, meta)
        if response is not None:
            return response
    page = paginate(rows, request.args.get("page"), request.args.get("per_page"))
    renderer = memo(
        ("rows", benchmark, filters.key()), lambda: RowRenderer(table, ColumnBands.of(table, table.rows), views.grades(), speeds)
    )
    renderer.prepare(page.items)
    shown = {c.id for c in table.columns}
    without = [t for t in registered_tasks().values() if t.benchmark == benchmark and t.id not in shown]
    top_models = [r.model.name for r in rows if r.complete][:5] or [r.model.name for r in rows][:5]
    notes = {kind: plot_data.note(kind, benchmark, filters) for kind in ("params", "throughput", "dims")}
    notes["bars"] = plot_data.note("bars", benchmark, names=tuple(top_models[:3]))
    shown_speeds = [speeds[r.model.id] for r in rows if r.model.id in speeds]
    machines = mixed_hardware(shown_speeds)
    return render_template(
        "benchmark.html",
        benchmark=benchmark,
        name=benchmark_name(benchmark),
        blurb=benchmark_blurb(benchmark),
        table=table,
        headers=table.headers,
        page=page,
        row_html=[renderer.html(row) for row in page.items],
        filters=filters,
        choices=filter_choices(snap),
        sort=sort,
        order=order,
        without_results=without,
        first_run=first_run(first) if (first := first_task(benchmark, shown)) else None,
        top_models=top_models,
        notes=notes,
        has_dims=memo(("has_dims", benchmark), lambda: has_dim_variants(db_session(), benchmark)),
        has_throughput=memo(("has_tp", benchmark), lambda: bool(throughputs(db_session(), benchmark))),
        plot_query=filters.query(benchmark=benchmark),
        speed_machines=machines,
        speed_sort_mixes_hardware=sort == "speed" and len(machines) > 1,
    )
