"""`leaderboard serve` and `db` (the demo: `commands/demo.py`)."""

from __future__ import annotations

import click

from leaderboard.commands.common import one_line_errors


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@one_line_errors
def serve(host: str, port: int) -> None:
    """Serve the website (development server; see README for production)."""
    from web import create_app

    create_app().run(host=host, port=port)


@click.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@one_line_errors
def db_upgrade() -> None:
    """Create the schema in LEADERBOARD_DB, or migrate it to the newest revision."""
    from sqlalchemy import inspect

    from leaderboard.db import db_url, make_engine, masked_url
    from leaderboard.migrate import create_at_head, current_revision, head_revision, upgrade

    engine = make_engine(create=False)
    before = current_revision(engine)
    if not set(inspect(engine).get_table_names()) - {"alembic_version"}:
        create_at_head(engine)
    else:
        upgrade(engine)
    click.echo(f"{masked_url(db_url())}: schema at revision {head_revision()} (was {before or 'empty or first release'})")
