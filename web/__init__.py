"""The Flask site. ``create_app()`` reads the database named by ``LEADERBOARD_DB``.

Blueprints: :mod:`web.pages` (HTML), :mod:`web.api` (JSON under ``/api/v1/``),
:mod:`web.plots` (PNG figures) and :mod:`web.submissions` (the submit form, status pages and
the admin review: the only pages that write, each POST checked against a CSRF token).
Everything read from the database comes from :mod:`leaderboard.views` and is cached per data
version (:mod:`web.views`, :mod:`web.cache`).  Responses
carry a strict Content-Security-Policy: no inline script or style, so nothing a user submits
can run in a visitor's browser.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlencode

from flask import Flask, abort, g, has_request_context, jsonify, render_template, request, url_for
from flask.json.provider import DefaultJSONProvider
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException, ServiceUnavailable
from werkzeug.routing import IntegerConverter

from common.settings import settings
from leaderboard import serialize
from leaderboard.db import is_unavailable, make_engine, session_factory
from leaderboard.schema import MAX_ID
from web.banner import demo_banner
from web.cache import VersionedCache
from web.formatting import fmt4, human_count, link, signed4, when
from web.urls import public_base_url

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


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's JSON, strict: a non-finite number is written as ``null`` (never ``NaN``/``Infinity``),
    and a body nested too deeply to parse is a client error (400), not a RecursionError (500)."""

    def dumps(self, obj, **kwargs):
        kwargs.setdefault("default", self.default)
        kwargs.setdefault("ensure_ascii", self.ensure_ascii)
        kwargs.setdefault("sort_keys", self.sort_keys)
        return serialize.dumps(obj, **kwargs)

    def loads(self, s, **kwargs):
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("the JSON is nested too deeply") from None


class IdConverter(IntegerConverter):
    """``<id:run_id>``: a database id, 1 … MAX_ID; anything else is no route (404) before the driver sees it."""

    def __init__(self, url_map) -> None:
        super().__init__(url_map, min=1, max=MAX_ID)


class SessionCookies(SecureCookieSessionInterface):
    """The session cookie is ``Secure`` when ``LEADERBOARD_SECURE_COOKIES`` says so or the request came over HTTPS.

    Behind a TLS proxy the request counts as HTTPS when the proxy says so and is trusted
    (gunicorn: ``forwarded_allow_ips`` and ``X-Forwarded-Proto``, set in web/gunicorn.conf.py).
    """

    def get_cookie_secure(self, app) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or (has_request_context() and request.is_secure)


def url_with(**changes: object) -> str:
    """The current URL with some query arguments replaced (None removes one); resets the page."""
    pairs = [(k, v) for k, v in request.args.items(multi=True) if k not in changes and k != "page"]
    pairs += [(k, str(v)) for k, v in changes.items() if v is not None]
    query = urlencode(pairs)
    return request.script_root + request.path + (f"?{query}" if query else "")


def create_app(db_url: str | None = None) -> Flask:
    app = Flask(__name__)
    app.json = StrictJSONProvider(app)
    app.url_map.converters["id"] = IdConverter
    app.session_interface = SessionCookies()
    public_base_url()  # a malformed LEADERBOARD_PUBLIC_URL stops the start, not the first submission
    engine = make_engine(db_url)
    app.config["SESSION_FACTORY"] = session_factory(engine)
    app.config["JSON_SORT_KEYS"] = False
    app.json.sort_keys = False
    app.extensions["leaderboard_cache"] = VersionedCache()
    # Signs the session cookie (remembered token, CSRF secret).  Without LEADERBOARD_SECRET_KEY a
    # random key is made per process: sessions then end with a restart and are not shared by
    # workers started without --preload, so production sets it.
    current = settings()
    app.config["SECRET_KEY"] = current.secret_key or secrets.token_hex(32)
    if not current.secret_key:
        app.logger.warning("LEADERBOARD_SECRET_KEY is not set; using a random key for this process")
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_SECURE"] = current.secure_cookies
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024  # a config may have 64 KiB; refuse bigger bodies unread

    @app.teardown_appcontext
    def close_session(_exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()

    @app.before_request
    def refuse_nul_bytes() -> None:
        # PostgreSQL's text type cannot hold NUL, and no name, id or filter value contains one
        if any("\x00" in key or "\x00" in value for key, value in request.args.items(multi=True)):
            abort(400, description="Query parameters may not contain NUL bytes.")

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

    @app.errorhandler(DBAPIError)
    def database_error(err: DBAPIError):
        if not is_unavailable(err):
            return server_error(err)
        app.logger.error("database unavailable on %s: %s", request.path, (str(err.orig or err).splitlines() or [""])[0])
        detail = "The database is unavailable or read-only right now; nothing was changed. Try again later."
        if request.path.startswith("/api/"):
            response = jsonify({"error": "Service Unavailable", "status": 503, "detail": detail})
        else:
            response = app.make_response((render_template("error.html", error=ServiceUnavailable(detail)), 503))
        response.status_code = 503
        response.headers["Retry-After"] = "30"
        return response

    @app.errorhandler(Exception)
    def server_error(err: Exception):
        app.logger.exception("unhandled error on %s", request.path)
        if request.path.startswith("/api/"):
            return jsonify({"error": "Internal Server Error", "status": 500, "detail": "see the server log"}), 500
        return render_template("error.html", error=None), 500

    app.jinja_env.filters.update(f4=fmt4, signed4=signed4, human=human_count, when=when, link=link)
    from leaderboard.next_step import next_step_of
    from leaderboard.views.labels import benchmark_name
    from leaderboard.views.snapshot import registered_benchmarks, registered_tasks

    app.jinja_env.globals.update(url_with=url_with, url_for=url_for, benchmark_name=benchmark_name, next_step_of=next_step_of)
    from web.cellinfo import fused_badge_html

    app.jinja_env.globals.update(fused_badge=fused_badge_html)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def navigation():
        return {"nav_benchmarks": [(b, benchmark_name(b)) for b in registered_benchmarks()]}

    @app.context_processor
    def demo_progress():
        return {"demo_banner": demo_banner()}  # a `leaderboard demo` running now (web/banner.py)

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
    registered_tasks()
    return app
