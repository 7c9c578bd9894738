"""The submission lifecycle in the database: received → queued → running → done|failed → published.

A submission is checked (submissions/policy.py) before anything is stored; a refused config
writes nothing.  Workers claim queued jobs atomically — ``SELECT … FOR UPDATE SKIP LOCKED`` on
PostgreSQL, a conditional ``UPDATE`` on SQLite — with a fresh claim token per attempt.  Every
later write of that attempt is conditional on the claim token, so a worker that was presumed
dead (and whose job was re-queued) can never write results over the new attempt's.
"""

from __future__ import annotations

import os
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from benchmarks.errors import UserError
from leaderboard import schema
from submissions.policy import check_submission

STATES = ("received", "queued", "running", "done", "failed", "published", "rejected")


def _now() -> datetime:
    return datetime.now(UTC)


def _as_utc(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:  # SQLite returns naive datetimes
        return moment.replace(tzinfo=UTC)
    return moment


def _move(sub: schema.Submission, state: str, note: str = "") -> None:
    sub.state = state
    sub.updated_at = _now()
    sub.history = [*(sub.history or []), {"state": state, "at": sub.updated_at.isoformat(), "note": note}]


def rate_limit_per_hour() -> int:
    return int(os.environ.get("LEADERBOARD_RATE_LIMIT_PER_HOUR", "20"))


def create_submission(
    session: Session, config_yaml: str, tasks: str | list[str], *, token: schema.ApiToken | None, submitter: str
) -> schema.Submission:
    """Validate and store a submission (queued, or received pending review). Refusals write nothing."""
    checked = check_submission(config_yaml, tasks)
    name = checked.config.name
    taken = session.scalar(select(schema.Model).where(schema.Model.name == name))
    pending = session.scalar(
        select(schema.Submission).where(
            schema.Submission.model_name == name, schema.Submission.state.in_(["received", "queued", "running"])
        )
    )
    if (taken is not None and (taken.is_reference or taken.submitter != submitter)) or (
        pending is not None and pending.submitter != submitter
    ):
        raise UserError(f"name: a model called {name!r} is already on the board; choose another name")
    if token is not None:
        hour_ago = _now() - timedelta(hours=1)
        recent = session.scalar(
            select(func.count())
            .select_from(schema.Submission)
            .where(schema.Submission.token_id == token.id, schema.Submission.created_at >= hour_ago)
        )
        if recent >= rate_limit_per_hour():
            raise UserError(f"rate limit: at most {rate_limit_per_hour()} submissions per hour per token; try again later")
    now = _now()
    sub = schema.Submission(
        model_name=name,
        config_yaml=config_yaml,
        config=checked.config.model_dump(mode="json"),
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
        max_attempts=int(os.environ.get("LEADERBOARD_MAX_ATTEMPTS", "3")),
        run_ids=[],
        error="",
        log_tail="",
    )
    if not checked.needs_review:
        _move(sub, "queued", "auto-run: allowed weights source")
    session.add(sub)
    session.flush()
    return sub


def get_submission(session: Session, submission_id: int) -> schema.Submission:
    sub = session.get(schema.Submission, submission_id)
    if sub is None:
        raise UserError(f"no submission #{submission_id}")
    return sub


def review(session: Session, submission_id: int, *, approve: bool, note: str = "") -> schema.Submission:
    sub = get_submission(session, submission_id)
    if sub.state != "received":
        raise UserError(f"submission #{submission_id} is {sub.state}; only received submissions can be reviewed")
    _move(sub, "queued" if approve else "rejected", note or ("approved" if approve else "rejected"))
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
            _move(sub, "running", f"claimed by {worker}")
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
    """End an attempt: re-queue it (bounded by max_attempts) or mark the submission failed."""
    with session.begin():
        sub = owns(session, submission_id, claim, lock=True)
        if sub is None:
            return
        sub.log_tail = log_tail[-4000:]
        sub.claimed_by = None
        if retry and sub.attempts < sub.max_attempts:
            _move(sub, "queued", f"attempt {sub.attempts} failed, re-queued: {error}")
        else:
            sub.error = error
            _move(sub, "failed", error)


def requeue_stale(session: Session, stale_after_s: float) -> list[int]:
    """Give back jobs whose worker stopped sending heartbeats (it died); fail those out of attempts."""
    cutoff = _now() - timedelta(seconds=stale_after_s)
    moved = []
    with session.begin():
        stmt = select(schema.Submission).where(schema.Submission.state == "running")
        if session.bind.dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        for sub in session.scalars(stmt):
            beat = _as_utc(sub.heartbeat_at)
            if beat is not None and beat >= cutoff:
                continue
            sub.claimed_by = None
            if sub.attempts < sub.max_attempts:
                _move(sub, "queued", f"worker stopped responding (no heartbeat for {stale_after_s:.0f}s); re-queued")
            else:
                sub.error = f"gave up after {sub.attempts} attempts: the worker stopped responding each time"
                _move(sub, "failed", sub.error)
            moved.append(sub.id)
    return moved


def publish(session: Session, submission_id: int, note: str = "") -> schema.Submission:
    sub = get_submission(session, submission_id)
    if sub.state != "done":
        raise UserError(f"submission #{submission_id} is {sub.state}; only done submissions can be published")
    model = session.scalar(select(schema.Model).where(schema.Model.name == sub.model_name))
    if model is not None:
        model.published = True
    _move(sub, "published", note or "published")
    return sub


def auto_publish() -> bool:
    return os.environ.get("LEADERBOARD_AUTO_PUBLISH", "1") not in {"0", "false", "no"}
