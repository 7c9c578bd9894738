"""`leaderboard run`: execute and store (reading back: `leaderboard/commands/results.py`)."""

from __future__ import annotations

import logging

import click

from common.errors import UserError
from leaderboard.commands.common import one_line_errors

log = logging.getLogger("leaderboard")


def execute_and_store(
    model: str, task_ids: list[str], db: str | None = None, *, backend: str = "local", address: str | None = None
) -> list[int]:
    """Run ``model`` on each task and store each run in its own transaction.

    Tasks the model's backend cannot do (BM25 on STS, a text model on ARO) are skipped with a
    message; anything else that goes wrong stops with a one-line error.  The data of every task
    is checked before the first one runs, so bad data never leaves some tasks stored; an error
    while running (a model that fails on the third task) keeps the runs already stored, each of
    which is complete.  Running nothing at all is an error.
    """
    from benchmarks.data_status import require_verified
    from benchmarks.registry import get_task
    from leaderboard.db import make_engine, session_factory
    from leaderboard.names import check_name, owner_for
    from leaderboard.store import record_run
    from runners.execute import run_task
    from runners.session import ModelSession, TaskNotSupported, supports
    from submissions.registry import REFERENCE_DIR, resolve_model

    if not task_ids:
        raise UserError("--tasks names no task; give task ids (beir/scifact) or benchmarks (sts), separated by commas")
    config, path = resolve_model(model)
    tasks = [get_task(task_id) for task_id in task_ids]  # all unknown ids fail before any work
    # and all bad data: nothing runs, nothing is stored.  The first task's data is checked as it
    # loads, before anything is stored, so only the later ones are read ahead (a one-task run of
    # a big corpus reads it once).
    for task in [t for t in tasks if supports(config, t.benchmark)][1:]:
        require_verified(task)
    engine = make_engine(db)
    make_session = session_factory(engine)
    is_reference = path.parent.resolve() == REFERENCE_DIR.resolve()
    with make_session() as session:  # a name that belongs to another model is refused before any work
        check_name(session, config.name, owner_for(config, is_reference=is_reference, source=path))
    if backend == "ray":
        from runners.ray_backend import run_matrix

        remote = run_matrix([(config.model_dump(mode="json"), task.id) for task in tasks], address=address)
        results = iter(remote)
    else:
        model_session = ModelSession(config)  # weights load once, for all tasks
    run_ids = []
    for task in tasks:
        log.info("running %s on %s (%s)", config.name, task.id, backend)
        try:
            outcome = next(results) if backend == "ray" else run_task(model_session, task)
            if isinstance(outcome, TaskNotSupported):
                raise outcome
        except TaskNotSupported as reason:
            click.echo(f"skipping {task.id}: {reason}")
            continue
        with make_session() as session:
            run_id = record_run(session, config, task, outcome, is_reference=is_reference)
        run_ids.append(run_id)
        main_value = outcome.scores[task.main_score].value
        click.echo(
            f"{config.name} {task.id} {task.main_score}={main_value:.4f} "
            + " ".join(f"{m}={r.value:.4f}" for m, r in outcome.scores.items() if m != task.main_score)
            + f"  (run {run_id}, {outcome.manifest['total_s']:.1f}s)"
        )
        for variant, variant_scores in outcome.variant_scores.items():  # e.g. Matryoshka sizes "dim=64"
            click.echo(f"  {variant} {task.main_score}={variant_scores[task.main_score].value:.4f}")
    if not run_ids:
        raise UserError(f"{config.name} ({config.backend}) can run none of the tasks asked for: {', '.join(task_ids)}")
    return run_ids


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
