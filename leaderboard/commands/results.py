"""`leaderboard results`, `export` and `import`: read the stored scores back, or bring published ones in.

``results`` is the site's benchmark table (:func:`leaderboard.views.board.board_table` on the
snapshot of published models): the same ranks, the same means (with what they cover), the same
zero-shot flags.  ``export`` writes every stored score of published models, as the site shows
them; ``--include-unpublished`` (an admin's export of the whole database) adds the community
submissions that are not published yet.
"""

from __future__ import annotations

from pathlib import Path

import click

from common.errors import UserError
from leaderboard.commands.common import one_line_errors

ZERO_SHOT_WORDS = {True: "yes", False: "no", None: "unknown"}


@click.command()
@click.option("--benchmark", default="beir", show_default=True)
@one_line_errors
def results(benchmark: str) -> None:
    """Print the model × task table of main scores (current runs), ranked exactly as the site ranks it.

    Complete rows by their mean (CQADupStack's forums count once), equal means sharing a rank,
    partial rows after them, unranked; published models only.  A score on the model's own
    training data is marked †, and the zero-shot column is yes, no or unknown (the model lists
    no training data), as on the site.
    """
    from leaderboard.db import make_engine, session_factory
    from leaderboard.views.board import board_table
    from leaderboard.views.snapshot import load_snapshot

    with session_factory(make_engine())() as session:
        table = board_table(load_snapshot(session), benchmark)
    if not table.rows:
        from leaderboard.views.first_run import first_run, first_task

        first = first_task(benchmark)
        steps = first_run(first).steps if first else ()
        click.echo(f"no {benchmark} results yet" + ("; try: " + " then ".join(f"'{cmd}'" for cmd, _ in steps) if steps else ""))
        return
    width = max(len(row.model.name) for row in table.rows) + 2
    header = f"{'rank':>4}  " + "model".ljust(width) + "".join(f"{task.dataset:>16}" for task in table.columns)
    click.echo(header + f"{'mean':>10}  zero-shot")
    for row in table.rows:
        cells = "".join(
            f"{'–':>16}" if value is None else f"{value:>15.4f}" + ("†" if i in row.trained else " ") for i, value in enumerate(row.values)
        )
        mean = f"{row.mean:>10.4f}" if row.mean is not None else f"{'partial':>10}"
        rank = f"{row.rank:>4}" if row.rank is not None else f"{'':>4}"
        click.echo(f"{rank}  " + row.model.name.ljust(width) + cells + mean + f"  {ZERO_SHOT_WORDS[row.zero_shot]}")
    complete = table.complete_rows
    click.echo(f"mean over: {', '.join(complete[0].covers)}" if complete else "no row has every task yet")
    if any(row.trained for row in table.rows) or any(row.zero_shot is None for row in table.rows):
        click.echo("†: on the model's training data (not zero-shot); zero-shot unknown: the model lists no training data")


@click.command()
@click.option("--format", "fmt", type=click.Choice(["json", "csv", "mteb"]), default="json", show_default=True)
@click.option("--include-unpublished", is_flag=True, help="Also the models of submissions not published yet (an admin's full export).")
@click.argument("out_dir", required=False, type=click.Path(file_okay=False, path_type=Path))
@one_line_errors
def export(fmt: str, include_unpublished: bool, out_dir: Path | None) -> None:
    """Every stored score of published models as JSON or CSV records on stdout, or MTEB result files into OUT_DIR."""
    import csv
    import sys

    from leaderboard.db import make_engine, session_factory
    from leaderboard.serialize import csv_cell, dumps
    from leaderboard.views.scores import all_scores

    with session_factory(make_engine())() as session:
        if fmt == "mteb":
            from leaderboard.mteb_io import export_mteb

            if out_dir is None:
                raise UserError("export --format mteb needs an output folder: leaderboard export --format mteb DIR")
            try:
                written = export_mteb(session, out_dir, include_unpublished=include_unpublished)
            except OSError as err:
                raise UserError(f"{out_dir}: cannot write the MTEB files there ({err.strerror or err}); pick a writable folder") from err
            click.echo(f"wrote {len(written)} MTEB result files under {out_dir}")
            return
        records = all_scores(session, include_unpublished=include_unpublished)
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
