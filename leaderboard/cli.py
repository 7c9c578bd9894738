"""The ``leaderboard`` command: data, models, run, results, export, serve, demo, db.

Every command turns a :class:`~benchmarks.errors.UserError` into one line on stderr and exit
status 1; nothing is written to the database unless a run finished.
"""

from __future__ import annotations

import functools
import json
import logging
import sys
from collections.abc import Callable

import click

from benchmarks.errors import UserError

log = logging.getLogger("leaderboard")


def one_line_errors(func: Callable) -> Callable:
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except UserError as err:
            click.echo(f"error: {err}", err=True)
            sys.exit(1)

    return wrapper


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
def main(verbose: bool) -> None:
    """Benchmark and leaderboard for representation models."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", datefmt="%H:%M:%S"
    )
    for noisy in ("httpx", "urllib3", "bm25s", "filelock"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


# --------------------------------------------------------------------------- data
@main.group()
def data() -> None:
    """List, verify and fetch benchmark data (LEADERBOARD_DATA_DIR)."""


@data.command("list")
@click.option("--all", "show_all", is_flag=True, help="Also list tasks whose data is missing.")
@one_line_errors
def data_list(show_all: bool) -> None:
    """Which datasets are present and verified."""
    from benchmarks.data_status import data_status, describe_counts
    from benchmarks.settings import data_dir
    from benchmarks.tasks import all_tasks

    click.echo(f"data dir: {data_dir()}")
    click.echo(f"{'task':32} {'state':9} {'contents':32} license")
    missing = 0
    for task in all_tasks().values():
        status = data_status(task)
        if status.state == "missing" and not show_all:
            missing += 1
            continue
        detail = f"  ({status.detail})" if status.detail else ""
        click.echo(f"{task.id:32} {status.state:9} {describe_counts(status.counts):32} {task.license}{detail}")
    if missing:
        click.echo(f"{missing} more tasks have no data here (--all lists them; 'leaderboard data fetch TASK' downloads one)")


@data.command("verify")
@click.argument("task_ids", nargs=-1, required=True)
@one_line_errors
def data_verify(task_ids: tuple[str, ...]) -> None:
    """Re-read datasets (ids or benchmark names) and check them against the published counts."""
    from benchmarks.data_status import data_status, describe_counts
    from benchmarks.tasks import expand_task_ids, get_task

    bad = False
    for task_id in expand_task_ids(",".join(task_ids)):
        status = data_status(get_task(task_id), use_cache=False)
        click.echo(f"{status.task}: {status.state} ({describe_counts(status.counts)}) {status.detail}".rstrip())
        bad |= status.state != "verified"
    if bad:
        sys.exit(1)


@data.command("fetch")
@click.argument("task_id")
@click.option("--url", help="Download from this URL (a mirror) instead of the official one; the md5 is still checked.")
@one_line_errors
def data_fetch(task_id: str, url: str | None) -> None:
    """Download, verify (md5) and unpack a BEIR dataset."""
    from benchmarks.beir.catalog_types import BeirDataset
    from benchmarks.beir.fetch import fetch_beir
    from benchmarks.data_status import data_status, describe_counts
    from benchmarks.settings import data_dir
    from benchmarks.tasks import get_task

    task = get_task(task_id)
    if not isinstance(task.info, BeirDataset):
        raise UserError(f"{task_id}: no automatic download; put its files in {task.folder} ('leaderboard data list --all' says which)")
    folder = fetch_beir(task.info, data_dir() / "beir", url=url)
    status = data_status(task, use_cache=False)
    click.echo(f"{task_id}: unpacked into {folder} ({status.state}, {describe_counts(status.counts)})")


# --------------------------------------------------------------------------- models
@main.group()
def models() -> None:
    """The reference models."""


@models.command("list")
@one_line_errors
def models_list() -> None:
    from submissions.registry import reference_configs

    for name, (config, _path) in reference_configs().items():
        click.echo(f"{name:24} {config.backend:6} {','.join(config.family):32} {config.description[:60]}")


@models.command("show")
@click.argument("name")
@one_line_errors
def models_show(name: str) -> None:
    from submissions.registry import resolve_model

    _config, path = resolve_model(name)
    click.echo(path.read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- run
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


@main.command()
@click.argument("model")
@click.option("--tasks", "task_list", required=True, help="Comma-separated task ids (beir/scifact) or benchmarks (sts, beir/*).")
@one_line_errors
def run(model: str, task_list: str) -> None:
    """Run MODEL (a reference name or a config .yaml) on tasks and store the scores."""
    from benchmarks.tasks import expand_task_ids

    execute_and_store(model, expand_task_ids(task_list))


# --------------------------------------------------------------------------- results
@main.command()
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


@main.command()
@click.option("--format", "fmt", type=click.Choice(["json"]), default="json", show_default=True)
@one_line_errors
def export(fmt: str) -> None:
    """Print every stored score as JSON records (model, task, metric, value, run id)."""
    from leaderboard.db import make_engine, session_factory
    from leaderboard.queries import all_scores

    with session_factory(make_engine())() as session:
        click.echo(json.dumps(all_scores(session), indent=1))


# --------------------------------------------------------------------------- serve / demo / db
@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@one_line_errors
def serve(host: str, port: int) -> None:
    """Serve the website (development server; see README for production)."""
    from web import create_app

    create_app().run(host=host, port=port)


@main.command()
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--rerun", is_flag=True, help="Run again even where a current result exists.")
@click.option("--no-serve", is_flag=True, help="Only run, do not start the web server.")
@one_line_errors
def demo(port: int, rerun: bool, no_serve: bool) -> None:
    """Run the reference models on the datasets present, then serve the page."""
    from benchmarks.data_status import data_status
    from benchmarks.tasks import all_tasks
    from leaderboard.db import make_engine, session_factory
    from leaderboard.queries import current_main_scores
    from runners.jvm import lucene_searcher_class
    from submissions.registry import reference_configs

    present = [task.id for task in all_tasks().values() if data_status(task).state == "verified"]
    if not present:
        raise UserError(
            "no benchmark data found; set LEADERBOARD_DATA_DIR (e.g. to ../shared/datasets) or run 'leaderboard data fetch beir/scifact'"
        )
    with session_factory(make_engine())() as session:
        done = {(model, task) for model, _, task, _, _, _ in current_main_scores(session)}
    for name, (config, _path) in reference_configs().items():
        if config.backend == "bm25" and config.bm25 and config.bm25.engine == "lucene":
            try:
                lucene_searcher_class()
            except UserError as err:
                click.echo(f"skipping {name}: {err}")
                continue
        todo = [task for task in present if rerun or (name, task) not in done]
        if todo:
            execute_and_store(name, todo)
    if not no_serve:
        click.echo(f"serving on http://127.0.0.1:{port}/")
        from web import create_app

        create_app().run(host="127.0.0.1", port=port)


@main.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@one_line_errors
def db_upgrade() -> None:
    """Create the schema in LEADERBOARD_DB if it is not there yet."""
    from leaderboard.db import db_url, make_engine

    make_engine()
    click.echo(f"schema ready in {db_url()}")


if __name__ == "__main__":
    main()
