"""The one run-and-record service behind run, reproduce and the worker (leaderboard/service.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from common.errors import UserError
from leaderboard import schema
from leaderboard.cli import main
from leaderboard.db import make_engine, session_factory
from leaderboard.names import Owner
from leaderboard.service import PerTaskRecorder, Plan, Report, plan, run_and_record
from runners.executors import LocalExecutor, TaskDone, TaskFailed, TaskSkipped
from submissions.registry import resolve_model
from tests.unit.test_cli import two_tiny_tasks, write_tiny  # noqa: F401  (a fixture)
from tests.unit.test_reproduce_cli import write_config


def runs_stored() -> int:
    with session_factory(make_engine())() as session:
        return session.scalar(select(func.count()).select_from(schema.Run))


def test_reproduce_checks_the_data_of_every_task_before_running_any(two_tiny_tasks, tmp_path):  # noqa: F811
    """As `run` does: a later task's bad data stores no reproduction of the first."""
    write_tiny(tmp_path, "tiny2", queries={"q1": "vitamin", "q2": "measles", "q3": "memory", "q4": "extra"})
    with (tmp_path / "data" / "beir" / "tiny2" / "qrels" / "test.tsv").open("a") as handle:
        handle.write("q4\td1\t1\r\n")
    config = write_config(tmp_path / "m.yaml", k1=0.9, reported={"ndcg_at_10": 0.5})
    result = CliRunner().invoke(main, ["reproduce", config, "--tasks", "beir/tiny,beir/tiny2"])
    assert result.exit_code == 1 and "beir/tiny2" in result.output and "4 queries" in result.output
    assert runs_stored() == 0


class ScriptedExecutor:
    """Yields given results, and notes how many runs were stored when each task's turn came."""

    def __init__(self, results) -> None:
        self.results = results
        self.stored_at_start: list[int] = []

    def run(self, config, tasks, *, on_start=None) -> Iterator:
        for task, result in zip(tasks, self.results, strict=True):
            self.stored_at_start.append(runs_stored())
            if on_start is not None:
                on_start(task)
            yield result


def test_each_run_is_stored_before_the_next_task_runs_and_a_skip_or_chosen_error_goes_on(two_tiny_tasks, tmp_path):  # noqa: F811
    config = resolve_model("bm25s-flat")[0]
    first, second = two_tiny_tasks
    outcome = next(iter(LocalExecutor().run(config, [first]))).outcome
    make_session = session_factory(make_engine())
    failed = TaskFailed(first.id, UserError("broke"))
    script = ScriptedExecutor([TaskDone(first.id, outcome), TaskSkipped(second.id, "not this one"), failed, TaskDone(first.id, outcome)])
    seen: list[str] = []
    report = Report(skipped=lambda task, reason: seen.append(f"skip {reason}"), failed=lambda task, err: seen.append(str(err)) is None)
    planned = Plan(config, [first, second, first, first], Owner.reference())
    recorded = run_and_record(planned, script, PerTaskRecorder(make_session, config, True), report)
    assert script.stored_at_start == [0, 1, 1, 1]  # the first run was committed before the second task started
    assert seen == ["skip not this one", "broke"] and [r.run_id for r in recorded] == [1, 2] and runs_stored() == 2


def test_an_error_stops_by_default_and_keeps_the_runs_already_stored(two_tiny_tasks):  # noqa: F811
    config = resolve_model("bm25s-flat")[0]
    first, second = two_tiny_tasks
    outcome = next(iter(LocalExecutor().run(config, [first]))).outcome
    make_session = session_factory(make_engine())
    script = ScriptedExecutor([TaskDone(first.id, outcome), TaskFailed(second.id, UserError("the model broke on tiny2"))])
    with pytest.raises(UserError, match="the model broke on tiny2"):
        run_and_record(Plan(config, [first, second], Owner.reference()), script, PerTaskRecorder(make_session, config, True), Report())
    assert runs_stored() == 1


def test_running_nothing_is_the_callers_error(two_tiny_tasks):  # noqa: F811
    config = resolve_model("bm25s-flat")[0]
    script = ScriptedExecutor([TaskSkipped(t.id, "no") for t in two_tiny_tasks])
    with pytest.raises(UserError, match="ran nothing"):
        run_and_record(
            Plan(config, list(two_tiny_tasks), Owner.reference()),
            script,
            PerTaskRecorder(session_factory(make_engine()), config, True),
            Report(),
            nothing_ran="ran nothing",
        )


def test_the_plan_refuses_a_name_before_anything_runs(two_tiny_tasks):  # noqa: F811
    """A submitter's model under a name another submitter holds: refused at plan time (the job used to run first)."""
    from leaderboard.store import upsert_model

    config = resolve_model("bm25s-flat")[0].model_copy(update={"name": "taken-model"})
    make_session = session_factory(make_engine())
    with make_session() as session, session.begin():
        upsert_model(session, config, is_reference=False, owner=Owner.submitter("alice")).submitter = "alice"
    with pytest.raises(UserError, match="name: a model called 'taken-model' is already on the board"):
        plan(config, [t.id for t in two_tiny_tasks], Owner.submitter("bob"), make_session)
    assert plan(config, [t.id for t in two_tiny_tasks], Owner.submitter("alice"), make_session).tasks == list(two_tiny_tasks)
