"""The sentence-encoder runner: every benchmark whose capability is ``sentence_encoder`` (STS, Tatoeba).

:mod:`runners.execute` dispatches by capability, so this is the one entry point for sentence
benchmarks.  Each of them still has its own scoring loop (:mod:`runners.run_sts`,
:mod:`runners.run_tatoeba`); issue 13's runner part merges them into one template that calls
``BENCHMARK.evaluate``.
"""

from __future__ import annotations

from benchmarks.contract import Task
from common.errors import UserError
from runners.execute import RunOutcome
from runners.session import ModelSession


def run_sentences(session: ModelSession, task: Task) -> RunOutcome:
    if task.benchmark == "sts":
        from runners.run_sts import run_sts

        return run_sts(session, task)
    if task.benchmark == "tatoeba":
        from runners.run_tatoeba import run_tatoeba

        return run_tatoeba(session, task)
    raise UserError(f"{task.id}: the sentence-encoder runner does not score benchmark {task.benchmark!r} yet")
