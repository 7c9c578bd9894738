"""Run one claimed submission, in its own process (``python -m leaderboard.job ID CLAIM``).

The worker starts this process, sends heartbeats while it runs and kills it past the runtime
limit.  All tasks run first; then the runs, scores and the submission's new state are written
in ONE transaction, and only if the claim still holds.  A crash anywhere before that commit
leaves no score rows behind.
"""

from __future__ import annotations

import logging
import sys

from pydantic import ValidationError
from sqlalchemy import select

from benchmarks.registry import get_task
from common.errors import UserError
from leaderboard import schema
from leaderboard.db import make_engine, session_factory
from leaderboard.names import Owner
from leaderboard.store import add_run, upsert_model
from leaderboard.submissions import _move, auto_publish, fail_attempt, owns, publish
from runners.execute import run_task
from runners.session import ModelSession, TaskNotSupported
from submissions.schema import ConfigError, ModelConfig, validation_problems

log = logging.getLogger("leaderboard.job")


def run_job(submission_id: int, claim: str) -> int:
    make_session = session_factory(make_engine())
    with make_session() as session:
        sub = owns(session, submission_id, claim)
        if sub is None:
            log.warning("submission #%d is no longer ours (%s); nothing to do", submission_id, claim)
            return 0
        task_ids = list(sub.tasks)
        submitter = sub.submitter
        stored_config = sub.config
    try:  # stored before today's rules (say k1: .inf, refused since): one public line, not a traceback
        config = ModelConfig.model_validate(stored_config)
    except ValidationError as err:
        reason = str(ConfigError(f"submission #{submission_id}", validation_problems(err), "its stored config is no longer valid"))
        with make_session() as session:
            fail_attempt(session, submission_id, claim, reason + "; submit a corrected config", retry=False)
        log.error("submission #%d failed: %s", submission_id, reason)
        return 1
    try:
        model_session = ModelSession(config)
        outcomes = []
        for task_id in task_ids:
            task = get_task(task_id)
            log.info("submission #%d: %s on %s", submission_id, config.name, task_id)
            try:
                outcomes.append((task, run_task(model_session, task)))
            except TaskNotSupported as reason:
                log.info("skipping %s: %s", task_id, reason)
        if not outcomes:
            raise UserError(f"{config.name} ({config.backend}) cannot run any of the requested tasks: {', '.join(task_ids)}")
    except UserError as err:
        with make_session() as session:
            fail_attempt(session, submission_id, claim, str(err), retry=False)
        log.error("submission #%d failed: %s", submission_id, err)
        return 1

    try:
        stored = _store(make_session, submission_id, claim, config, submitter, outcomes)
    except UserError as err:  # e.g. the name is no longer this submitter's (names.check_name)
        with make_session() as session:
            fail_attempt(session, submission_id, claim, str(err), retry=False)
        log.error("submission #%d failed: %s", submission_id, err)
        return 1
    if not stored:
        log.warning("submission #%d was re-queued while running; discarding this attempt's results", submission_id)
        return 0
    log.info("submission #%d done", submission_id)
    return 0


def _store(make_session, submission_id: int, claim: str, config: ModelConfig, submitter: str, outcomes: list) -> bool:
    """Write the model, every run and the new state in one transaction, if the claim still holds."""
    with make_session() as session, session.begin():
        sub = owns(session, submission_id, claim, lock=True)
        if sub is None:
            return False
        existing = session.scalar(select(schema.Model).where(schema.Model.name == config.name))
        was_published = bool(existing and existing.published)
        model = upsert_model(session, config, is_reference=False, owner=Owner.submitter(submitter))
        model.submitter = submitter
        model.published = was_published
        sub.run_ids = [add_run(session, model, task, outcome) for task, outcome in outcomes]
        sub.claimed_by = None
        _move(sub, "done", f"{len(outcomes)} runs stored")
        if auto_publish():
            session.flush()
            publish(session, submission_id, "published automatically (LEADERBOARD_AUTO_PUBLISH)")
    return True


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", datefmt="%H:%M:%S")
    return run_job(int(args[0]), args[1])


if __name__ == "__main__":
    sys.exit(main())
