"""Run a model on tasks and record the results: the one service behind ``run``, ``demo``, ``reproduce`` and the worker.

Three steps, the same for every caller:

1. **Plan** (:func:`plan`): the model and every task are resolved before anything runs (an
   unknown id fails first); a fusion model's source rankings are loaded (a missing source run
   is a one-line error naming the command that makes it); the data of every task the backend can do, after the first, is
   checked (present, parses, published counts; the first is checked as it loads, so a one-task
   run of a big corpus reads it once); and the model's name is checked against its owner
   (:mod:`leaderboard.names`).  Bad data for the second task therefore stores nothing for the
   first, and a name that belongs to someone else costs no compute.
2. **Execute** through an :class:`~runners.executors.Executor` (in this process or on Ray),
   which yields per task a finished run, a skip or a one-line error.
3. **Record** with a strategy (:class:`Recorder`): :class:`PerTaskRecorder` stores each run in
   its own transaction as soon as it finished (``run``; a failure in a later task keeps the
   earlier complete runs), :class:`ReproductionRecorder` grades each rerun first
   (``reproduce``, :mod:`leaderboard.reproduce`), and :class:`ClaimedJobRecorder` writes every
   run and the submission's new state in ONE transaction, only if the worker's claim still
   holds (a job that crashes or lost its claim leaves no score row).

How the user hears about it (``click.echo`` on the CLI, the job's log on the submission page) is
the caller's :class:`Report`; whether an error stops the other tasks is its ``failed`` answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from benchmarks.contract import Task
from common.errors import UserError
from leaderboard.names import Owner
from runners.executors import Executor, TaskFailed, TaskSkipped
from runners.outcome import RunOutcome
from submissions.schema import ModelConfig

log = logging.getLogger("leaderboard")


@dataclass(frozen=True)
class Resolved:
    """A model config and whether it is a reference config (``submissions/reference/``)."""

    config: ModelConfig
    path: Path | None = None
    is_reference: bool = False


def resolve(model: str) -> Resolved:
    """A reference model by name, or a config file by path (:func:`submissions.registry.resolve_model`)."""
    from submissions.registry import REFERENCE_DIR, resolve_model

    config, path = resolve_model(model)
    return Resolved(config, path, path.parent.resolve() == REFERENCE_DIR.resolve())


def lazy_sessions(db: str | None = None) -> Callable:
    """A session factory whose engine (and schema) is made on first use, so a plan refused for its data touches no database."""
    made: list = []

    def make_session():
        if not made:
            from leaderboard.db import make_engine, session_factory

            made.append(session_factory(make_engine(db)))
        return made[0]()

    return make_session


def _stop(task: Task, error: UserError) -> bool:
    return False


@dataclass
class Report:
    """What the caller does at each step (the defaults log, and stop at the first error).

    ``failed(task, error)`` answers whether to go on with the next task (True) or stop with the
    error (False); it is asked for data that fails the plan's check too.
    """

    start: Callable[[Task], None] = lambda task: None
    skipped: Callable[[Task, str], None] = lambda task, reason: log.info("skipping %s: %s", task.id, reason)
    recorded: Callable[[Task, RunOutcome, int | None], None] = lambda task, outcome, run_id: None
    failed: Callable[[Task, UserError], bool] = _stop


@dataclass(frozen=True)
class Plan:
    config: ModelConfig
    tasks: list[Task]
    owner: Owner
    # backend fusion: the source models' stored rankings of every task (leaderboard/fusion_sources.py)
    fusion_sources: list | None = None


def plan(config: ModelConfig, task_ids: Sequence[str], owner: Owner, make_session, report: Report | None = None) -> Plan:
    """Resolve every task, check the data ahead and the name; see the module docstring.

    A task whose data fails the check is dropped when ``report.failed`` says to go on (``reproduce
    --all``), else its error is raised before anything ran.
    """
    from benchmarks.data_status import require_verified
    from benchmarks.registry import get_task
    from leaderboard.names import check_name
    from runners.session import supports

    report = report or Report()
    tasks = [get_task(task_id) for task_id in task_ids]  # all unknown ids fail before any work
    if config.precisions:  # a precision this machine cannot run is refused before any work, naming what it lacks
        from runners.device import best_device
        from runners.precision import check_precisions

        check_precisions(config.name, config.precisions, best_device())
    for task in [t for t in tasks if supports(config, t.benchmark)][1:]:
        try:
            require_verified(task)
        except UserError as err:
            if not report.failed(task, err):
                raise
            tasks.remove(task)
    with make_session() as session:  # a name that belongs to another model is refused before any work
        check_name(session, config.name, owner)
        sources = None
        if config.backend == "fusion":  # every source ranking is loaded (or its absence reported) before anything runs
            from leaderboard.fusion_sources import load_sources

            sources = load_sources(session, config, [t for t in tasks if supports(config, t.benchmark)])
    return Plan(config, tasks, owner, sources)


@dataclass(frozen=True)
class Recorded:
    task: Task
    outcome: RunOutcome
    run_id: int | None  # None for a job until its one transaction commits


class Recorder(Protocol):
    def record(self, task: Task, outcome: RunOutcome) -> int | None:
        """Store (or keep for later) one finished run; its run id when stored now."""
        ...

    def finish(self, recorded: list[Recorded]) -> None:
        """After the last task (a job's one transaction)."""
        ...


def run_and_record(plan: Plan, executor: Executor, recorder: Recorder, report: Report, *, nothing_ran: str | None = None) -> list[Recorded]:
    """Execute the plan and record each result; ``nothing_ran``: the error when no task produced a run."""
    recorded: list[Recorded] = []
    if plan.fusion_sources is not None:
        # a fusion encodes nothing: it runs here, over the rankings the plan loaded, whatever executor was asked for
        from runners.executors import LocalExecutor
        from runners.fusion import FusionRetriever

        executor = LocalExecutor(retriever=FusionRetriever(plan.config, plan.fusion_sources))
    results = executor.run(plan.config, plan.tasks, on_start=report.start)
    for task, result in zip(plan.tasks, results, strict=True):
        if result.task_id != task.id:  # pragma: no cover - an executor that reorders is a bug
            raise RuntimeError(f"executor returned {result.task_id} for {task.id}")
        if isinstance(result, TaskSkipped):
            report.skipped(task, result.reason)
            continue
        if isinstance(result, TaskFailed):
            if report.failed(task, result.error):
                continue
            raise result.error
        run_id = recorder.record(task, result.outcome)
        recorded.append(Recorded(task, result.outcome, run_id))
        report.recorded(task, result.outcome, run_id)
    if not recorded and nothing_ran is not None:
        raise UserError(nothing_ran)
    recorder.finish(recorded)
    prepare_explorer_texts(recorded)
    return recorded


def prepare_explorer_texts(recorded: list[Recorded]) -> None:
    """Build the explorer's text store of each task just run (:func:`leaderboard.views.texts.prebuild`),
    here rather than on the explorer's first visit, where a large corpus would hold a web request
    for as long as it takes to read.  Never fails the command: the runs are already stored."""
    from leaderboard.views.texts import prebuild

    for run in recorded:
        prebuild(run.task, str(run.outcome.manifest.get("data_sha256", "")))


# --------------------------------------------------------------------------- recorders
@dataclass
class PerTaskRecorder:
    """``leaderboard run``: each run, its scores and the current-result pointer in its own transaction."""

    make_session: Callable
    config: ModelConfig
    is_reference: bool

    def record(self, task: Task, outcome: RunOutcome) -> int:
        from leaderboard.store import record_run

        with self.make_session() as session:
            return record_run(session, self.config, task, outcome, is_reference=self.is_reference)

    def finish(self, recorded: list[Recorded]) -> None:
        return None


@dataclass
class ReproductionRecorder:
    """``leaderboard reproduce``: grade each rerun against the reported numbers and the board run, then store it with its grades.

    The rerun is stored beside the board run it reproduces (which stays current); without a
    board run it becomes the board run.  ``cells`` collects the graded cells for the table.
    """

    make_session: Callable
    config: ModelConfig
    is_reference: bool
    cells: list = field(default_factory=list)

    def record(self, task: Task, outcome: RunOutcome) -> int:
        from leaderboard.reproduce import board_run, grade_outcome, grade_rows, grade_variants
        from leaderboard.store import record_run

        with self.make_session() as session:
            board = board_run(session, self.config.name, task.id)
            task_cells = grade_outcome(self.config, task, outcome, board)
            variant_cells = grade_variants(self.config, task, outcome, board)  # shown, not stored: the grade stays fp32's
            board_id = board.id if board else None
        with self.make_session() as session:
            run_id = record_run(
                session,
                self.config,
                task,
                outcome,
                is_reference=self.is_reference,
                reproduces_run_id=board_id,
                grades=grade_rows(task_cells),
            )
        self.cells.extend(task_cells + variant_cells)
        return run_id

    def finish(self, recorded: list[Recorded]) -> None:
        """Add the grades of numbers reported for a whole benchmark (MTEB's Tatoeba mean)."""
        from leaderboard.reproduce import aggregate_cells

        self.cells.extend(aggregate_cells(self.config, [(r.task, r.outcome) for r in recorded]))


@dataclass
class ClaimedJobRecorder:
    """A worker's job: every run, the model and the submission's new state in ONE transaction, if the claim holds.

    ``stored`` says whether it committed; False means the job was re-queued while it ran (its
    claim went to another attempt) and this attempt's results were discarded.
    """

    make_session: Callable
    submission_id: int
    claim: str
    config: ModelConfig
    submitter: str
    stored: bool = False

    def record(self, task: Task, outcome: RunOutcome) -> None:
        return None  # kept in the list the service hands to finish()

    def finish(self, recorded: list[Recorded]) -> None:
        from sqlalchemy import select

        from leaderboard import schema
        from leaderboard.store import add_run, upsert_model
        from leaderboard.submissions import auto_publish, move_state, owns, publish

        with self.make_session() as session, session.begin():
            sub = owns(session, self.submission_id, self.claim, lock=True)
            if sub is None:
                self.stored = False
                return
            existing = session.scalar(select(schema.Model).where(schema.Model.name == self.config.name))
            was_published = bool(existing and existing.published)
            model = upsert_model(session, self.config, is_reference=False, owner=Owner.submitter(self.submitter))
            model.submitter = self.submitter
            model.published = was_published
            sub.run_ids = [add_run(session, model, r.task, r.outcome) for r in recorded]
            sub.claimed_by = None
            move_state(sub, "done", f"{len(recorded)} runs stored")
            if auto_publish():
                session.flush()
                publish(session, self.submission_id, "published automatically (LEADERBOARD_AUTO_PUBLISH)")
        self.stored = True
