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

from common.errors import UserError
from leaderboard.db import make_engine, session_factory
from leaderboard.names import Owner
from leaderboard.service import ClaimedJobRecorder, Report, plan, run_and_record
from leaderboard.submissions import fail_attempt, owns
from runners.executors import LocalExecutor
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
    report = Report(
        start=lambda task: log.info("submission #%d: %s on %s", submission_id, config.name, task.id),
        skipped=lambda task, reason: log.info("skipping %s: %s", task.id, reason),
    )
    recorder = ClaimedJobRecorder(make_session, submission_id, claim, config, submitter)
    try:  # all tasks first, then one transaction guarded by the claim (leaderboard/service.py)
        planned = plan(config, task_ids, Owner.submitter(submitter), make_session, report)
        run_and_record(
            planned,
            LocalExecutor(),
            recorder,
            report,
            nothing_ran=f"{config.name} ({config.backend}) cannot run any of the requested tasks: {', '.join(task_ids)}",
        )
    except UserError as err:  # bad data, weights that will not load, a name that is no longer this submitter's
        with make_session() as session:
            fail_attempt(session, submission_id, claim, str(err), retry=False)
        log.error("submission #%d failed: %s", submission_id, err)
        return 1
    if not recorder.stored:
        log.warning("submission #%d was re-queued while running; discarding this attempt's results", submission_id)
        return 0
    log.info("submission #%d done", submission_id)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", datefmt="%H:%M:%S")
    return run_job(int(args[0]), args[1])


if __name__ == "__main__":
    sys.exit(main())
