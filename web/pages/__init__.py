"""Server-rendered pages, one module per page. Read-only: nothing here runs a model.

Every page reads the cached views (:mod:`web.views`) or one small query, so a page costs the
same with 5 models or 1,000.  Tables take ``sort``/``order``/``page``/``per_page`` and the
filters of :mod:`web.filters` from the URL, and ``format=csv|json`` downloads exactly the table
shown (all pages).  Numbers and labels come from the views; a page only formats them.

- :mod:`~web.pages.home`: ``/`` (benchmark cards, the overall table);
- :mod:`~web.pages.benchmark`: ``/benchmarks/<b>`` (rows built by :mod:`web.pages.board_rows`);
- :mod:`~web.pages.tasks`: ``/tasks/``, ``/tasks/<id>``;
- :mod:`~web.pages.models`: ``/models/``, ``/models/<name>``;
- :mod:`~web.pages.runs`: ``/runs/<id>``;
- :mod:`~web.pages.compare`: ``/compare``;
- :mod:`~web.pages.about`: ``/about``, ``/healthz``, ``/favicon.ico``.
"""

from __future__ import annotations

from flask import Blueprint

pages = Blueprint("pages", __name__)

from web.pages import about, benchmark, compare, explorer, home, models, runs, tasks  # noqa: E402, F401  (each registers its routes)
