"""Server-rendered pages. Read-only: nothing here runs a model."""

from __future__ import annotations

from flask import Blueprint, current_app, g, render_template
from sqlalchemy.orm import Session

from leaderboard.queries import benchmark_table

pages = Blueprint("pages", __name__)


def db_session() -> Session:
    if "db_session" not in g:
        g.db_session = current_app.config["SESSION_FACTORY"]()
    return g.db_session


@pages.get("/")
def home():
    table = benchmark_table(db_session(), "beir")
    return render_template("home.html", table=table)


@pages.get("/healthz")
def healthz():
    return {"status": "ok"}
