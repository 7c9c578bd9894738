"""The ``leaderboard`` command: data, models, run, results, export, export-run, serve, demo, db.

Every command turns a :class:`~common.errors.UserError` into one line on stderr and exit
status 1; nothing is written to the database unless a run finished.  The commands live in
``leaderboard/commands/``, one module per group.
"""

from __future__ import annotations

import logging

import click

from common.logs import quiet_libraries
from leaderboard.commands.artifacts import export_run
from leaderboard.commands.data import data
from leaderboard.commands.demo import demo
from leaderboard.commands.models import models
from leaderboard.commands.reproduce import compare, reproduce
from leaderboard.commands.results import export, import_results, results
from leaderboard.commands.run import run
from leaderboard.commands.serve import db, serve
from leaderboard.commands.submit import submissions, submit, tokens, worker


@click.group()
@click.option(
    "-v", "--verbose", is_flag=True, help="Debug logging, with the libraries' own lines (faiss, bm25s, Alembic, Anserini's Java log)."
)
def main(verbose: bool) -> None:
    """Benchmark and leaderboard for representation models."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )
    quiet_libraries(verbose=verbose)


for command in (
    data,
    models,
    run,
    results,
    export,
    export_run,
    import_results,
    serve,
    demo,
    db,
    reproduce,
    compare,
    submit,
    worker,
    tokens,
    submissions,
):
    main.add_command(command)


if __name__ == "__main__":
    main()
