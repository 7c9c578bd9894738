"""``/compare``: two to eight models on one benchmark, each against a baseline, with the paired tests and downloads.

Models are picked with checkboxes (a GET form, so a comparison is a link); the first picked, or
``base=``, is the baseline.  Per task: the scores, Δ, the paired randomisation test's p and
Cohen's d_z, wins/ties/losses over the items, and per model the pooled (random-effects) result,
all from :func:`leaderboard.views.compare.contrasts`; ``format=csv|json`` downloads them.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import abort, render_template, request
from markupsafe import Markup

from leaderboard.views.board import comparison
from leaderboard.views.compare import MAX_MODELS, contrast_records, contrasts
from leaderboard.views.labels import benchmark_name
from web import cellinfo, confidence, plot_data, views
from web.cache import cached_response, db_session, memo, snapshot
from web.confidence import single_threaded_blas
from web.filters import Filters
from web.pages import pages
from web.tables import best_of, download


@pages.get("/compare")
@cached_response
def compare_page():
    snap = snapshot()
    benchmarks = views.benchmarks()
    benchmark = request.args.get("benchmark") or (benchmarks[0] if benchmarks else "")
    if benchmark not in benchmarks:
        abort(404, description=f"There is no benchmark called “{benchmark}”.")
    names = [n for n in dict.fromkeys(request.args.getlist("model")) if n in snap.by_name][:MAX_MODELS]
    base = request.args.get("base")
    if base in names:  # the baseline first: every other model is compared with it
        names = [base, *(n for n in names if n != base)]
    table = views.board(benchmark, Filters())
    compared = comparison(table, names)
    names = [r.model.name for r in compared.rows]
    key = ("contrasts", benchmark, tuple(names))

    def build():
        with single_threaded_blas():
            return contrasts(db_session(), table, compared.rows)

    contrasted = memo(key, build)
    fmt = request.args.get("format")
    if fmt:
        columns, records = contrast_records(contrasted)
        meta = {"benchmark": benchmark, "baseline": names[0] if names else None, "models": names, "test": TEST_TEXT}
        response = download(fmt, f"compare-{benchmark}", columns, records, meta)
        if response is not None:
            return response
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
        contrasts=contrasted,
        best_mean=best_of(r.mean for r in compared.rows if r.complete),
        names=names,
        max_models=MAX_MODELS,
        all_models=[r.model.name for r in table.rows],
        test_text=TEST_TEXT,
        bars_note=plot_data.note("bars", benchmark, names=tuple(names)) if names else None,
        plot_query="&".join([f"benchmark={benchmark}"] + [f"model={quote(n, safe='')}" for n in names]),
    )


TEST_TEXT = (
    f"two-sided paired randomisation test on the per-item values both runs share ({confidence.PERMUTATIONS:,} sign flips, "
    f"seed {confidence.SEED}; exact below 14 items), Cohen's d_z of the differences; pooled: random-effects "
    "meta-analysis (DerSimonian–Laird) of the per-task d_z, as `leaderboard compare` prints it"
)
