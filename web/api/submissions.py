"""``/api/v1/submissions``: submit (Bearer token), a submission's record, the queue, and the admin actions.

Not cached: a submission's state changes without a new run.
"""

from __future__ import annotations

from flask import Response, abort, request, url_for
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge

from common.errors import UserError
from leaderboard.serialize import dumps
from leaderboard.submissions import ADMIN_ACTIONS, apply_admin_action, find_submission, list_submissions
from web.api import api
from web.api.common import next_url, page_args
from web.cache import db_session
from web.submissions.core import Refused, authenticate, create, form_input, json_input, submission_record, write_transaction


def _refused(status: int, message: str, problems: list[tuple[str, str]] | None = None) -> Response:
    body = {"error": message, "status": status, "problems": [{"field": f, "message": m} for f, m in problems or []]}
    response = Response(dumps(body), status=status, mimetype="application/json")  # ASCII: safe for any input echoed
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="leaderboard"'
    return response


def _bearer() -> str | None:
    scheme, _, secret = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return secret.strip() or None


def _request_input() -> tuple[str, str | list[str]]:
    if request.mimetype in {"application/x-www-form-urlencoded", "multipart/form-data"}:
        return form_input(request.form, request.files)
    try:
        body = request.get_json(force=True)
    except BadRequest:  # not JSON, or nested too deeply to parse (web.StrictJSONProvider)
        body = None
    if body is None:
        message = 'send a JSON object {"config_yaml": "...", "tasks": "..."} (Content-Type: application/json) or form fields'
        raise Refused(400, message, [("body", message)])
    return json_input(body)


@api.post("/submissions")
def submit():
    """Validate and queue a model config; 201 with the submission, or a refusal with its problems."""
    try:
        row = authenticate(db_session(), _bearer())
        config_yaml, tasks = _request_input()
        record = create(config_yaml, tasks, row.token_sha256, submission_record)
    except Refused as refused:
        return _refused(refused.status, refused.message, refused.problems)
    except RequestEntityTooLarge:
        return _refused(413, "the request body is larger than the server accepts (a model config may have at most 64 KiB)")
    response = Response(dumps(record, ensure_ascii=False), status=201, mimetype="application/json")
    response.headers["Location"] = url_for("api.submission", submission_id=record["id"])
    return response


@api.get("/submissions/<id:submission_id>")
def submission(submission_id: int):
    """One submission: state, history with timestamps, error, log tail, run ids, config."""
    sub = find_submission(db_session(), submission_id)
    if sub is None:
        abort(404, description=f"no submission #{submission_id}")
    return submission_record(sub)


@api.get("/submissions")
def submissions():
    """The queue, newest first; ``mine`` (with the Bearer token) only that token's; ``state`` filters."""
    token_id = None
    if "mine" in request.args:
        try:
            token_id = authenticate(db_session(), _bearer()).id
        except Refused as refused:
            return _refused(refused.status, refused.message, refused.problems)
    limit, offset = page_args(100, 1000)
    total, rows = list_submissions(db_session(), token_id=token_id, state=request.args.get("state") or None, limit=limit, offset=offset)
    return {
        "total": total,
        "limit": limit,
        "offset": offset,
        "next": next_url(total, limit, offset),
        "submissions": [submission_record(sub, full=False) for sub in rows],
    }


@api.post("/submissions/<id:submission_id>/<action>")
def submission_action(submission_id: int, action: str):
    """approve | reject | publish, with an admin token."""
    if action not in ADMIN_ACTIONS:
        abort(404, description=f"unknown action {action!r}; use one of {', '.join(ADMIN_ACTIONS)}")
    with write_transaction() as db:
        try:
            row = authenticate(db, _bearer())
        except Refused as refused:
            return _refused(refused.status, refused.message, refused.problems)
        if not row.is_admin:
            return _refused(403, f"the token {row.name!r} is not an admin token", [("token", "not an admin token")])
        if find_submission(db, submission_id) is None:
            abort(404, description=f"no submission #{submission_id}")
        try:
            sub = apply_admin_action(db, submission_id, action, f"{action} by {row.name} (API)")
        except UserError as err:
            return _refused(409, str(err), [("state", str(err))])
        return submission_record(sub)
