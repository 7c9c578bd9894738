"""`leaderboard run`: execute and store (reading back: `leaderboard/commands/results.py`)."""

from __future__ import annotations

import logging

import click

from common.errors import UserError
from leaderboard.commands.common import one_line_errors

log = logging.getLogger("leaderboard")


def stored_line(config, task, outcome, run_id) -> str:
    """What ``run`` and ``demo`` print for a stored run: every score, the run id and seconds, then each variant's main score."""
    main_value = outcome.scores[task.main_score].value
    lines = [
        f"{config.name} {task.id} {task.main_score}={main_value:.4f} "
        + " ".join(f"{m}={r.value:.4f}" for m, r in outcome.scores.items() if m != task.main_score)
        + f"  (run {run_id}, {outcome.manifest['total_s']:.1f}s)"
    ]
    for variant, variant_scores in outcome.variant_scores.items():  # e.g. Matryoshka sizes "dim=64"
        lines.append(f"  {variant} {task.main_score}={variant_scores[task.main_score].value:.4f}")
    return "\n".join(lines)


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

    report = Report(
        start=lambda task: log.info("running %s on %s (%s)", config.name, task.id, backend),
        skipped=lambda task, reason: click.echo(f"skipping {task.id}: {reason}"),
        recorded=lambda task, outcome, run_id: click.echo(stored_line(config, task, outcome, run_id)),
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
