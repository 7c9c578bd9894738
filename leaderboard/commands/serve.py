"""`leaderboard serve`, `demo` and `db`."""

from __future__ import annotations

import click

from common.errors import UserError
from leaderboard.commands.common import one_line_errors
from leaderboard.commands.run import execute_and_store


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@one_line_errors
def serve(host: str, port: int) -> None:
    """Serve the website (development server; see README for production)."""
    from web import create_app

    create_app().run(host=host, port=port)


@click.command()
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--rerun", is_flag=True, help="Run again even where a current result exists.")
@click.option("--no-serve", is_flag=True, help="Only run, do not start the web server.")
@one_line_errors
def demo(port: int, rerun: bool, no_serve: bool) -> None:
    """Run the reference models on the datasets present, then serve the page."""
    from benchmarks.data_status import data_status
    from benchmarks.registry import all_tasks
    from leaderboard.db import make_engine, session_factory
    from leaderboard.views.scores import current_main_scores
    from runners.jvm import lucene_searcher_class
    from runners.session import supports
    from submissions.registry import reference_configs

    present = [task.id for task in all_tasks().values() if data_status(task).state == "verified"]
    if not present:
        raise UserError(
            "no benchmark data found; set LEADERBOARD_DATA_DIR (e.g. to ../shared/datasets) or run 'leaderboard data fetch beir/scifact'"
        )
    with session_factory(make_engine())() as session:
        done = {(model, task) for model, _, task, _, _, _ in current_main_scores(session)}
    tasks = all_tasks()
    # fusion models last: they are computed from the other models' runs made just before
    ordered = sorted(reference_configs().items(), key=lambda item: item[1][0].backend == "fusion")
    for name, (config, _path) in ordered:
        if config.backend == "bm25" and config.bm25 and config.bm25.engine == "lucene":
            try:
                lucene_searcher_class()
            except UserError as err:
                click.echo(f"skipping {name}: {err}")
                continue
        todo = [t for t in present if supports(config, tasks[t].benchmark) and (rerun or (name, t) not in done)]
        if not todo:
            continue
        try:
            execute_and_store(name, todo)
        except UserError as err:  # e.g. weights that need a download on an offline machine
            click.echo(f"skipping {name}: {err}")
    if not no_serve:
        click.echo(f"serving on http://127.0.0.1:{port}/")
        from web import create_app

        create_app().run(host="127.0.0.1", port=port)


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
