"""What a submitter is told: every problem in one answer, tasks the backend cannot run, what happens next, each job's outcome."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from leaderboard import schema
from leaderboard.cli import main
from leaderboard.db import make_engine, session_factory
from leaderboard.tokens import create_token
from submissions.policy import check_submission
from submissions.schema import ConfigError
from web import create_app

REVISION = "c" * 40
# one config, many problems: two schema errors (a bad value, an unknown key) and three policy ones
# (an unpinned revision, too many parameters, a benchmark the backend cannot run), plus an unknown task
MANY_PROBLEMS = (
    "name: many\nfamily: [dense]\nbackend: dense\nweights: {hf: sentence-transformers/m, revision: main}\n"
    "pooling: max\ncolour: blue\nmetadata: {parameters: 9000000000}\n"
)
MANY_TASKS = "beir/tiny,aro/vg-relation,beir/nope"
EXPECTED_FIELDS = {"pooling", "colour", "weights.revision", "metadata.parameters", "tasks"}
LEXICAL = "name: lexical-tiny\nfamily: [sparse]\nbackend: bm25\nbm25: {engine: bm25s}\n"


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def count(table=schema.Submission) -> int:
    with session_factory(make_engine())() as session:
        return session.scalar(select(func.count()).select_from(table))


def token_for(name: str) -> str:
    with session_factory(make_engine())() as session, session.begin():
        return create_token(session, name)


# ------------------------------------------------------------------ every problem in one answer
def test_schema_and_policy_problems_come_in_one_answer(tiny_task):
    """Parse errors (pydantic) and policy errors (tasks, weights source, limits) used to come in two rounds."""
    with pytest.raises(ConfigError) as err:
        check_submission(MANY_PROBLEMS, MANY_TASKS)
    problems = err.value.problems
    assert {field for field, _ in problems} == EXPECTED_FIELDS
    tasks = [message for field, message in problems if field == "tasks"]
    assert any("beir/nope" in m for m in tasks) and any("cannot run ARO (aro/vg-relation)" in m for m in tasks)
    assert "\n" not in str(err.value) and "colour" in str(err.value) and "weights.revision" in str(err.value)


def test_policy_rules_still_check_the_valid_parts_of_an_invalid_config(tiny_task, monkeypatch):
    """The weights source is valid on its own, so its policy problem is reported beside the schema's."""
    monkeypatch.delenv("LEADERBOARD_WEIGHT_ROOTS", raising=False)
    text = "name: local\nfamily: [dense]\nbackend: dense\nweights: {path: /srv/models/x}\nbatch_size: many\ntrust_remote_code: yes\n"
    with pytest.raises(ConfigError) as err:
        check_submission(text, "beir/tiny")
    assert dict(err.value.problems).keys() == {"batch_size", "trust_remote_code", "weights.path"}


def test_a_yaml_that_does_not_parse_is_reported_alone(tiny_task):
    """Without a mapping there are no fields to check: the YAML error is the whole answer."""
    with pytest.raises(ConfigError) as err:
        check_submission("name: [unclosed\npooling: max\n", "beir/nope")
    assert len(err.value.problems) == 1 and "not valid YAML" in str(err.value)


def test_cli_submit_lists_every_problem_and_writes_nothing(tiny_task, tmp_path):
    path = tmp_path / "many.yaml"
    path.write_text(MANY_PROBLEMS)
    result = invoke("submit", str(path), "--tasks", MANY_TASKS)
    assert result.exit_code == 1 and result.output.count("error:") == 1
    for fragment in ("pooling:", "colour:", "weights.revision:", "metadata.parameters:", "beir/nope", "cannot run ARO"):
        assert fragment in result.output, fragment
    assert count() == 0 and count(schema.Model) == 0


