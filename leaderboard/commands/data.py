"""`leaderboard data`: list, verify and fetch benchmark data."""

from __future__ import annotations

import sys

import click

from common.errors import UserError
from leaderboard.commands.common import one_line_errors


@click.group()
def data() -> None:
    """List, verify and fetch benchmark data (LEADERBOARD_DATA_DIR)."""


@data.command("list")
@click.option("--all", "show_all", is_flag=True, help="Also list tasks whose data is missing.")
@one_line_errors
def data_list(show_all: bool) -> None:
    """Which datasets are present and verified."""
    from benchmarks.data_status import data_status, describe_counts
    from benchmarks.registry import all_tasks
    from common.settings import data_dir

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
    from benchmarks.registry import expand_task_ids, get_task

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
    """Download, verify (checksum) and unpack a task's data, where its benchmark can (BEIR: the official zip, md5)."""
    from benchmarks.data_status import data_status, describe_counts
    from benchmarks.registry import get_benchmark, get_task

    task = get_task(task_id)
    fetch = get_benchmark(task.benchmark).fetch
    if fetch is None:
        raise UserError(f"{task_id}: no automatic download; put its files in {task.folder} ('leaderboard data list --all' says which)")
    folder = fetch(task, url=url)
    status = data_status(task, use_cache=False)
    click.echo(f"{task_id}: unpacked into {folder} ({status.state}, {describe_counts(status.counts)})")
