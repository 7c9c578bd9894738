"""Schema versions, owned by Alembic (``leaderboard/migrations``).

- An empty database is brought to the newest schema on first use (a newcomer's first
  ``leaderboard run`` just works).
- A database created by the first release (tables, no ``alembic_version``) is recognised as
  revision 0001.
- Any other database that is not at the newest revision is refused with a one-line error until
  ``leaderboard db upgrade`` migrates it: nothing (CLI or web app) runs on an unmigrated schema.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from common.errors import UserError

MIGRATIONS = Path(__file__).parent / "migrations"


def _config(connection=None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    return ScriptDirectory.from_config(_config()).get_current_head()  # type: ignore[return-value]


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def _is_first_release(engine: Engine) -> bool:
    tables = set(inspect(engine).get_table_names())
    return {"models", "tasks", "runs", "scores"} <= tables and "alembic_version" not in tables


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate to ``revision`` (stamping a first-release database as 0001 first).

    On SQLite, foreign keys are switched off while migrating: batch migrations rebuild a table
    by copy-and-rename, which enforced foreign keys would refuse (Alembic's documented recipe).
    """
    first_release = _is_first_release(engine)
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        with connection.begin():
            config = _config(connection)
            if first_release:
                command.stamp(config, "0001")
            command.upgrade(config, revision)
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()


def create_at_head(engine: Engine) -> None:
    """A new database: create every table from the models and stamp it as the newest revision.

    This is Alembic's recommended way to start a database (tests prove that migrating 0001 → head
    gives the same schema).
    """
    from leaderboard.schema import Base

    Base.metadata.create_all(engine)
    with engine.begin() as connection:
        command.stamp(_config(connection), "head")


def ensure_current(engine: Engine) -> None:
    """Create an empty database at head; refuse a database whose schema is behind."""
    tables = set(inspect(engine).get_table_names())
    if not tables - {"alembic_version"}:
        create_at_head(engine)
        return
    current = current_revision(engine) or ("0001" if _is_first_release(engine) else None)
    head = head_revision()
    if current != head:
        url = engine.url.render_as_string(hide_password=True)
        raise UserError(
            f"the database {url} has schema revision {current or 'unknown'}, this code needs {head}: run 'leaderboard db upgrade'"
        )
