"""Database URL and engine.

``LEADERBOARD_DB`` is an SQLAlchemy URL (e.g. ``postgresql+psycopg://user@host/db``); by default
an SQLite file at ``$XDG_DATA_HOME/leaderboard/leaderboard.db`` (``~/.local/share/…``).
An empty database gets the newest schema on first use; an older one must be migrated with
``leaderboard db upgrade`` first (see :mod:`leaderboard.migrate`).
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from common.errors import UserError
from common.settings import settings
from leaderboard.serialize import dumps_refusing

# How long an SQLite writer waits for another one to commit (pysqlite's default is 5 s, which
# a burst of concurrent submissions on a busy machine can exceed: "database is locked").
SQLITE_BUSY_TIMEOUT_S = 30


def db_url() -> str:
    """``LEADERBOARD_DB``, else the SQLite default (:meth:`common.settings.Settings.db_url`)."""
    return settings().db_url()


def masked_url(url: str) -> str:
    """``url`` with its password replaced by ``***``: the only form of a database URL ever shown."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not parseable as a URL: mask anything between "user:" and "@" by hand
        return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


def describe_db_error(err: DBAPIError, url: str | None = None) -> str:
    """One line for a database error at run time, with the URL masked and the usual causes named.

    The driver's own message is kept (its first line, without the SQL statement SQLAlchemy adds).
    """
    original = getattr(err, "orig", None) or err
    detail = str(original).strip().splitlines()[0] if str(original).strip() else original.__class__.__name__
    lowered = detail.lower()
    if "readonly" in lowered or "read-only" in lowered or "read only" in lowered:
        hint = "the database is read-only"
    elif "disk is full" in lowered or "no space" in lowered or "disk full" in lowered:
        hint = "the disk is full"
    elif "locked" in lowered:
        hint = "another process holds a lock on the database"
    else:
        hint = "the database refused the operation"
    return f"{hint} ({masked_url(url or db_url())}: {original.__class__.__name__}: {detail}); nothing was written"


# SQLSTATE classes of a database that cannot take the request now: 08 connection, 25006 read-only
# transaction, 53 insufficient resources (disk full, out of memory, too many connections), 57P
# shut down / cannot connect now.
UNAVAILABLE_SQLSTATES = ("08", "25006", "53", "57P")
# SQLite's result codes for the same situations (sqlite3 errors carry them as ``sqlite_errorname``)
UNAVAILABLE_SQLITE = ("SQLITE_READONLY", "SQLITE_FULL", "SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_CANTOPEN", "SQLITE_IOERR")


def is_unavailable(err: DBAPIError) -> bool:
    """Whether a database error means "unavailable right now" (read-only, disk full, locked, down): a 503, not a bug."""
    original = getattr(err, "orig", None)
    sqlstate = getattr(original, "sqlstate", None) or ""
    sqlite_name = getattr(original, "sqlite_errorname", None) or ""
    return sqlstate.startswith(UNAVAILABLE_SQLSTATES) if sqlstate else sqlite_name.startswith(UNAVAILABLE_SQLITE)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def make_engine(url: str | None = None, *, create: bool = True) -> Engine:
    """An engine for ``url`` (default :func:`db_url`), with the schema created if asked."""
    url = url or db_url()
    if url.startswith("sqlite:///") and not url.startswith(("sqlite:///:memory:", "sqlite:///file:")):  # file: is a URI (?mode=ro)
        Path(url.removeprefix("sqlite:///")).expanduser().parent.mkdir(parents=True, exist_ok=True)
    sqlite = url.startswith("sqlite")
    try:
        engine = create_engine(
            url,
            future=True,
            # JSON columns hold strict JSON only: NaN/Infinity are refused on SQLite as PostgreSQL does
            json_serializer=dumps_refusing,
            **({"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_S}} if sqlite else {}),
        )
    except (SQLAlchemyError, ImportError, ValueError) as err:
        shown = str(err).replace(url, masked_url(url))
        raise UserError(f"LEADERBOARD_DB={masked_url(url)!r} is not a usable database URL ({shown})") from err
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    if create:
        from leaderboard.migrate import ensure_current

        try:
            ensure_current(engine)
        except SQLAlchemyError as err:
            first_line = (str(err).splitlines() or [""])[0]
            raise UserError(
                f"cannot open the database {engine.url.render_as_string(hide_password=True)} "
                f"({err.__class__.__name__}: {first_line.replace(url, masked_url(url))})"
            ) from err
    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False, future=True)
