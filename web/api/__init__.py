"""The JSON API, ``/api/v1/``: benchmarks, tasks, models, scores and runs; submissions. One module per resource.

Field names are part of the contract (documented in the README, section "JSON API"): new
fields may be added, existing ones are never renamed or removed within v1.  Scores are full
precision floats; a missing cell is ``null``, never 0.  Lists that can grow large (scores,
runs) are paged with ``limit``/``offset`` and say ``total`` and ``next``.  Responses are cached
per data version, like the pages (submissions excepted: their state changes without a new run).
Every number comes from the views (:mod:`web.views`), as on the pages.

Submissions (the one part that writes) authenticate with ``Authorization: Bearer <token>``; a
refusal is ``{"error": one line, "status", "problems": [{"field", "message"}]}`` with 400
(invalid config or body), 401 (missing or wrong token), 403 (not an admin token), 404, 409
(name taken, or the wrong state for an admin action), 413 (body too large) or 429 (rate limit).
"""

from __future__ import annotations

from flask import Blueprint, url_for

api = Blueprint("api", __name__, url_prefix="/api/v1")


@api.get("/")
def index():
    return {
        "version": "v1",
        "endpoints": {
            "benchmarks": url_for("api.benchmarks"),
            "benchmark": url_for("api.benchmark", benchmark="beir"),
            "tasks": url_for("api.tasks"),
            "task": url_for("api.task", task_id="beir/scifact"),
            "models": url_for("api.models"),
            "model": url_for("api.model", name="bm25s-flat"),
            "scores": url_for("api.scores"),
            "runs": url_for("api.runs"),
            "run": url_for("api.run", run_id=1),
            "submissions": url_for("api.submissions"),
            "submission": url_for("api.submission", submission_id=1),
        },
    }


from web.api import benchmarks, explorer, models, runs, submissions, tasks  # noqa: E402, F401  (each registers its routes)
