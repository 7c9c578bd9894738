"""``/about`` (the method: tolerances, intervals, zero-shot rule, size buckets), ``/healthz`` and ``/favicon.ico``."""

from __future__ import annotations

from flask import redirect, render_template, url_for

from web import confidence
from web.filters import SIZE_BUCKETS, SIZE_UNKNOWN
from web.pages import pages


@pages.get("/about")
def about_page():
    from benchmarks.aro.metrics import RARE_RELATIONS_NOTE
    from leaderboard.grading import TOLERANCES

    return render_template(
        "about.html",
        tolerances=TOLERANCES,
        rare_relations=RARE_RELATIONS_NOTE,
        buckets=SIZE_BUCKETS,
        unknown=SIZE_UNKNOWN,
        ci_resamples=f"{confidence.RESAMPLES:,}",
        ci_seed=confidence.SEED,
        permutations=f"{confidence.PERMUTATIONS:,}",
    )


@pages.get("/favicon.ico")
def favicon():
    return redirect(url_for("static", filename="favicon.svg"), code=301)


@pages.get("/healthz")
def healthz():
    return {"status": "ok"}
