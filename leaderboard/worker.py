"""``leaderboard worker``: claim queued submissions and run each in a child process.

The child is ``python -m leaderboard.worker_child`` (quiet libraries, no progress bars, the job
log format the public tail keeps); when it ends the worker logs one line with the job's outcome
(:func:`outcome_line`).

Why a child process: the runtime limit can then be enforced by killing it, a crash in model
code cannot take the worker down, and the child dies with the worker (PR_SET_PDEATHSIG on
Linux), so a killed worker leaves no orphan writing results.  While the child runs the worker
sends heartbeats; a job whose heartbeats stop (its worker died) is re-queued by any worker
after ``stale_after`` seconds, up to ``max_attempts`` times.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import update

from leaderboard import schema
from leaderboard.db import make_engine, session_factory
from leaderboard.public_log import crash_summary, public_log
from leaderboard.submissions import claim_next, fail_attempt, heartbeat, requeue_stale
from submissions.policy import limits

log = logging.getLogger("leaderboard.worker")


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _tail(path: Path, size: int = 64_000) -> str:
    try:
        data = path.read_bytes()
    except OSError:
        return ""
    return data[-size:].decode("utf-8", errors="replace")


def child_environment() -> dict[str, str]:
    """The job's environment: ours, without progress bars (its output is a file; see leaderboard/worker_child.py)."""
    return {**os.environ, "TQDM_DISABLE": "1", "HF_HUB_DISABLE_PROGRESS_BARS": "1"}


def outcome_line(sub: schema.Submission) -> str:
    """The one line the worker prints when a job ends: ``#N model: done, 3 runs stored`` / ``failed: <error>`` / ``re-queued``.

    The error is the public one (``leaderboard.public_log``), the same words the submitter reads;
    the job's full output is logged above it when the job did not exit cleanly.
    """
    head = f"#{sub.id} {sub.model_name}"
    if sub.state in ("done", "published"):
        runs = len(sub.run_ids or [])
        return f"{head}: done, {runs} run{'' if runs == 1 else 's'} stored" + (", published" if sub.state == "published" else "")
    if sub.state == "failed":
        return f"{head}: failed: {sub.error or 'no reason given'}"
    if sub.state == "queued":
        note = str((sub.history or [{}])[-1].get("note", ""))
        reason = note.partition("re-queued: ")[2] or note
        return f"{head}: re-queued after attempt {sub.attempts} of {sub.max_attempts}" + (f": {reason}" if reason else "")
    return f"{head}: {sub.state}"  # e.g. running: re-queued while it ran and claimed by another worker


class Worker:
    def __init__(self, name: str | None = None, *, poll_s: float = 5.0, heartbeat_s: float = 2.0, stale_after_s: float = 60.0) -> None:
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self.poll_s = poll_s
        self.heartbeat_s = heartbeat_s
        self.stale_after_s = stale_after_s
        self.make_session = session_factory(make_engine())

    def run_one(self) -> bool:
        """Claim and run one job; False when the queue was empty."""
        with self.make_session() as session:
            for moved in requeue_stale(session, self.stale_after_s):
                log.warning("re-queued submission #%d (its worker stopped responding)", moved)
        with self.make_session() as session:
            claimed = claim_next(session, self.name)
        if claimed is None:
            return False
        submission_id, claim = claimed
        log.info("running submission #%d", submission_id)
        with tempfile.NamedTemporaryFile(prefix=f"submission-{submission_id}-", suffix=".log", delete=False) as log_file:
            log_path = Path(log_file.name)
            child = subprocess.Popen(
                [sys.executable, "-m", "leaderboard.worker_child", str(submission_id), claim],
                stdout=log_file,
                stderr=subprocess.STDOUT,
                env=child_environment(),
                preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
            )
            started = time.monotonic()
            limit = limits().max_runtime_s
            timed_out = False
            while child.poll() is None:
                time.sleep(self.heartbeat_s)
                with self.make_session() as session:
                    heartbeat(session, submission_id, claim)
                if time.monotonic() - started > limit:
                    child.kill()
                    child.wait()
                    timed_out = True
        tail = _tail(log_path)
        log_path.unlink(missing_ok=True)
        if timed_out or child.returncode != 0:  # the full log stays here, in the operator's log; the public one is filtered
            log.warning("submission #%d: job exited with %s; its output:\n%s", submission_id, child.returncode, tail)
        with self.make_session() as session:
            if timed_out:
                fail_attempt(
                    session, submission_id, claim, f"runtime limit of {limit:,} s exceeded; the run was stopped", tail, retry=False
                )
            elif child.returncode != 0:
                fail_attempt(
                    session, submission_id, claim, f"the run crashed (exit {child.returncode}): {crash_summary(tail)}", tail, retry=True
                )
            with session.begin():
                session.execute(update(schema.Submission).where(schema.Submission.id == submission_id).values(log_tail=public_log(tail)))
        with self.make_session() as session:
            log.info("%s", outcome_line(session.get(schema.Submission, submission_id)))
        return True

    def run_forever(self, *, once: bool = False) -> None:
        while True:
            worked = self.run_one()
            if once and not worked:
                return
            if not worked:
                time.sleep(self.poll_s)
