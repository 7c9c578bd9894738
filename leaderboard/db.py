"""Database URL and engine.

``LEADERBOARD_DB`` is an SQLAlchemy URL (e.g. ``postgresql+psycopg://user@host/db``); by default
an SQLite file at ``$XDG_DATA_HOME/leaderboard/leaderboard.db`` (``~/.local/share/…``).
An empty database gets the newest schema on first use; an older one must be migrated with
``leaderboard db upgrade`` first (see :mod:`leaderboard.migrate`).
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from benchmarks.errors import UserError


def default_db_url() -> str:
    xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return f"sqlite:///{Path(xdg) / 'leaderboard' / 'leaderboard.db'}"


def db_url() -> str:
    return os.environ.get("LEADERBOARD_DB") or default_db_url()


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def make_engine(url: str | None = None, *, create: bool = True) -> Engine:
    """An engine for ``url`` (default :func:`db_url`), with the schema created if asked."""
    url = url or db_url()
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url.removeprefix("sqlite:///")).expanduser().parent.mkdir(parents=True, exist_ok=True)
    try:
        engine = create_engine(url, future=True)
    except (SQLAlchemyError, ImportError, ValueError) as err:
        raise UserError(f"LEADERBOARD_DB={url!r} is not a usable database URL ({err})") from err
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    if create:
        from leaderboard.migrate import ensure_current

        try:
            ensure_current(engine)
        except SQLAlchemyError as err:
            raise UserError(
                f"cannot open the database {engine.url.render_as_string(hide_password=True)} "
                f"({err.__class__.__name__}: {str(err).splitlines()[0]})"
            ) from err
    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False, future=True)
