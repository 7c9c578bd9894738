"""``/``: a card per benchmark and the overall table (a mean of benchmark means), with its downloads."""

from __future__ import annotations

from flask import render_template, request

from web import views
from web.cache import cached_response, snapshot
from web.pages import pages
from web.tables import download, overall_records, paginate


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
    return render_template(
        "home.html",
        cards=views.summaries(),
        active=active,
        overall=page,
        n_tasks=len(snap.tasks),
        n_models=len(snap.models),
        n_cells=snap.n_cells,
    )
