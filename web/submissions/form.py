"""``/submit`` (the form), ``POST /submissions/token`` (sign in) and ``POST /submissions/forget`` (sign out)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from leaderboard import schema
from leaderboard.tokens import end_sessions
from leaderboard.views.labels import benchmark_name
from leaderboard.views.snapshot import registered_benchmarks, registered_tasks
from submissions.safe_yaml import MAX_BYTES
from web.cache import db_session
from web.submissions import submit_pages
from web.submissions.core import Refused, authenticate, create, form_input, write_transaction
from web.submissions.signin import forget_in_session, remember, remembered_hash, remembered_token

HEADLINES = {
    400: "The submission was refused; nothing was saved.",
    401: "A valid token is needed to submit.",
    409: "That model name is taken.",
    429: "Too many submissions with this token.",
}


def _group(problems: list[tuple[str, str]]) -> dict[str, list[tuple[str, str]]]:
    """Problems by the input they concern: tasks, token, or the config (with the config field named)."""
    groups: dict[str, list[tuple[str, str]]] = {"config": [], "tasks": [], "token": []}
    for field, message in problems:
        groups[field if field in ("tasks", "token") else "config"].append((field, message))
    return groups


def _task_choices() -> list[tuple[str, list[str]]]:
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
        headline = HEADLINES.get(refused.status, "The submission was refused.")
        return _render_form(remembered, values, refused.problems, headline, refused.status)
    flash(f"Submission #{submission_id} received. This page shows its progress.")
    return redirect(url_for("submit_pages.status", submission_id=submission_id), code=303)


def _list_url(target: str) -> str:
    return url_for("submit_pages.admin") if target == "admin" else url_for("submit_pages.listing", mine=1)


@submit_pages.post("/submissions/token")
def sign_in():
    """Remember a token for this browser session (then list its submissions, or open the admin view)."""
    target = "admin" if request.form.get("next") == "admin" else "mine"
    try:
        row = authenticate(db_session(), request.form.get("token", "").strip())
    except Refused as refused:
        flash(refused.message)
        return redirect(_list_url(target), code=303)
    remember(row)
    return redirect(_list_url(target), code=303)


@submit_pages.post("/submissions/forget")
def forget():
    """Sign out: end this token's browser sessions on the server (a copy of this cookie stops working too)."""
    if remembered_token(db_session()) is not None:
        with write_transaction() as db:
            end_sessions(db, remembered_hash())
    forget_in_session()
    flash("The token is forgotten in this browser, and every browser session signed in with it has ended.")
    return redirect(url_for("submit_pages.submit"), code=303)
