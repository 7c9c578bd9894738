"""Self-service submissions on the site: the form, status pages, one's own list, admin review.

Routes (blueprint ``submit_pages``):

- ``GET/POST /submit``: paste or upload a model config, name the tasks, give a token.  Errors
  are shown next to the input they concern (``ConfigError.problems``); on success the browser
  is sent to the status page.
- ``GET /submissions/<id>``: the config, the state with the time of every transition, the log
  tail, the error of a failed run in plain words, links to the model once published.
- ``GET /submissions`` (``?mine`` for the remembered token's own, ``?state=``): the queue.
- ``POST /submissions/token`` / ``POST /submissions/forget``: remember or forget a token.
- ``GET /submissions/admin`` and ``POST /submissions/<id>/review``: an admin token approves,
  rejects and publishes.

The form, the JSON API (:mod:`web.api`) and the CLI all end in
:func:`leaderboard.submissions.create_submission`: the same validation, the same record, and a
refused config writes nothing.

Why the session remembers the token's *sha256* and not the token: the session cookie is signed
but readable, and the hash is useless as a credential (the server hashes what it is sent), so a
copied cookie never leaks a token that works with the API.  The session also remembers the
token's ``session_generation``: signing out ("forget") and ``leaderboard tokens revoke`` bump it
in the database, so every earlier session cookie of that token (a copied one too) stops working
at once, although the cookie itself is still validly signed.

CSRF (hand-written because it is twenty lines; Flask-WTF would bring a forms framework we do
not use): every POST here must carry ``csrf_token``, a random per-session secret kept in the
signed session and sent in the form signed again with a timestamp (itsdangerous), so it expires
(``LEADERBOARD_CSRF_MAX_AGE_S``, default 4 h) and cannot be lifted from another session.  A POST
without a valid one is refused with 400 before anything is read from the database.  The JSON
API needs none: it authenticates by an ``Authorization`` header, which a cross-site form cannot
set.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge

from common.errors import UserError
from common.settings import settings
from leaderboard import schema
from leaderboard.public_log import public_line, public_log
from submissions.safe_yaml import MAX_BYTES
from submissions.schema import ConfigError
from web.cache import db_session
from web.urls import external_url

submit_pages = Blueprint("submit_pages", __name__)

CSRF_FIELD = "csrf_token"
TOKEN_KEY = "token_sha256"  # session key: the remembered token's hash
GENERATION_KEY = "token_generation"  # session key: the token's session_generation when it was remembered
PER_PAGE = 50
ADMIN_ACTIONS = ("approve", "reject", "publish")


# ------------------------------------------------------------------ refusals shared with the API
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


def create(config_yaml: str, tasks: str | list[str], token_sha256: str, describe: Callable = lambda sub: sub.id):
    """Store a submission for the token with this hash, in one transaction; raises :class:`Refused`.

    Returns ``describe(submission)``, computed inside the transaction (default: its id).  It
    runs on the request's own session (:func:`write_transaction`): a request never holds two
    pooled connections, which under load used to exhaust the pool (every request holding one
    and waiting for a second).
    """
    from leaderboard.submissions import create_submission

    try:
        with write_transaction() as db:
            row = token_by_hash(db, token_sha256)
            if row is None:
                raise Refused(401, "unknown or revoked token", [("token", "unknown or revoked token")])
            sub = create_submission(db, config_yaml, tasks, token=row, submitter=row.name)
            return describe(sub)
    except UserError as err:
        raise refusal(err) from err


@contextmanager
def write_transaction() -> Iterator:
    """A transaction on the request's session, after ending the read transaction it may have open.

    One session, one pooled connection per request (see :func:`create`).
    """
    db = db_session()
    db.commit()  # ends the implicit read transaction of earlier lookups; nothing is pending
    with db.begin():
        yield db


def token_by_hash(db, token_sha256: str | None) -> schema.ApiToken | None:
    if not isinstance(token_sha256, str) or not token_sha256:
        return None
    row = db.scalar(select(schema.ApiToken).where(schema.ApiToken.token_sha256 == token_sha256))
    return None if row is None or row.revoked else row


def authenticate(db, secret: str | None) -> schema.ApiToken:
    """The token row for a secret; raises :class:`Refused` (401) for a missing, unknown or revoked one."""
    from leaderboard.tokens import verify_token

    try:
        return verify_token(db, secret)
    except UserError as err:
        raise Refused(401, str(err), [("token", str(err))]) from err


# ------------------------------------------------------------------ records (API and pages)
def _moment(value: str | datetime | None) -> datetime | None:
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
    }
    if full:
        record |= {
            "history": [
                {"state": step.get("state"), "at": step.get("at"), "note": public_line(str(step.get("note", "")))}
                for step in (sub.history or [])
                if isinstance(step, dict)
            ],
            "attempts": sub.attempts,
            "max_attempts": sub.max_attempts,
            # public_* again on read: rows stored before the filter existed may hold a traceback
            "error": public_line(sub.error or ""),
            "log_tail": public_log(sub.log_tail or ""),
            "run_ids": list(sub.run_ids or []),
            "config_yaml": sub.config_yaml,
        }
    return record


def submissions_page(db, *, token_id: int | None = None, state: str | None = None, limit: int, offset: int):
    """(total, submissions newest first) for the queue, one token's, or one state."""
    stmt = select(schema.Submission)
    counter = select(func.count()).select_from(schema.Submission)
    if token_id is not None:
        stmt = stmt.where(schema.Submission.token_id == token_id)
        counter = counter.where(schema.Submission.token_id == token_id)
    if state:
        stmt = stmt.where(schema.Submission.state == state)
        counter = counter.where(schema.Submission.state == state)
    total = db.scalar(counter)
    rows = db.scalars(stmt.order_by(schema.Submission.id.desc()).limit(limit).offset(offset)).all()
    return total, rows


