"""What a submitter is told happens next, for each state of a submission: one text, shown everywhere.

The CLI (``leaderboard submit``, ``leaderboard submissions show``), the status page's "What
happens next" box and the API record's ``next`` field all say the same sentence, so it is written
once, here, from the facts that decide it: the state, why a review is needed, how many attempts
are left, and this server's settings (the runtime limit, whether results are published without
an admin).  Where to look (a URL or a CLI command) depends on who asks, so callers add it.
"""

from __future__ import annotations

from dataclasses import dataclass

from common.settings import settings


@dataclass(frozen=True)
class Facts:
    """What the sentence depends on; built from a submission row (:func:`facts_of`) or an API record."""

    state: str
    review_reason: str = ""
    attempts: int = 0
    max_attempts: int = 1


def facts_of(sub) -> Facts:
    """The :class:`Facts` of a ``leaderboard.schema.Submission`` row."""
    return Facts(sub.state, sub.review_reason or "", sub.attempts or 0, sub.max_attempts or 1)


def next_step_of(sub) -> str:
    """:func:`next_step` for a ``leaderboard.schema.Submission`` row."""
    return next_step(facts_of(sub))


def next_step(facts: Facts) -> str:
    """One or two plain sentences: what happens to this submission next, and what (if anything) its submitter does."""
    current = settings()
    then = (
        "then published on the board at once"
        if current.auto_publish
        else "then an admin publishes them; until then the model is not on the board"
    )
    limit = _duration(current.max_runtime_s)
    texts = {
        "received": (
            f"An admin reviews it before anything runs ({facts.review_reason or 'this server reviews submissions'}). "
            "Once approved it is queued and a worker runs it; you need do nothing meanwhile."
        ),
        "queued": (
            f"A worker will run it: every task in a child process, stopped after {limit}. "
            f"When every task has run, its scores are stored in one transaction, {then}."
        ),
        "running": (
            f"A worker is running it now (attempt {max(facts.attempts, 1)} of {facts.max_attempts}). "
            f"When every task has run, its scores are stored in one transaction, {then}. "
            "If the run crashes, nothing is stored and it is queued again while attempts are left."
        ),
        "done": "Its scores are stored; an admin publishes them. Until then the model is not on the board.",
        "published": "Nothing more: the model and its scores are on the board.",
        "failed": (
            "Nothing more happens to it, and nothing was stored. Fix what the error names "
            "(the log tail shows the run's last lines) and submit the config again; the same name may be reused."
        ),
        "rejected": "Nothing more: an admin rejected it and it will not run. A corrected config may be submitted again.",
    }
    return texts.get(facts.state, "")


def _duration(seconds: int) -> str:
    """``21600`` -> ``"6 hours"``: the runtime limit as a person says it."""
    for size, unit in ((3600, "hour"), (60, "minute")):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count:,} {unit}{'' if count == 1 else 's'}"
    return f"{seconds:,} s"
