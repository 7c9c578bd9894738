"""The submission lifecycle in the database: received → queued → running → done|failed → published.

A submission is checked (submissions/policy.py) before anything is stored; a refused config
writes nothing.  Workers claim queued jobs atomically — ``SELECT … FOR UPDATE SKIP LOCKED`` on
PostgreSQL, a conditional ``UPDATE`` on SQLite — with a fresh claim token per attempt.  Every
later write of that attempt is conditional on the claim token, so a worker that was presumed
dead (and whose job was re-queued) can never write results over the new attempt's.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from common.errors import UserError
from common.settings import settings
from leaderboard import schema
from leaderboard.names import Owner, check_name, is_name_conflict, release_placeholder, taken_by_race
from leaderboard.public_log import public_line, public_log
from leaderboard.schema import MAX_ID, PENDING_STATES, name_key
from submissions.policy import check_submission

STATES = ("received", "queued", "running", "done", "failed", "published", "rejected")
ADMIN_ACTIONS = ("approve", "reject", "publish")


def _now() -> datetime:
    return datetime.now(UTC)


def _as_utc(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:  # SQLite returns naive datetimes
        return moment.replace(tzinfo=UTC)
    return moment


def move_state(sub: schema.Submission, state: str, note: str = "") -> None:
    """Move a submission to ``state`` and append the step to its public history (the one place a state changes)."""
    sub.state = state
    sub.updated_at = _now()
    sub.history = [*(sub.history or []), {"state": state, "at": sub.updated_at.isoformat(), "note": note}]


def rate_limit_per_hour() -> int:
    return settings().rate_limit_per_hour


def create_submission(
    session: Session, config_yaml: str, tasks: str | list[str], *, token: schema.ApiToken | None, submitter: str
) -> schema.Submission:
    """Validate and store a submission (queued, or received pending review). Refusals write nothing.

    Runs inside the caller's transaction, which it makes race-free:

    - the rate limit: the first statement writes the token's row (``last_submission_at``), which
      holds the row lock on PostgreSQL and SQLite's write lock until commit, so concurrent
      submissions with one token are counted one after the other, never past the limit;
    - the name: :func:`leaderboard.names.check_name` (reference names are reserved, names are
      case-insensitive, a model belongs to its submitter), then a placeholder model row (new
      names) and the submission row, both under unique constraints, so a concurrent submission
      of the same name fails on the constraint and gets the same 409.
    """
    checked = check_submission(config_yaml, tasks)
    config = checked.config
    name = config.name
    now = _now()
    if token is not None:
        session.execute(update(schema.ApiToken).where(schema.ApiToken.id == token.id).values(last_submission_at=now))
        hour_ago = now - timedelta(hours=1)
        recent = session.scalar(
            select(func.count())
            .select_from(schema.Submission)
            .where(schema.Submission.token_id == token.id, schema.Submission.created_at >= hour_ago)
        )
        if recent >= rate_limit_per_hour():
            raise UserError(f"rate limit: at most {rate_limit_per_hour()} submissions per hour per token; try again later")
    owner = Owner.submitter(submitter)
    existing = check_name(session, name, owner, lock=True)
    pending = session.scalar(
        select(schema.Submission).where(schema.Submission.name_key == name_key(name), schema.Submission.state.in_(PENDING_STATES))
    )
    if pending is not None:
        raise UserError(f"name: submission #{pending.id} of {name!r} is still {pending.state}; send it again once that one has finished")
    sub = schema.Submission(
        model_name=name,
        config_yaml=config_yaml,
        config=config.model_dump(mode="json"),
        tasks=checked.tasks,
        state="received",
        needs_review=checked.needs_review,
        review_reason=checked.review_reason,
        token_id=token.id if token else None,
        submitter=submitter,
        created_at=now,
        updated_at=now,
        history=[{"state": "received", "at": now.isoformat(), "note": "config valid"}],
        attempts=0,
        max_attempts=settings().max_attempts,
        run_ids=[],
        error="",
        log_tail="",
    )
    if not checked.needs_review:
        move_state(sub, "queued", "auto-run: allowed weights source")
    try:
        if existing is None:  # a new name: reserve it with a placeholder row (unpublished, no runs)
            from leaderboard.store import upsert_model

            placeholder = upsert_model(session, config, is_reference=False, owner=owner)
            placeholder.submitter, placeholder.published = submitter, False
        session.add(sub)
        session.flush()
    except IntegrityError as err:
        if is_name_conflict(err):  # a concurrent submission of this name committed first
            raise taken_by_race(name) from err
        raise
    return sub


def _end(session: Session, sub: schema.Submission, state: str, note: str) -> None:
    """Move to a final failed/rejected state and free the name if nothing was ever stored under it."""
    move_state(sub, state, note)
    session.flush()
    release_placeholder(session, sub.model_name, sub.submitter)


def get_submission(session: Session, submission_id: int) -> schema.Submission:
    if not 1 <= submission_id <= MAX_ID:  # the driver would raise OverflowError for ids no row can have
        raise UserError(f"no submission #{submission_id}")
    sub = session.get(schema.Submission, submission_id)
    if sub is None:
        raise UserError(f"no submission #{submission_id}")
    return sub


def find_submission(session: Session, submission_id: int) -> schema.Submission | None:
    """The submission with this id, or None (ids come from ``<id:…>`` URLs, already within range)."""
    return session.get(schema.Submission, submission_id)


def list_submissions(
    session: Session, *, token_id: int | None = None, state: str | None = None, limit: int, offset: int
) -> tuple[int, list[schema.Submission]]:
    """(total, submissions newest first) for the queue, one token's, or one state."""
    stmt = select(schema.Submission)
    counter = select(func.count()).select_from(schema.Submission)
    if token_id is not None:
        stmt = stmt.where(schema.Submission.token_id == token_id)
        counter = counter.where(schema.Submission.token_id == token_id)
    if state:
        stmt = stmt.where(schema.Submission.state == state)
        counter = counter.where(schema.Submission.state == state)
    total = session.scalar(counter) or 0
    rows = list(session.scalars(stmt.order_by(schema.Submission.id.desc()).limit(limit).offset(offset)))
    return total, rows