# ------------------------------------------------------------------ CSRF and the remembered token
def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="leaderboard-csrf")


def csrf_token() -> str:
    """The value for a form's hidden ``csrf_token`` field (creates the session secret on first use)."""
    raw = session.get("csrf")
    if not isinstance(raw, str):
        raw = session["csrf"] = secrets.token_urlsafe(32)
    return _serializer().dumps(raw)


def _csrf_max_age() -> int:
    return settings().csrf_max_age_s


@submit_pages.before_request
def csrf_protect() -> None:
    if request.method in {"GET", "HEAD", "OPTIONS"}:
        return
    try:
        sent = request.form.get(CSRF_FIELD, "")
    except RequestEntityTooLarge:
        abort(413, description=f"The form is larger than the server accepts; a model config may have at most {MAX_BYTES:,} bytes.")
    expected = session.get("csrf")
    try:
        value = _serializer().loads(sent, max_age=_csrf_max_age())
    except BadData:
        value = None
    if not (isinstance(expected, str) and isinstance(value, str) and hmac.compare_digest(value, expected)):
        abort(
            400,
            description="This form is missing its CSRF token, or the token has expired or belongs to another session. "
            "Nothing was saved. Reload the form and submit it again.",
        )


submit_pages.add_app_template_global(csrf_token, "csrf_token")  # a global, so imported macros see it too


def remembered_token(db) -> schema.ApiToken | None:
    """The token this browser session signed in with, while it is valid and the session was not ended."""
    row = token_by_hash(db, session.get(TOKEN_KEY))
    if row is None or session.get(GENERATION_KEY) != row.session_generation:
        session.pop(TOKEN_KEY, None)
        session.pop(GENERATION_KEY, None)
        return None
    return row


def remember(row: schema.ApiToken) -> None:
    session[TOKEN_KEY] = row.token_sha256
    session[GENERATION_KEY] = row.session_generation


# ------------------------------------------------------------------ the form
def _group(problems: list[tuple[str, str]]) -> dict[str, list[tuple[str, str]]]:
    """Problems by the input they concern: tasks, token, or the config (with the config field named)."""
    groups: dict[str, list[tuple[str, str]]] = {"config": [], "tasks": [], "token": []}
    for field, message in problems:
        groups[field if field in ("tasks", "token") else "config"].append((field, message))
    return groups