def test_api_and_form_list_every_problem(tiny_task):
    client = create_app().test_client()
    token = token_for("alice")
    reply = client.post(
        "/api/v1/submissions", json={"config_yaml": MANY_PROBLEMS, "tasks": MANY_TASKS}, headers={"Authorization": f"Bearer {token}"}
    )
    assert reply.status_code == 400 and {p["field"] for p in reply.json["problems"]} == EXPECTED_FIELDS

    form = client.get("/submit").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    page = client.post(
        "/submit",
        data={"csrf_token": csrf, "token": token, "config_yaml": MANY_PROBLEMS, "tasks": MANY_TASKS},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    for fragment in ("pooling", "colour", "weights.revision", "metadata.parameters", "beir/nope", "cannot run ARO"):
        assert fragment in page, fragment
    assert count() == 0


# ------------------------------------------------------------------ tasks the backend cannot run
@pytest.mark.parametrize(
    ("config", "tasks", "fragment"),
    [
        (
            LEXICAL,
            "beir/tiny,sts",
            "backend bm25 cannot run STS (sts/sts12, sts/sts13, sts/sts14 and 4 more): STS needs a sentence encoder",
        ),
        (
            f"name: text-only\nfamily: [dense]\nbackend: dense\nweights: {{hf: sentence-transformers/m, revision: {REVISION}}}\n",
            "aro/vg-relation",
            "backend dense cannot run ARO (aro/vg-relation): ARO needs an image-text scorer",
        ),
        (
            f"name: pictures\nfamily: [contrastive]\nbackend: clip\nweights: {{hf: openai/m, revision: {REVISION}}}\n",
            "beir/tiny",
            "backend clip cannot run BEIR (beir/tiny): BEIR needs a retriever and clip is an image-text scorer",
        ),
    ],
    ids=["bm25 on STS", "text model on ARO", "clip on BEIR"],
)
def test_a_task_the_backend_cannot_run_is_refused_at_submit_time(tiny_task, tmp_path, config, tasks, fragment):
    """These were queued, and the worker skipped the task (or failed the job when nothing was left)."""
    path = tmp_path / "model.yaml"
    path.write_text(config)
    result = invoke("submit", str(path), "--tasks", tasks)
    assert result.exit_code == 1 and fragment in result.output, result.output
    assert count() == 0 and count(schema.Model) == 0


def test_the_backend_table_is_the_one_the_runners_use():
    """One fact: what each backend can do.  It lives beside the backend names; the runners must agree with it."""
    from typing import get_args

    from benchmarks.contract import Capability
    from runners.session import BACKEND_CAPABILITIES as RUNNERS_TABLE
    from submissions.schema import BACKEND_CAPABILITIES, Backend

    assert set(BACKEND_CAPABILITIES) == set(get_args(Backend))
    assert set().union(*BACKEND_CAPABILITIES.values()) <= set(get_args(Capability))
    assert RUNNERS_TABLE is BACKEND_CAPABILITIES  # the same object: no second copy to drift


# ------------------------------------------------------------------ what happens next
def test_cli_submit_says_what_happens_next(tiny_task, tmp_path, monkeypatch):
    path = tmp_path / "lexical.yaml"
    path.write_text(LEXICAL)
    queued = invoke("submit", str(path), "--tasks", "beir/tiny").output.splitlines()
    assert queued[0] == "submission #1 queued"
    assert queued[1].startswith("next: A worker will run it") and "published on the board at once" in queued[1]
    assert queued[2].startswith("status: leaderboard submissions show 1") and "leaderboard worker" in queued[2]

    monkeypatch.setenv("LEADERBOARD_AUTO_RUN_ORGS", "trusted-org")
    monkeypatch.setenv("LEADERBOARD_AUTO_PUBLISH", "0")
    path.write_text(f"name: reviewed\nfamily: [dense]\nbackend: dense\nweights: {{hf: someone/model, revision: {REVISION}}}\n")
    received = invoke("submit", str(path), "--tasks", "beir/tiny").output.splitlines()
    assert received[0] == "submission #2 received (waiting for review)"
    assert received[1].startswith("next: An admin reviews it before anything runs (Hub organisation 'someone'")
    assert received[2] == "status: leaderboard submissions show 2"
    shown = invoke("submissions", "show", "1").output
    assert "next: A worker will run it" in shown and "an admin publishes them" in shown  # LEADERBOARD_AUTO_PUBLISH=0 now


STATE_TEXT = {
    "received": "An admin reviews it before anything runs",
    "queued": "A worker will run it",
    "running": "A worker is running it now (attempt 1 of 3)",
    "done": "Its scores are stored; an admin publishes them",
    "published": "Nothing more: the model and its scores are on the board",
    "failed": "Fix what the error names",
    "rejected": "an admin rejected it",
}


def test_the_status_page_says_what_happens_next_in_each_state(tiny_task):
    client = create_app().test_client()
    now = datetime.now(UTC)
    with session_factory(make_engine())() as session, session.begin():
        session.add(
            schema.Submission(
                model_name="lexical-tiny", config_yaml=LEXICAL, config={}, tasks=["beir/tiny"], state="queued",
                needs_review=False, review_reason="", submitter="alice", created_at=now, updated_at=now,
                history=[], attempts=1, max_attempts=3, error="", log_tail="", run_ids=[],
            )
        )  # fmt: skip
    for state, fragment in STATE_TEXT.items():
        with session_factory(make_engine())() as session, session.begin():
            session.get(schema.Submission, 1).state = state
        page = client.get("/submissions/1").get_data(as_text=True)
        box = re.search(r'<div class="next-step" id="next-step" data-state="(\w+)">(.*?)</div>', page, re.S)
        assert box and box.group(1) == state and "What happens next" in box.group(2), state
        assert fragment in box.group(2), (state, box.group(2))


# ------------------------------------------------------------------ the worker's one line per job
def queue_crashing_job(max_attempts: int) -> None:
    """A queued submission whose stored task list the job cannot read: the child process crashes."""
    now = datetime.now(UTC)
    config = {"name": "crashes", "family": ["sparse"], "backend": "bm25", "bm25": {"engine": "bm25s"}}
    with session_factory(make_engine())() as session, session.begin():
        session.add(
            schema.Submission(
                model_name="crashes", config_yaml="", config=config, tasks=[{"not": "a task id"}], state="queued",
                needs_review=False, review_reason="", submitter="mallory", created_at=now, updated_at=now,
                history=[], attempts=0, max_attempts=max_attempts, error="", log_tail="", run_ids=[],
            )
        )  # fmt: skip


def outcome_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "leaderboard.worker" and r.getMessage().startswith("#")]


def test_the_worker_prints_each_jobs_outcome(tiny_task, tmp_path, caplog):
    from leaderboard.worker import Worker

    path = tmp_path / "lexical.yaml"
    path.write_text(LEXICAL)
    assert invoke("submit", str(path), "--tasks", "beir/tiny").exit_code == 0
    queue_crashing_job(max_attempts=2)
    worker = Worker("w", poll_s=0.1, heartbeat_s=0.2)
    with caplog.at_level(logging.INFO, logger="leaderboard.worker"):
        assert worker.run_one() and worker.run_one() and worker.run_one()
    done, requeued, failed = outcome_lines(caplog)
    assert done == "#1 lexical-tiny: done, 1 run stored, published"
    assert requeued.startswith("#2 crashes: re-queued after attempt 1 of 2: the run crashed (exit 1): the job raised TypeError")
    assert failed.startswith("#2 crashes: failed: the run crashed (exit 1): the job raised TypeError")
    assert "Traceback" not in failed and "<path>" not in failed
