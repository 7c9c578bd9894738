"""What the submission pages and the JSON API share: refusals with their HTTP status, reading the input, creating one, records."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime

from werkzeug.datastructures import FileStorage

from common.errors import UserError
from leaderboard import schema
from leaderboard.next_step import next_step_of
from leaderboard.public_log import public_line, public_log
from leaderboard.submissions import create_submission
from leaderboard.tokens import token_by_hash, verify_token
from submissions.safe_yaml import MAX_BYTES
from submissions.schema import ConfigError
from web.cache import db_session
from web.urls import external_url


class Refused(Exception):
    """A submission refused before anything was written: HTTP status, one-line message, (field, message) pairs."""

    def __init__(self, status: int, message: str, problems: list[tuple[str, str]] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.problems = problems if problems is not None else []


def refusal(err: UserError) -> Refused:
    """Map a refusal from the core to its HTTP status and the field it concerns."""
    message = str(err)
    if isinstance(err, ConfigError):
        return Refused(400, message, list(err.problems))
    if message.startswith("rate limit"):
        return Refused(429, message, [("token", message)])
    if message.startswith("name: "):
        return Refused(409, message, [("name", message.removeprefix("name: "))])
    return Refused(400, message, [("submission", message)])


def _text(value: object, field: str) -> str:
    if not isinstance(value, str):
        raise Refused(400, f"{field}: must be a string", [(field, f"must be a string, not {type(value).__name__}")])
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise Refused(400, f"{field}: not valid Unicode text", [(field, "not valid Unicode text (lone surrogate)")]) from None
    return value


def _upload_text(upload: FileStorage | None) -> str | None:
    """An uploaded config file as text, or None when no file was chosen."""
    if upload is None or not upload.filename:
        return None
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:  # the rest is not read: the size limit is what matters
        message = f"the file is larger than {MAX_BYTES:,} bytes, the most a model config may have"
        raise Refused(400, f"config_file: {message}", [("config_file", message)])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Refused(400, "config_file: not UTF-8 text", [("config_file", "not UTF-8 text; save the YAML as UTF-8")]) from None


def form_input(form: Mapping, files: Mapping) -> tuple[str, str]:
    """(config YAML, task list) from form fields ``config_yaml``/``config_file`` and ``tasks``."""
    uploaded = _upload_text(files.get("config_file"))
    pasted = _text(form.get("config_yaml", ""), "config_yaml")
    config_yaml = uploaded if uploaded is not None else pasted
    tasks = _text(form.get("tasks", ""), "tasks")
    if not config_yaml.strip():
        raise Refused(400, "config_yaml: no model config", [("config_yaml", "paste a model config or choose a YAML file")])
    return config_yaml, tasks


def json_input(body: object) -> tuple[str, str | list[str]]:
    """(config YAML, tasks) from a JSON object ``{"config_yaml": str, "tasks": str | [str]}``."""
    if not isinstance(body, dict):
        message = 'the body must be a JSON object {"config_yaml": "...", "tasks": "beir/scifact,sts"}'
        raise Refused(400, message, [("body", message)])
    unknown = sorted(str(key) for key in body if key not in {"config_yaml", "tasks"})
    if unknown:
        shown = [repr(k) for k in unknown[:5]]
        raise Refused(400, f"unknown fields: {', '.join(shown)}", [(k, "unknown field; send config_yaml and tasks") for k in shown])
    if "config_yaml" not in body:
        raise Refused(400, "config_yaml: missing", [("config_yaml", "required: the model config as a YAML string")])
    config_yaml = _text(body["config_yaml"], "config_yaml")
    tasks = body.get("tasks", "")
    return config_yaml, [_text(t, "tasks") for t in tasks] if isinstance(tasks, list) else _text(tasks, "tasks")


@contextmanager
def write_transaction() -> Iterator:
    """A transaction on the request's session, after ending the read transaction it may have open.

    One session, one pooled connection per request: a request never holds two, which under load
    used to exhaust the pool (every request holding one and waiting for a second).
    """
    db = db_session()
    db.commit()  # ends the implicit read transaction of earlier lookups; nothing is pending
    with db.begin():
        yield db


def create(config_yaml: str, tasks: str | list[str], token_sha256: str, describe: Callable = lambda sub: sub.id):
    """Store a submission for the token with this hash, in one transaction; raises :class:`Refused`.

    Returns ``describe(submission)``, computed inside the transaction (default: its id), on the
    request's own session (:func:`write_transaction`).
    """
    try:
        with write_transaction() as db:
            row = token_by_hash(db, token_sha256)
            if row is None:
                raise Refused(401, "unknown or revoked token", [("token", "unknown or revoked token")])
            sub = create_submission(db, config_yaml, tasks, token=row, submitter=row.name)
            return describe(sub)
    except UserError as err:
        raise refusal(err) from err


def authenticate(db, secret: str | None) -> schema.ApiToken:
    """The token row for a secret; raises :class:`Refused` (401) for a missing, unknown or revoked one."""
    try:
        return verify_token(db, secret)
    except UserError as err:
        raise Refused(401, str(err), [("token", str(err))]) from err


def moment(value: str | datetime | None) -> datetime | None:
    """A history step's time (stored as ISO text) as a datetime; None when it does not parse."""
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def _iso(value: datetime | None) -> str | None:
    if value is not None and value.tzinfo is None:  # SQLite gives naive datetimes; all are UTC
        value = value.replace(tzinfo=UTC)
    return value.isoformat() if value else None


def public_history(sub: schema.Submission) -> list[dict]:
    """The history's steps as the public may see them (a note's traceback or paths are not shown)."""
    return [
        {"state": step.get("state"), "at": step.get("at"), "note": public_line(str(step.get("note", "")))}
        for step in (sub.history or [])
        if isinstance(step, dict)
    ]


def submission_record(sub: schema.Submission, *, full: bool = True) -> dict:
    """The JSON form of a submission (``full``: with config, history, log tail)."""
    published = sub.state == "published"
    record = {
        "id": sub.id,
        "model": sub.model_name,
        "submitter": sub.submitter,
        "state": sub.state,
        "tasks": list(sub.tasks or []),
        "needs_review": bool(sub.needs_review),
        "review_reason": sub.review_reason or "",
        "created_at": _iso(sub.created_at),
        "updated_at": _iso(sub.updated_at),
        "status_url": external_url("submit_pages.status", submission_id=sub.id),
        "api_url": external_url("api.submission", submission_id=sub.id),
        "model_url": external_url("pages.model_page", name=sub.model_name) if published else None,
        # the same words as the status page's box and `leaderboard submit` (leaderboard/next_step.py)
        "next": next_step_of(sub),
    }
    if full:
        record |= {
            "history": public_history(sub),
            "attempts": sub.attempts,
            "max_attempts": sub.max_attempts,
            # public_* again on read: rows stored before the filter existed may hold a traceback
            "error": public_line(sub.error or ""),
            "log_tail": public_log(sub.log_tail or ""),
            "run_ids": list(sub.run_ids or []),
            "config_yaml": sub.config_yaml,
        }
    return record
