"""`leaderboard run`, `results` and `export`: execute and store, then read back."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from common.errors import UserError
from leaderboard.commands.common import one_line_errors

log = logging.getLogger("leaderboard")


def execute_and_store(
    model: str, task_ids: list[str], db: str | None = None, *, backend: str = "local", address: str | None = None
) -> list[int]:
    """Run ``model`` on each task and store each run in its own transaction (:mod:`leaderboard.service`).

    Tasks the model's backend cannot do (BM25 on STS, a text model on ARO) are skipped with a
    message; anything else that goes wrong stops with a one-line error.  The data of every task
    is checked before the first one runs, so bad data never leaves some tasks stored; an error
    while running (a model that fails on the third task) keeps the runs already stored, each of
    which is complete.  Running nothing at all is an error.
    """
    from leaderboard.names import owner_for
    from leaderboard.service import PerTaskRecorder, Report, lazy_sessions, plan, resolve, run_and_record
    from runners.executors import executor_for

    if not task_ids:
        raise UserError("--tasks names no task; give task ids (beir/scifact) or benchmarks (sts), separated by commas")
    model_ = resolve(model)
    config = model_.config
    make_session = lazy_sessions(db)
    planned = plan(config, task_ids, owner_for(config, is_reference=model_.is_reference, source=model_.path), make_session)

    def stored(task, outcome, run_id) -> None:
        main_value = outcome.scores[task.main_score].value
        click.echo(
            f"{config.name} {task.id} {task.main_score}={main_value:.4f} "
            + " ".join(f"{m}={r.value:.4f}" for m, r in outcome.scores.items() if m != task.main_score)
            + f"  (run {run_id}, {outcome.manifest['total_s']:.1f}s)"
        )
        for variant, variant_scores in outcome.variant_scores.items():  # e.g. Matryoshka sizes "dim=64"
            click.echo(f"  {variant} {task.main_score}={variant_scores[task.main_score].value:.4f}")

    report = Report(
        start=lambda task: log.info("running %s on %s (%s)", config.name, task.id, backend),
        skipped=lambda task, reason: click.echo(f"skipping {task.id}: {reason}"),
        recorded=stored,
    )
    recorded = run_and_record(
        planned,
        executor_for(backend, address),
        PerTaskRecorder(make_session, config, model_.is_reference),
        report,
        nothing_ran=f"{config.name} ({config.backend}) can run none of the tasks asked for: {', '.join(task_ids)}",
    )
    return [r.run_id for r in recorded if r.run_id is not None]


@click.command()
@click.argument("model")
@click.option("--tasks", "task_list", required=True, help="Comma-separated task ids (beir/scifact) or benchmarks (sts, beir/*).")
@click.option("--backend", type=click.Choice(["local", "ray"]), default="local", show_default=True, help="Where the jobs run.")
@click.option("--address", help="Ray cluster address (default: start a local one-node Ray).")
@one_line_errors
def run(model: str, task_list: str, backend: str, address: str | None) -> None:
    """Run MODEL (a reference name or a config .yaml) on tasks and store the scores."""
    from benchmarks.registry import expand_task_ids

    execute_and_store(model, expand_task_ids(task_list), backend=backend, address=address)


# --------------------------------------------------------------------------- results
@click.command()
@click.option("--benchmark", default="beir", show_default=True)
@one_line_errors
def results(benchmark: str) -> None:
    """Print the model × task table of main scores (current runs), ranked exactly as the site ranks it.

    The same board as the site's benchmark page (``queries.board_table`` on a snapshot of the
    published models): complete rows by their mean (CQADupStack's forums count once), equal means
    sharing a rank, partial rows after them, unranked.
    """
    from leaderboard.db import make_engine, session_factory
    from leaderboard.queries import board_table, load_snapshot

    with session_factory(make_engine())() as session:
        table = board_table(load_snapshot(session), benchmark)
    if not table.rows:
        click.echo(f"no {benchmark} results yet; try 'leaderboard run bm25s-flat --tasks beir/scifact'")
        return
    width = max(len(row.model.name) for row in table.rows) + 2
    click.echo(f"{'rank':>4}  " + "model".ljust(width) + "".join(f"{task.dataset:>16}" for task in table.columns) + f"{'mean':>10}")
    for row in table.rows:
        cells = "".join(f"{value:>16.4f}" if value is not None else f"{'–':>16}" for value in row.values)
        mean = f"{row.mean:>10.4f}" if row.mean is not None else f"{'partial':>10}"
        rank = f"{row.rank:>4}" if row.rank is not None else f"{'':>4}"
        click.echo(f"{rank}  " + row.model.name.ljust(width) + cells + mean)
    click.echo(f"mean over: {', '.join(table.rows[0].covers)}" if table.rows[0].complete else "no row has every task yet")


@click.command()
@click.option("--format", "fmt", type=click.Choice(["json", "csv", "mteb"]), default="json", show_default=True)
@click.argument("out_dir", required=False, type=click.Path(file_okay=False, path_type=Path))
@one_line_errors
def export(fmt: str, out_dir: Path | None) -> None:
    """Every stored score as JSON or CSV records on stdout, or MTEB result files into OUT_DIR."""
    import csv
    import sys

    from leaderboard.db import make_engine, session_factory
    from leaderboard.queries import all_scores
    from leaderboard.serialize import csv_cell, dumps

    with session_factory(make_engine())() as session:
        if fmt == "mteb":
            from leaderboard.mteb_io import export_mteb

            if out_dir is None:
                raise UserError("export --format mteb needs an output folder: leaderboard export --format mteb DIR")
            try:
                written = export_mteb(session, out_dir)
            except OSError as err:
                raise UserError(f"{out_dir}: cannot write the MTEB files there ({err.strerror or err}); pick a writable folder") from err
            click.echo(f"wrote {len(written)} MTEB result files under {out_dir}")
            return
        records = all_scores(session)
    if fmt == "json":
        click.echo(dumps(records, indent=1))  # strict JSON: a non-finite value is null
        return
    columns = list(records[0]) if records else ["model", "task", "metric", "value", "run_id"]
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([csv_cell(record.get(column)) for column in columns] for record in records)


@click.command("import")
@click.option("--format", "fmt", type=click.Choice(["mteb"]), default="mteb", show_default=True)
@click.option("--source", "source_label", help="How to name the source of these numbers (default: 'MTEB results').")
@click.argument("in_dir", type=click.Path(path_type=Path))
@one_line_errors
def import_results(fmt: str, source_label: str | None, in_dir: Path) -> None:
    """Read MTEB result files from IN_DIR as reported numbers of the matching models."""
    from leaderboard.db import make_engine, session_factory
    from leaderboard.mteb_io import import_mteb
    from leaderboard.store import upsert_model
    from submissions.registry import reference_configs

    with session_factory(make_engine())() as session, session.begin():
        for config, _path in reference_configs().values():  # so reference models match even before their first run
            if config.weights and config.weights.hf:
                upsert_model(session, config, is_reference=True)
        stored = import_mteb(session, in_dir, source_label=source_label)
    click.echo(f"stored {stored} reported scores from {in_dir}")