def _task_choices() -> list[tuple[str, list[str]]]:
    from web.labels import benchmark_name
    from web.pages import registered_benchmarks, registered_tasks

    tasks = registered_tasks()
    out = []
    for b in registered_benchmarks():
        ids = sorted(t.id for t in tasks.values() if t.benchmark == b)
        if ids:
            out.append((benchmark_name(b), [b, *ids] if len(ids) > 1 else ids))
    return out


def _render_form(token: schema.ApiToken | None, values: dict, problems: list[tuple[str, str]], headline: str, status: int):
    return (
        render_template(
            "submit.html",
            token=token,
            values=values,
            errors=_group(problems),
            headline=headline,
            task_choices=_task_choices(),
            max_bytes=MAX_BYTES,
        ),
        status,
    )


@submit_pages.route("/submit", methods=["GET", "POST"])
def submit():
    db = db_session()
    remembered = remembered_token(db)
    if request.method == "GET":
        values = {"config_yaml": "", "tasks": request.args.get("tasks", ""), "remember": True}
        return _render_form(remembered, values, [], "", 200)

    values = {
        "config_yaml": request.form.get("config_yaml", ""),
        "tasks": request.form.get("tasks", ""),
        "remember": bool(request.form.get("remember")),
    }
    secret = request.form.get("token", "").strip()
    try:
        row = authenticate(db, secret) if secret else remembered
        if secret and values["remember"]:  # a valid token is remembered even if the config is refused
            remember(row)
            remembered = row
        if row is None:
            message = "a token is required: paste the token you were given (it is remembered for this browser session)"
            raise Refused(401, message, [("token", message)])
        config_yaml, tasks = form_input(request.form, request.files)
        values["config_yaml"] = config_yaml
        submission_id = create(config_yaml, tasks, row.token_sha256)
    except Refused as refused:
        headline = {
            400: "The submission was refused; nothing was saved.",
            401: "A valid token is needed to submit.",
            409: "That model name is taken.",
            429: "Too many submissions with this token.",
        }.get(refused.status, "The submission was refused.")
        return _render_form(remembered, values, refused.problems, headline, refused.status)
    flash(f"Submission #{submission_id} received. This page shows its progress.")
    return redirect(url_for("submit_pages.status", submission_id=submission_id), code=303)


@submit_pages.post("/submissions/token")
def sign_in():
    """Remember a token for this browser session (then list its submissions, or open the admin view)."""
    db = db_session()
    target = "admin" if request.form.get("next") == "admin" else "mine"
    try:
        row = authenticate(db, request.form.get("token", "").strip())
    except Refused as refused:
        flash(refused.message)
        return redirect(_list_url(target), code=303)
    remember(row)
    return redirect(_list_url(target), code=303)


def _list_url(target: str) -> str:
    return url_for("submit_pages.admin") if target == "admin" else url_for("submit_pages.listing", mine=1)


@submit_pages.post("/submissions/forget")
def forget():
    """Sign out: end this token's browser sessions on the server (a copy of this cookie stops working too)."""
    from leaderboard.tokens import end_sessions

    if remembered_token(db_session()) is not None:
        with write_transaction() as db:
            end_sessions(db, session[TOKEN_KEY])
    session.pop(TOKEN_KEY, None)
    session.pop(GENERATION_KEY, None)
    flash("The token is forgotten in this browser, and every browser session signed in with it has ended.")
    return redirect(url_for("submit_pages.submit"), code=303)


# ------------------------------------------------------------------ status and lists
EXPLANATIONS = {
    "received": "Waiting for an admin to review it before it runs.",
    "queued": "Waiting for a worker.",
    "running": "A worker is running it now.",
    "done": "Finished; its scores are stored and wait for an admin to publish them.",
    "published": "Published: the model and its scores are on the board.",
    "rejected": "An admin rejected this submission; it will not run.",
    "failed": "The run failed, so nothing was published.",
}


def _submission_or_404(db, submission_id: int) -> schema.Submission:
    sub = db.get(schema.Submission, submission_id)
    if sub is None:
        abort(404, description=f"There is no submission #{submission_id}.")
    return sub


