"""`leaderboard submit`, `worker`, `tokens` and `submissions`: the self-service path."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import click

from common.errors import UserError
from common.settings import settings
from leaderboard.commands.common import one_line_errors


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise UserError(f"{path}: cannot read the config ({err})") from err


def _remote_submit(server: str, token: str | None, config_yaml: str, tasks: str) -> dict:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(
        server.rstrip("/") + "/api/v1/submissions",
        data=json.dumps({"config_yaml": config_yaml, "tasks": tasks}).encode(),
        headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # the user's own server URL
            return json.loads(response.read())
    except urllib.error.HTTPError as err:
        try:
            body = json.loads(err.read())
        except ValueError:
            body = {}
        problems = "; ".join(f"{p['field']}: {p['message']}" for p in body.get("problems", []))
        raise UserError(f"{server}: {body.get('error') or err.reason}" + (f" ({problems})" if problems else "")) from err
    except (urllib.error.URLError, OSError) as err:
        raise UserError(f"cannot reach {server} ({getattr(err, 'reason', err)})") from err


@click.command()
@click.argument("config_path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--tasks", "task_list", required=True, help="Task ids or benchmarks, e.g. beir/scifact,sts.")
@click.option("--server", help="Submit to this leaderboard server's API instead of the local database.")
@click.option("--token", help="API token (or LEADERBOARD_TOKEN).")
@click.option("--as", "submitter", default=None, help="Submitter name for a local submission (default: $USER).")
@one_line_errors
def submit(config_path: Path, task_list: str, server: str | None, token: str | None, submitter: str | None) -> None:
    """Submit a model config: validated now, queued for a worker, published when done."""
    import getpass

    from leaderboard.db import make_engine, session_factory
    from leaderboard.next_step import next_step_of
    from leaderboard.submissions import create_submission
    from leaderboard.tokens import verify_token

    token = token or settings().token
    config_yaml = _read(config_path)
    if server:
        reply = _remote_submit(server, token, config_yaml, task_list)
        _say_what_happens_next(reply["id"], reply["state"], reply.get("next") or "", reply["status_url"])
        return
    with session_factory(make_engine())() as session, session.begin():
        row = verify_token(session, token) if token else None
        sub = create_submission(session, config_yaml, task_list, token=row, submitter=row.name if row else (submitter or getpass.getuser()))
        sub_id, state, then = sub.id, sub.state, next_step_of(sub)
    status = f"leaderboard submissions show {sub_id}"
    _say_what_happens_next(sub_id, state, then, status + (" (a worker runs the queue: leaderboard worker)" if state == "queued" else ""))


def _say_what_happens_next(sub_id: int, state: str, then: str, status: str) -> None:
    """Three lines: the state, what happens next (``leaderboard.next_step``; a server's own words when remote), where to look."""
    click.echo(f"submission #{sub_id} {state}" + (" (waiting for review)" if state == "received" else ""))
    if then:
        click.echo(f"next: {then}")
    click.echo(f"status: {status}")


@click.command()
@click.option("--once", is_flag=True, help="Run until the queue is empty, then exit.")
@click.option("--poll", default=5.0, show_default=True, help="Seconds between polls of an empty queue.")
@click.option("--stale-after", default=60.0, show_default=True, help="Re-queue running jobs without a heartbeat for this long.")
@click.option("--name", help="Worker name (default host:pid).")
@one_line_errors
def worker(once: bool, poll: float, stale_after: float, name: str | None) -> None:
    """Claim queued submissions and run them (one child process per job)."""
    from leaderboard.worker import Worker

    logging.getLogger("leaderboard.worker").setLevel(logging.INFO)
    Worker(name, poll_s=poll, stale_after_s=stale_after).run_forever(once=once)


@click.group()
def tokens() -> None:
    """API tokens (stored hashed)."""


@tokens.command("create")
@click.argument("name")
@click.option("--admin", is_flag=True, help="May approve, reject and publish submissions.")
@one_line_errors
def tokens_create(name: str, admin: bool) -> None:
    from leaderboard.db import make_engine, session_factory
    from leaderboard.tokens import create_token

    with session_factory(make_engine())() as session, session.begin():
        secret = create_token(session, name, admin=admin)
    click.echo(secret)


@tokens.command("revoke")
@click.argument("name")
@one_line_errors
def tokens_revoke(name: str) -> None:
    """Revoke a token: the API refuses it and every browser session signed in with it ends now."""
    from leaderboard.db import make_engine, session_factory
    from leaderboard.tokens import revoke_token

    with session_factory(make_engine())() as session, session.begin():
        revoke_token(session, name)
    click.echo(f"token {name!r} revoked")


@tokens.command("list")
@one_line_errors
def tokens_list() -> None:
    """Every token: name, admin, revoked, created, last submission (never the secret)."""
    from sqlalchemy import select

    from leaderboard import schema
    from leaderboard.db import make_engine, session_factory

    with session_factory(make_engine())() as session:
        for row in session.scalars(select(schema.ApiToken).order_by(schema.ApiToken.id)):
            flags = ",".join(f for f, on in (("admin", row.is_admin), ("revoked", row.revoked)) if on) or "-"
            last = row.last_submission_at.isoformat() if row.last_submission_at else "-"
            click.echo(f"{row.name:30} {flags:14} created {row.created_at.isoformat()}  last submission {last}")


@click.group()
def submissions() -> None:
    """List, inspect and review submissions."""


@submissions.command("list")
@click.option("--token", help="Only this token's submissions (or LEADERBOARD_TOKEN).")
@one_line_errors
def submissions_list(token: str | None) -> None:
    from sqlalchemy import select

    from leaderboard import schema
    from leaderboard.db import make_engine, session_factory
    from leaderboard.tokens import verify_token

    token = token or settings().token
    with session_factory(make_engine())() as session:
        stmt = select(schema.Submission).order_by(schema.Submission.id)
        if token:
            stmt = stmt.where(schema.Submission.token_id == verify_token(session, token).id)
        for sub in session.scalars(stmt):
            click.echo(f"#{sub.id:<5} {sub.state:10} {sub.model_name:30} {sub.submitter:16} {','.join(sub.tasks)[:60]}")


@submissions.command("show")
@click.argument("submission_id", type=int)
@one_line_errors
def submissions_show(submission_id: int) -> None:
    from leaderboard.db import make_engine, session_factory
    from leaderboard.next_step import next_step_of
    from leaderboard.submissions import get_submission

    with session_factory(make_engine())() as session:
        sub = get_submission(session, submission_id)
        click.echo(f"submission #{sub.id}: {sub.model_name} by {sub.submitter}, {sub.state}")
        click.echo(f"next: {next_step_of(sub)}")
        for step in sub.history:
            click.echo(f"  {step['at']}  {step['state']:10} {step.get('note', '')}")
        if sub.error:
            click.echo(f"error: {sub.error}")
        if sub.log_tail:
            click.echo("log tail:\n" + sub.log_tail)


def _admin_action(submission_id: int, token: str | None, action: str) -> None:
    from leaderboard.db import make_engine, session_factory
    from leaderboard.submissions import publish, review
    from leaderboard.tokens import verify_token

    token = token or settings().token
    with session_factory(make_engine())() as session, session.begin():
        if token is not None and not verify_token(session, token).is_admin:
            raise UserError("this token is not an admin token")
        sub = publish(session, submission_id) if action == "publish" else review(session, submission_id, approve=action == "approve")
        click.echo(f"submission #{sub.id} {sub.state}")


for _action in ("approve", "reject", "publish"):

    @submissions.command(_action)
    @click.argument("submission_id", type=int)
    @click.option("--token", help="Admin token, or LEADERBOARD_TOKEN (local database access is trusted without one).")
    @one_line_errors
    def _command(submission_id: int, token: str | None, _action: str = _action) -> None:
        _admin_action(submission_id, token, _action)
