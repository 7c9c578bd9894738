"""The Flask site. ``create_app()`` reads the database named by ``LEADERBOARD_DB``.

Blueprints: :mod:`web.pages` (HTML), :mod:`web.api` (JSON under ``/api/v1/``),
:mod:`web.plots` (PNG figures) and :mod:`web.submissions` (the submit form, status pages and
the admin review: the only pages that write, each POST checked against a CSRF token).
Everything read from the database is cached per data version (:mod:`web.cache`).  Responses
carry a strict Content-Security-Policy: no inline script or style, so nothing a user submits
can run in a visitor's browser.
"""

from __future__ import annotations

import os
import secrets
from urllib.parse import urlencode

from flask import Flask, g, jsonify, render_template, request, url_for
from werkzeug.exceptions import HTTPException

from leaderboard.db import make_engine, session_factory
from web.cache import VersionedCache
from web.formatting import fmt4, human_count, signed4, when

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; "
        "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def url_with(**changes: object) -> str:
    """The current URL with some query arguments replaced (None removes one); resets the page."""
    pairs = [(k, v) for k, v in request.args.items(multi=True) if k not in changes and k != "page"]
    pairs += [(k, str(v)) for k, v in changes.items() if v is not None]
    query = urlencode(pairs)
    return request.script_root + request.path + (f"?{query}" if query else "")


def create_app(db_url: str | None = None) -> Flask:
    app = Flask(__name__)
    engine = make_engine(db_url)
    app.config["SESSION_FACTORY"] = session_factory(engine)
    app.config["JSON_SORT_KEYS"] = False
    app.json.sort_keys = False
    app.extensions["leaderboard_cache"] = VersionedCache()
    # Signs the session cookie (remembered token, CSRF secret).  Without LEADERBOARD_SECRET_KEY a
    # random key is made per process: sessions then end with a restart and are not shared by
    # workers started without --preload, so production sets it.
    app.config["SECRET_KEY"] = os.environ.get("LEADERBOARD_SECRET_KEY") or secrets.token_hex(32)
    if not os.environ.get("LEADERBOARD_SECRET_KEY"):
        app.logger.warning("LEADERBOARD_SECRET_KEY is not set; using a random key for this process")
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_SECURE"] = os.environ.get("LEADERBOARD_SECURE_COOKIES", "").lower() in {"1", "true", "yes"}
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024  # a config may have 64 KiB; refuse bigger bodies unread

    @app.teardown_appcontext
    def close_session(_exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()

    @app.after_request
    def security_headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException):
        if request.path.startswith("/api/"):
            return jsonify({"error": err.name, "status": err.code, "detail": err.description}), err.code
        return render_template("error.html", error=err), err.code

    @app.errorhandler(Exception)
    def server_error(err: Exception):
        app.logger.exception("unhandled error on %s", request.path)
        if request.path.startswith("/api/"):
            return jsonify({"error": "Internal Server Error", "status": 500, "detail": "see the server log"}), 500
        return render_template("error.html", error=None), 500

    app.jinja_env.filters.update(f4=fmt4, signed4=signed4, human=human_count, when=when)
    from web.labels import benchmark_name

    app.jinja_env.globals.update(url_with=url_with, url_for=url_for, benchmark_name=benchmark_name)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def navigation():
        from web.labels import benchmark_name
        from web.pages import registered_benchmarks

        return {"nav_benchmarks": [(b, benchmark_name(b)) for b in registered_benchmarks()]}

    from web.api import api
    from web.pages import pages
    from web.plots import plots
    from web.submissions import submit_pages

    app.register_blueprint(pages)
    app.register_blueprint(api)
    app.register_blueprint(plots)
    app.register_blueprint(submit_pages)
    # Import the task registry now (scipy/scikit-learn come with some benchmarks: ~2 s), so that
    # no visitor waits for it and gunicorn --preload shares it between workers.
    from web.pages import registered_tasks

    registered_tasks()
    return app
