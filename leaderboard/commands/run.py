"""`leaderboard run`, `results` and `export`: execute and store, then read back."""

from __future__ import annotations

import json
import logging

import click

from leaderboard.commands.common import one_line_errors

log = logging.getLogger("leaderboard")


def execute_and_store(model: str, task_ids: list[str], db: str | None = None) -> list[int]:
    """Run ``model`` on each task and store each run in its own transaction.

    Tasks the model's backend cannot do (BM25 on STS, a text model on ARO) are skipped with a
    message; anything else that goes wrong stops with a one-line error.
    """
    from benchmarks.tasks import get_task
    from leaderboard.db import make_engine, session_factory
    from leaderboard.store import record_run
    from runners.execute import run_task
    from runners.session import ModelSession, TaskNotSupported
    from submissions.registry import REFERENCE_DIR, resolve_model

    config, path = resolve_model(model)
    tasks = [get_task(task_id) for task_id in task_ids]  # all unknown ids fail before any work
    engine = make_engine(db)
    make_session = session_factory(engine)
    model_session = ModelSession(config)  # weights load once, for all tasks
    run_ids = []
    for task in tasks:
        log.info("running %s on %s", config.name, task.id)
        try:
            outcome = run_task(model_session, task)
        except TaskNotSupported as reason:
            click.echo(f"skipping {task.id}: {reason}")
            continue
        with make_session() as session:
            run_id = record_run(session, config, task, outcome, is_reference=path.parent.resolve() == REFERENCE_DIR.resolve())
        run_ids.append(run_id)
        main_value = outcome.scores[task.main_score].value
        click.echo(
            f"{config.name} {task.id} {task.main_score}={main_value:.4f} "
            + " ".join(f"{m}={r.value:.4f}" for m, r in outcome.scores.items() if m != task.main_score)
            + f"  (run {run_id}, {outcome.manifest['total_s']:.1f}s)"
        )
    return run_ids


@click.command()
@click.argument("model")
@click.option("--tasks", "task_list", required=True, help="Comma-separated task ids (beir/scifact) or benchmarks (sts, beir/*).")
@one_line_errors
def run(model: str, task_list: str) -> None:
    """Run MODEL (a reference name or a config .yaml) on tasks and store the scores."""
    from benchmarks.tasks import expand_task_ids

    execute_and_store(model, expand_task_ids(task_list))


# --------------------------------------------------------------------------- results
@click.command()
@click.option("--benchmark", default="beir", show_default=True)
@one_line_errors
def results(benchmark: str) -> None:
    """Print the model × task table of main scores (current runs)."""
    from leaderboard.db import make_engine, session_factory
    from leaderboard.queries import benchmark_table

    with session_factory(make_engine())() as session:
        table = benchmark_table(session, benchmark)
    if not table.rows:
        click.echo(f"no {benchmark} results yet; try 'leaderboard run bm25s-flat --tasks beir/scifact'")
        return
    names = [task.split("/", 1)[1] for task in table.tasks]
    width = max(len(row["model"]) for row in table.rows) + 2
    click.echo("model".ljust(width) + "".join(f"{name:>16}" for name in names) + f"{'mean':>10}")
    for row in table.rows:
        cells = "".join(f"{value:>16.4f}" if value is not None else f"{'–':>16}" for value in row["scores"].values())
        mean = f"{row['mean']:>10.4f}" if row["mean"] is not None else f"{'partial':>10}"
        click.echo(row["model"].ljust(width) + cells + mean)


@click.command()
@click.option("--format", "fmt", type=click.Choice(["json"]), default="json", show_default=True)
@one_line_errors
def export(fmt: str) -> None:
    """Print every stored score as JSON records (model, task, metric, value, run id)."""
    from leaderboard.db import make_engine, session_factory
    from leaderboard.queries import all_scores

    with session_factory(make_engine())() as session:
        click.echo(json.dumps(all_scores(session), indent=1))