def queued_ahead(session: Session, sub: schema.Submission) -> int | None:
    """How many queued submissions a worker takes before this one; None unless it is queued."""
    if sub.state != "queued":
        return None
    return session.scalar(
        select(func.count()).select_from(schema.Submission).where(schema.Submission.state == "queued", schema.Submission.id < sub.id)
    )


def review_queue(session: Session, *, recent: int) -> tuple[list[schema.Submission], list[schema.Submission], list[schema.Submission]]:
    """What an admin reviews: received (to approve or reject), done (to publish), and the latest ``recent``."""
    waiting = list(session.scalars(select(schema.Submission).where(schema.Submission.state == "received").order_by(schema.Submission.id)))
    done = list(session.scalars(select(schema.Submission).where(schema.Submission.state == "done").order_by(schema.Submission.id)))
    latest = list(session.scalars(select(schema.Submission).order_by(schema.Submission.id.desc()).limit(recent)))
    return waiting, done, latest


def apply_admin_action(session: Session, submission_id: int, action: str, note: str = "") -> schema.Submission:
    """approve / reject / publish one submission (the caller has checked the admin token); a wrong state is a UserError."""
    if action not in ADMIN_ACTIONS:
        raise UserError(f"action must be one of {', '.join(ADMIN_ACTIONS)}, not {action!r}")
    if action == "publish":
        return publish(session, submission_id, note)
    return review(session, submission_id, approve=action == "approve", note=note)


def review(session: Session, submission_id: int, *, approve: bool, note: str = "") -> schema.Submission:
    sub = get_submission(session, submission_id)
    if sub.state != "received":
        raise UserError(f"submission #{submission_id} is {sub.state}; only received submissions can be reviewed")
    if approve:
        move_state(sub, "queued", note or "approved")
    else:
        _end(session, sub, "rejected", note or "rejected")
    return sub


