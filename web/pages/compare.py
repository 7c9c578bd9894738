"""``/compare``: chosen models side by side on one benchmark, with the bars figure."""

from __future__ import annotations

from urllib.parse import quote

from flask import abort, render_template, request
from markupsafe import Markup

from leaderboard.views.board import comparison
from leaderboard.views.labels import benchmark_name
from web import cellinfo, confidence, views
from web.cache import cached_response, snapshot
from web.filters import Filters
from web.pages import pages


@pages.get("/compare")
@cached_response
def compare_page():
    snap = snapshot()
    benchmarks = views.benchmarks()
    benchmark = request.args.get("benchmark") or (benchmarks[0] if benchmarks else "")
    if benchmark not in benchmarks:
        abort(404, description=f"There is no benchmark called “{benchmark}”.")
    names = [n for n in dict.fromkeys(request.args.getlist("model")) if n in snap.by_name][:8]
    table = views.board(benchmark, Filters())
    compared = comparison(table, names)
    grades = views.grades()
    intervals = cellinfo.intervals(c.run_id for r in compared.rows for c in r.cells if c.value is not None)
    cells = {
        (r.model.id, i): {
            "title": confidence.interval_text(c.value, intervals.get(c.run_id)),
            "badge": Markup(cellinfo.badge_html(grades.get((r.model.id, table.columns[i].id)), c.run_id)),
        }
        for r in compared.rows
        for i, c in enumerate(r.cells)
        if c.value is not None
    }
    return render_template(
        "compare.html",
        cells=cells,
        benchmark=benchmark,
        benchmarks=benchmarks,
        name=benchmark_name(benchmark),
        table=table,
        rows=compared.rows,
        deltas=compared.deltas,
        names=names,
        all_models=[r.model.name for r in table.rows],
        plot_query="&".join([f"benchmark={benchmark}"] + [f"model={quote(n, safe='')}" for n in names]),
    )
