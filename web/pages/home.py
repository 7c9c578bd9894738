"""``/``: a card per benchmark and the overall table (a mean of benchmark means), with its downloads."""

from __future__ import annotations

from flask import render_template, request

from web import views
from web.cache import cached_response, snapshot
from web.pages import pages
from web.tables import best_of, download, overall_records, paginate


@pages.get("/")
@cached_response
def home():
    snap = snapshot()
    active, overall = views.overall()
    fmt = request.args.get("format")
    if fmt:
        columns, records = overall_records(active, overall)
        response = download(fmt, "leaderboard-overall", columns, records)
        if response is not None:
            return response
    page = paginate(overall, request.args.get("page"), request.args.get("per_page"))
    # bold: the best benchmark mean and the best overall mean, over every row (not just this page)
    best = {b: best_of(e.cells[b].mean for e in overall if b in e.cells) for b in active}

    return render_template(
        "home.html",
        cards=views.summaries(),
        active=active,
        overall=page,
        best=best,
        best_overall=best_of(e.overall for e in overall),
        n_tasks=len(snap.tasks),
        n_models=len(snap.models),
        n_cells=snap.n_cells,
    )
