"""`leaderboard export-run`: a stored run's ranking as a standard TREC run file."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from common.errors import UserError
from leaderboard.commands.common import one_line_errors


@click.command("export-run")
@click.argument("run_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["trec"]), default="trec", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="Write here instead of standard output.")
@click.option("--include-unpublished", is_flag=True, help="Also a run of a model whose submission is not published (admin).")
@one_line_errors
def export_run(run_id: int, fmt: str, output: Path | None, include_unpublished: bool) -> None:
    """Write run RUN_ID's stored ranking as TREC lines ``qid Q0 docid rank score tag`` (tag: model.runID).

    The hits are the ones its scores were computed on (top 1,000 per judged query, trec_eval
    order), scores written exactly (``repr``), so trec_eval on the file gives the stored scores.
    """
    from sqlalchemy import select

    from leaderboard import schema
    from leaderboard.db import make_engine, session_factory
    from leaderboard.views.artifacts import NO_RANKING_NOTE, load_artifact, run_header, trec_lines, trec_tag

    with session_factory(make_engine())() as session:
        header = run_header(session, run_id) if 0 < run_id <= schema.MAX_ID else None
        if header is None:
            raise UserError(f"no run {run_id}; 'leaderboard results' and the site's run pages show run ids")
        published = session.scalar(
            select(schema.Model.published).join(schema.Run, schema.Run.model_id == schema.Model.id).where(schema.Run.id == run_id)
        )
        if not published and not include_unpublished:
            raise UserError(f"run {run_id} belongs to {header.model}, which is not published; add --include-unpublished (admin)")
        ranking = load_artifact(session, run_id)
        if ranking is None:
            raise UserError(f"run {run_id} ({header.model} on {header.task_id}): {NO_RANKING_NOTE}")
        lines = trec_lines(ranking, trec_tag(header.model, run_id))
        if output is None:
            for line in lines:
                sys.stdout.write(line)
            return
        text = "".join(lines)  # built first: a bad id leaves no half-written file
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as err:
            raise UserError(f"cannot write {output} ({err.strerror or err})") from err
        click.echo(f"wrote {ranking.total_hits:,} lines ({len(ranking):,} queries) of run {run_id} to {output}", err=True)