def claim_next(session: Session, worker: str) -> tuple[int, str] | None:
    """Atomically take the oldest queued job; returns (submission id, claim token) or None."""
    claim = f"{worker}:{secrets.token_hex(8)}"
    now = _now()
    if session.bind.dialect.name == "postgresql":
        with session.begin():
            sub = session.scalars(
                select(schema.Submission)
                .where(schema.Submission.state == "queued")
                .order_by(schema.Submission.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            ).first()
            if sub is None:
                return None
            sub.claimed_by, sub.heartbeat_at, sub.attempts = claim, now, sub.attempts + 1
            move_state(sub, "running", f"claimed by {worker}")
            return sub.id, claim
    # SQLite: one conditional UPDATE is atomic (the database lock serialises writers)
    with session.begin():
        oldest = (
            select(schema.Submission.id)
            .where(schema.Submission.state == "queued")
            .order_by(schema.Submission.id)
            .limit(1)
            .scalar_subquery()
        )
        result = session.execute(
            update(schema.Submission)
            .where(schema.Submission.id == oldest, schema.Submission.state == "queued")
            .values(state="running", claimed_by=claim, heartbeat_at=now, attempts=schema.Submission.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            return None
        sub = session.scalars(select(schema.Submission).where(schema.Submission.claimed_by == claim)).one()
        sub.history = [*(sub.history or []), {"state": "running", "at": now.isoformat(), "note": f"claimed by {worker}"}]
        return sub.id, claim


def owns(session: Session, submission_id: int, claim: str, *, lock: bool = False) -> schema.Submission | None:
    """The submission if this claim still holds it (state running, same claim token)."""
    stmt = select(schema.Submission).where(
        schema.Submission.id == submission_id, schema.Submission.claimed_by == claim, schema.Submission.state == "running"
    )
    if lock and session.bind.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return session.scalars(stmt).first()


def heartbeat(session: Session, submission_id: int, claim: str) -> bool:
    with session.begin():
        result = session.execute(
            update(schema.Submission)
            .where(schema.Submission.id == submission_id, schema.Submission.claimed_by == claim, schema.Submission.state == "running")
            .values(heartbeat_at=_now())
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1


def fail_attempt(session: Session, submission_id: int, claim: str, error: str, log_tail: str = "", *, retry: bool) -> None:
    """End an attempt: re-queue it (bounded by max_attempts) or mark the submission failed.

    ``error`` and ``log_tail`` are public (status page, API): only their public form is stored
    (:mod:`leaderboard.public_log`); the worker keeps the full log in its own.
    """
    error = public_line(error)
    with session.begin():
        sub = owns(session, submission_id, claim, lock=True)
        if sub is None:
            return
        sub.log_tail = public_log(log_tail)
        sub.claimed_by = None
        if retry and sub.attempts < sub.max_attempts:
            move_state(sub, "queued", f"attempt {sub.attempts} failed, re-queued: {error}")
        else:
            sub.error = error
            _end(session, sub, "failed", error)


def requeue_stale(session: Session, stale_after_s: float) -> list[int]:
    """Give back jobs whose worker stopped sending heartbeats (it died); fail those out of attempts."""
    cutoff = _now() - timedelta(seconds=stale_after_s)
    moved = []
    with session.begin():
        stmt = select(schema.Submission).where(schema.Submission.state == "running")
        if session.bind.dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        for sub in session.scalars(stmt).all():
            beat = _as_utc(sub.heartbeat_at)
            if beat is not None and beat >= cutoff:
                continue
            sub.claimed_by = None
            if sub.attempts < sub.max_attempts:
                move_state(sub, "queued", f"worker stopped responding (no heartbeat for {stale_after_s:.0f}s); re-queued")
            else:
                sub.error = f"gave up after {sub.attempts} attempts: the worker stopped responding each time"
                _end(session, sub, "failed", sub.error)
            moved.append(sub.id)
    return moved


def publish(session: Session, submission_id: int, note: str = "") -> schema.Submission:
    sub = get_submission(session, submission_id)
    if sub.state != "done":
        raise UserError(f"submission #{submission_id} is {sub.state}; only done submissions can be published")
    model = session.scalar(select(schema.Model).where(schema.Model.name == sub.model_name))
    if model is not None:
        model.published = True
    move_state(sub, "published", note or "published")
    return sub


def auto_publish() -> bool:
    return settings().auto_publish
