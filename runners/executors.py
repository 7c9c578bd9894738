"""Where a model's tasks run: in this process, or on a Ray cluster, behind one interface.

An :class:`Executor` takes a config and its tasks and yields, per task and in the tasks' order,
one :data:`TaskResult`: the finished run (:class:`TaskDone`), a skip because the backend cannot
do that kind of task (:class:`TaskSkipped`), or a one-line error (:class:`TaskFailed`).  It
never stores anything and never decides whether an error stops the others: the caller
(``leaderboard/service.py``) does.  Results come one at a time, as each task finishes, so a
caller can store the first task's run while the second one runs.

Both executors run a task through the same function (:func:`run_one`), so the Ray backend
returns exactly what the local one returns, computed by the same code on the same config.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from benchmarks.contract import Task
from common.errors import UserError
from runners.outcome import RunOutcome
from runners.protocols import Retriever
from runners.session import ModelSession, TaskNotSupported
from submissions.schema import ModelConfig

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TaskDone:
    task_id: str
    outcome: RunOutcome


@dataclass(frozen=True)
class TaskSkipped:
    """The backend cannot do this kind of task (BM25 on STS): reported, never an error."""

    task_id: str
    reason: str


@dataclass(frozen=True)
class TaskFailed:
    """The task could not run (bad data, weights that will not load, an undefined score): one line."""

    task_id: str
    error: UserError


TaskResult = TaskDone | TaskSkipped | TaskFailed
OnStart = Callable[[Task], None]


def run_one(session: ModelSession, task: Task) -> TaskResult:
    """Run one task on the session's model; a skip or a :class:`UserError` becomes a result, anything else propagates."""
    from runners.execute import run_task

    try:
        return TaskDone(task.id, run_task(session, task))
    except TaskNotSupported as reason:
        return TaskSkipped(task.id, str(reason))
    except UserError as err:
        return TaskFailed(task.id, err)


class Executor(Protocol):
    def run(self, config: ModelConfig, tasks: Sequence[Task], *, on_start: OnStart | None = None) -> Iterator[TaskResult]:
        """One result per task, in order; ``on_start(task)`` is called as each task's turn comes."""
        ...


class LocalExecutor:
    """In this process: one :class:`ModelSession`, so the weights load once for all tasks; tasks run one by one, lazily.

    ``retriever``: a ready-made one for the session (the service's fusion retriever over the
    source rankings it loaded, :mod:`runners.fusion`).
    """

    name = "local"

    def __init__(self, retriever: Retriever | None = None) -> None:
        self.retriever = retriever

    def run(self, config: ModelConfig, tasks: Sequence[Task], *, on_start: OnStart | None = None) -> Iterator[TaskResult]:
        session = ModelSession(config, retriever=self.retriever)
        for task in tasks:
            if on_start is not None:
                on_start(task)
            yield run_one(session, task)


class RayExecutor:
    """On Ray (:mod:`runners.ray_backend`): every task is a job, all submitted at once; results are yielded in order."""

    name = "ray"

    def __init__(self, address: str | None = None, *, gpus_per_job: float = 0.0) -> None:
        self.address = address
        self.gpus_per_job = gpus_per_job

    def run(self, config: ModelConfig, tasks: Sequence[Task], *, on_start: OnStart | None = None) -> Iterator[TaskResult]:
        from runners.ray_backend import run_matrix

        dump = config.model_dump(mode="json")
        results = run_matrix([(dump, task.id) for task in tasks], address=self.address, gpus_per_job=self.gpus_per_job)
        for task in tasks:
            if on_start is not None:
                on_start(task)
            yield next(results)


def executor_for(backend: str, address: str | None = None) -> Executor:
    """The executor of ``leaderboard run --backend local|ray``."""
    if backend == "ray":
        return RayExecutor(address)
    if backend != "local":
        raise UserError(f"unknown backend {backend!r}; use local or ray")
    return LocalExecutor()