@submit_pages.get("/submissions/<id:submission_id>")
def status(submission_id: int):
    db = db_session()
    sub = _submission_or_404(db, submission_id)
    ahead = None
    if sub.state == "queued":
        ahead = db.scalar(
            select(func.count()).select_from(schema.Submission).where(schema.Submission.state == "queued", schema.Submission.id < sub.id)
        )
    history = [
        {"state": step.get("state", ""), "at": _moment(step.get("at")), "note": public_line(str(step.get("note", "")))}
        for step in (sub.history or [])
        if isinstance(step, dict)
    ]
    row = remembered_token(db)
    return render_template(
        "submission.html",
        sub=sub,
        error=public_line(sub.error or ""),
        log_tail=public_log(sub.log_tail or ""),
        history=history,
        explanation=EXPLANATIONS.get(sub.state, ""),
        ahead=ahead,
        benchmarks=sorted({t.split("/")[0] for t in sub.tasks or []}),
        refresh=sub.state in ("queued", "running"),
        is_admin=bool(row and row.is_admin),
        actions=_actions(sub.state),
    )


def _actions(state: str) -> list[str]:
    return {"received": ["approve", "reject"], "done": ["publish"]}.get(state, [])


def _page_number() -> int:
    try:
        return max(1, int(request.args.get("page", "1")))
    except ValueError:
        return 1


@submit_pages.get("/submissions")
def listing():
    db = db_session()
    row = remembered_token(db)
    mine = "mine" in request.args
    state = request.args.get("state") or None
    if mine and row is None:
        return render_template("submissions.html", need_token=True, rows=[], mine=True, token=None, state=state, page=1, pages=1, total=0)
    page = _page_number()
    total, rows = submissions_page(db, token_id=row.id if mine and row else None, state=state, limit=PER_PAGE, offset=(page - 1) * PER_PAGE)
    return render_template(
        "submissions.html",
        need_token=False,
        rows=rows,
        mine=mine,
        token=row,
        state=state,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        total=total,
    )


# ------------------------------------------------------------------ admin review
@submit_pages.get("/submissions/admin")
def admin():
    db = db_session()
    row = remembered_token(db)
    if row is None:
        return render_template("submissions_admin.html", need_token=True, token=None, waiting=[], done=[], recent=[])
    if not row.is_admin:
        abort(403, description=f"The token {row.name!r} is not an admin token.")
    waiting = db.scalars(select(schema.Submission).where(schema.Submission.state == "received").order_by(schema.Submission.id)).all()
    done = db.scalars(select(schema.Submission).where(schema.Submission.state == "done").order_by(schema.Submission.id)).all()
    recent = db.scalars(select(schema.Submission).order_by(schema.Submission.id.desc()).limit(PER_PAGE)).all()
    return render_template("submissions_admin.html", need_token=False, token=row, waiting=waiting, done=done, recent=recent)


def apply_action(db, submission_id: int, action: str, note: str = "") -> schema.Submission:
    """approve / reject / publish one submission (the caller has checked the admin token)."""
    from leaderboard.submissions import publish, review

    if action == "publish":
        return publish(db, submission_id, note)
    return review(db, submission_id, approve=action == "approve", note=note)


@submit_pages.post("/submissions/<id:submission_id>/review")
def review_action(submission_id: int):
    action = request.form.get("action", "")
    if action not in ADMIN_ACTIONS:
        abort(400, description=f"action must be one of {', '.join(ADMIN_ACTIONS)}")
    note = request.form.get("note", "").strip()[:500]
    with write_transaction() as db:
        row = remembered_token(db)
        if row is None or not row.is_admin:
            abort(403, description="Only an admin token may approve, reject or publish; sign in with one first.")
        _submission_or_404(db, submission_id)
        try:
            sub = apply_action(db, submission_id, action, note or f"{action} by {row.name}")
            flash(f"Submission #{submission_id} is now {sub.state}.")
        except UserError as err:
            flash(str(err))
    back = request.form.get("back")
    if back == "status":
        return redirect(url_for("submit_pages.status", submission_id=submission_id), code=303)
    return redirect(url_for("submit_pages.admin"), code=303)
