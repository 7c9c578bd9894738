"""The Flask site. ``create_app()`` reads the database named by ``LEADERBOARD_DB``."""

from __future__ import annotations

from flask import Flask, g

from leaderboard.db import make_engine, session_factory


def create_app(db_url: str | None = None) -> Flask:
    app = Flask(__name__)
    engine = make_engine(db_url)
    make_session = session_factory(engine)
    app.config["SESSION_FACTORY"] = make_session

    @app.teardown_appcontext
    def close_session(_exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()

    from web.pages import pages

    app.register_blueprint(pages)
    return app
