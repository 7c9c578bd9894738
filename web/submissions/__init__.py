"""Self-service submissions on the site: the form, status pages, one's own list, admin review.

Routes (blueprint ``submit_pages``):

- ``GET/POST /submit``: paste or upload a model config, name the tasks, give a token.  Errors
  are shown next to the input they concern (``ConfigError.problems``); on success the browser
  is sent to the status page (:mod:`web.submissions.form`).
- ``GET /submissions/<id>``: the config, the state with the time of every transition, the log
  tail, the error of a failed run in plain words, links to the model once published.
- ``GET /submissions`` (``?mine`` for the remembered token's own, ``?state=``): the queue.
- ``POST /submissions/token`` / ``POST /submissions/forget``: remember or forget a token.
- ``GET /submissions/admin`` and ``POST /submissions/<id>/review``: an admin token approves,
  rejects and publishes (:mod:`web.submissions.review`).

The form, the JSON API (:mod:`web.api.submissions`) and the CLI all end in
:func:`leaderboard.submissions.create_submission`: the same validation, the same record, and a
refused config writes nothing.  Every query lives in :mod:`leaderboard.submissions` and
:mod:`leaderboard.tokens`; this package only reads requests, calls them and formats.
:mod:`web.submissions.core` is what the API shares with these pages; the signed-in browser
session and CSRF are :mod:`web.submissions.signin`.
"""

from __future__ import annotations

from flask import Blueprint

submit_pages = Blueprint("submit_pages", __name__)

from web.submissions import form, review, signin  # noqa: E402, F401  (each registers its routes and hooks)
