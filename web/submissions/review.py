"""``/submissions/<id>`` (status), ``/submissions`` (the queue, or one's own), ``/submissions/admin`` and the review POST."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from common.errors import UserError
from leaderboard import schema
from leaderboard.public_log import public_line, public_log
from leaderboard.submissions import ADMIN_ACTIONS, apply_admin_action, find_submission, list_submissions, queued_ahead, review_queue
from leaderboard.views.models import related_to
from web.cache import db_session, snapshot
from web.submissions import submit_pages
from web.submissions.core import moment, public_history, write_transaction
from web.submissions.signin import remembered_token

PER_PAGE = 50
EXPLANATIONS = {
    "received": "Waiting for an admin to review it before it runs.",
    "queued": "Waiting for a worker.",
    "running": "A worker is running it now.",
    "done": "Finished; its scores are stored and wait for an admin to publish them.",
    "published": "Published: the model and its scores are on the board.",
    "rejected": "An admin rejected this submission; it will not run.",
    "failed": "The run failed, so nothing was published.",
}
ACTIONS = {"received": ["approve", "reject"], "done": ["publish"]}  # what an admin may do in each state


def _submission_or_404(db, submission_id: int) -> schema.Submission:
    sub = find_submission(db, submission_id)
    if sub is None:
        abort(404, description=f"There is no submission #{submission_id}.")
    return sub


@submit_pages.get("/submissions/<id:submission_id>")
def status(submission_id: int):
    db = db_session()
    sub = _submission_or_404(db, submission_id)
    history = [{"state": step["state"] or "", "at": moment(step["at"]), "note": step["note"]} for step in public_history(sub)]
    row = remembered_token(db)
    return render_template(
        "submission.html",
        sub=sub,
        error=public_line(sub.error or ""),
        log_tail=public_log(sub.log_tail or ""),
        history=history,
        explanation=EXPLANATIONS.get(sub.state, ""),
        ahead=queued_ahead(db, sub),
        benchmarks=sorted({t.split("/")[0] for t in sub.tasks or []}),
        refresh=sub.state in ("queued", "running"),
        is_admin=bool(row and row.is_admin),
        actions=ACTIONS.get(sub.state, []),
        related=related_to(db, snapshot(), sub.config or {}, is_reference=False, name=sub.model_name),
    )


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
    token_id = row.id if mine and row else None
    total, rows = list_submissions(db, token_id=token_id, state=state, limit=PER_PAGE, offset=(page - 1) * PER_PAGE)
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


@submit_pages.get("/submissions/admin")
def admin():
    db = db_session()
    row = remembered_token(db)
    if row is None:
        return render_template("submissions_admin.html", need_token=True, token=None, waiting=[], done=[], recent=[])
    if not row.is_admin:
        abort(403, description=f"The token {row.name!r} is not an admin token.")
    waiting, done, recent = review_queue(db, recent=PER_PAGE)
    return render_template("submissions_admin.html", need_token=False, token=row, waiting=waiting, done=done, recent=recent)


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
            sub = apply_admin_action(db, submission_id, action, note or f"{action} by {row.name}")
            flash(f"Submission #{submission_id} is now {sub.state}.")
        except UserError as err:
            flash(str(err))
    back = request.form.get("back")
    if back == "status":
        return redirect(url_for("submit_pages.status", submission_id=submission_id), code=303)
    return redirect(url_for("submit_pages.admin"), code=303)
