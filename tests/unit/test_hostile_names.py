"""Model names cannot be taken or stolen, and concurrent submissions stay within the database's rules.

As found: a submission took a reference name before the reference had run (``splade-tiny``,
``contriever``) and kept it when the operator ran the reference; ``BM25S-FLAT`` was accepted
beside ``bm25s-flat``; 8 concurrent submissions of one new name gave two 201s on PostgreSQL;
``leaderboard run my.yaml`` with a reference's name replaced the reference row; 40–60
concurrent submissions exhausted the connection pool (500s); a rate limit of 20 per hour let
22–23 of 40 concurrent posts through.  The concurrency tests use real threads against the app,
on SQLite and (``--db postgresql``) PostgreSQL.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from common.errors import UserError
from leaderboard import schema
from leaderboard.cli import main
from leaderboard.db import make_engine, session_factory
from tests.unit.test_api_submissions import hub_config, make_token
from web import create_app


def auth(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def counts() -> tuple[int, int]:
    with session_factory(make_engine())() as session:
        return (
            session.scalar(select(func.count()).select_from(schema.Submission)),
            session.scalar(select(func.count()).select_from(schema.Model)),
        )


def submit(client, secret: str, name: str):
    return client.post("/api/v1/submissions", json={"config_yaml": hub_config(name), "tasks": "beir/scifact"}, headers=auth(secret))


def concurrently(app, jobs: list[tuple[str, str]]) -> list[int]:
    """POST every (token, name) at once, one thread each, released together; the status codes."""
    start = threading.Barrier(len(jobs))

    def one(job: tuple[str, str]) -> int:
        client = app.test_client()
        start.wait()
        return submit(client, *job).status_code

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return list(pool.map(one, jobs))


@pytest.fixture
def app():
    return create_app()


@pytest.fixture
def client(app):
    return app.test_client()


# ------------------------------------------------------------------ reserved and case-insensitive names
@pytest.mark.parametrize("name", ["splade-tiny", "contriever", "SPLADE-TINY", "Bm25S-Flat"])
def test_reference_names_are_reserved_before_the_reference_has_run(client, name):
    response = submit(client, make_token("mallory"), name)
    assert response.status_code == 409, response.json
    assert "reference model" in response.json["error"]
    assert counts() == (0, 0)


def test_names_are_unique_whatever_their_letter_case(client):
    alice, bob = make_token("alice"), make_token("bob")
    assert submit(client, alice, "Cased-Model").status_code == 201
    clash = submit(client, bob, "cased-model")
    assert clash.status_code == 409 and "letter case" in clash.json["error"]
    assert submit(client, alice, "CASED-MODEL").status_code == 409  # its owner cannot make a second row either
    assert counts() == (1, 1)


def test_the_database_itself_refuses_case_variants():
    """The rule is a constraint, not a check before the insert."""
    now = datetime.now(UTC)
    fields = {"backend": "dense", "families": ["dense"], "config": {}, "config_sha256": "x", "updated_at": now}
    with session_factory(make_engine())() as session:
        with session.begin():
            session.add(schema.Model(name="twice", **fields))
        with pytest.raises(IntegrityError), session.begin():
            session.add(schema.Model(name="TWICE", **fields))
    pending = {"config_yaml": "", "config": {}, "tasks": [], "needs_review": False, "review_reason": "", "submitter": "a"}
    pending |= {"created_at": now, "updated_at": now, "history": [], "attempts": 0, "max_attempts": 3, "error": "", "log_tail": ""}
    with session_factory(make_engine())() as session:
        with session.begin():
            session.add(schema.Submission(model_name="queued-once", state="queued", run_ids=[], **pending))
            session.add(schema.Submission(model_name="queued-once", state="failed", run_ids=[], **pending))  # not pending: fine
        with pytest.raises(IntegrityError), session.begin():
            session.add(schema.Submission(model_name="QUEUED-ONCE", state="received", run_ids=[], **pending))


def test_a_submitted_row_never_becomes_the_reference():
    """Before names were reserved a submission could hold 'contriever'; running the reference then adopted its row."""
    from benchmarks.registry import all_tasks
    from leaderboard.store import record_run
    from submissions.registry import resolve_model
    from tests.unit.test_web_ci import mean_result, outcome

    now = datetime.now(UTC)
    with session_factory(make_engine())() as session, session.begin():
        fields = {"backend": "dense", "families": ["dense"], "config": {}, "config_sha256": "x", "updated_at": now}
        session.add(schema.Model(name="contriever", submitter="mallory", is_reference=False, **fields))
    config = resolve_model("contriever")[0]
    result = outcome("contriever", "beir/scifact", {"ndcg_at_10": mean_result({"q": 0.5})})
    with session_factory(make_engine())() as session, pytest.raises(UserError, match="before reference names were reserved"):
        record_run(session, config, all_tasks()["beir/scifact"], result, is_reference=True)
    with session_factory(make_engine())() as session:
        row = session.scalar(select(schema.Model).where(schema.Model.name == "contriever"))
        assert (row.is_reference, row.submitter) == (False, "mallory")
        assert session.scalar(select(func.count()).select_from(schema.Run)) == 0


def test_a_rejected_submission_frees_its_name(client):
    from leaderboard.submissions import review

    alice = make_token("alice")
    first = client.post(
        "/api/v1/submissions",
        json={"config_yaml": hub_config("freed", org="someone-new"), "tasks": "beir/scifact"},
        headers=auth(alice),
    )
    assert first.status_code == 201 and first.json["state"] == "received"  # waits for review: holds the name
    assert submit(client, make_token("bob"), "freed").status_code == 409
    with session_factory(make_engine())() as session, session.begin():
        review(session, first.json["id"], approve=False)
    assert submit(client, make_token("carol"), "freed").status_code == 201


# ------------------------------------------------------------------ concurrency
@pytest.mark.parametrize("tokens", ["eight tokens", "one token"])
def test_eight_concurrent_submissions_of_one_new_name_give_exactly_one_201(app, tokens):
    secrets = [make_token(f"user{i}") for i in range(8)] if tokens == "eight tokens" else [make_token("solo")] * 8
    statuses = concurrently(app, [(secret, "contested-name") for secret in secrets])
    assert sorted(statuses) == [201] + [409] * 7, statuses
    assert counts() == (1, 1)


def test_sixty_concurrent_submissions_never_exhaust_the_connection_pool(app, monkeypatch):
    """Each POST held two pooled connections; 60 at once waited on each other until QueuePool gave up (500s)."""
    monkeypatch.setenv("LEADERBOARD_RATE_LIMIT_PER_HOUR", "1000")
    secret = make_token("busy")
    statuses = concurrently(app, [(secret, f"pooled-{i}") for i in range(60)])
    assert statuses == [201] * 60, sorted(statuses)
    assert counts() == (60, 60)


def test_the_rate_limit_holds_under_concurrent_posts(app, monkeypatch):
    """20 per hour let 22–23 of 40 concurrent posts through: the count and the insert were not one transaction."""
    monkeypatch.setenv("LEADERBOARD_RATE_LIMIT_PER_HOUR", "20")
    secret = make_token("eager")
    statuses = concurrently(app, [(secret, f"limited-{i}") for i in range(40)])
    assert sorted(statuses) == [201] * 20 + [429] * 20, sorted(statuses)
    assert counts()[0] == 20


# ------------------------------------------------------------------ leaderboard run under a taken name
def write_config(path, name: str, *, k1: float = 0.9, description: str = "", weights: str = "") -> str:
    if weights:
        body = f"name: {name}\nfamily: [dense]\nbackend: dense\nweights: {{path: {weights}}}\n"
    else:
        body = f"name: {name}\nfamily: [sparse]\nbackend: bm25\nbm25: {{engine: bm25s, k1: {k1}, b: 0.4, fields: flat}}\n"
    path.write_text(body + (f"description: {description}\n" if description else ""))
    return str(path)


def run(*args: str):
    return CliRunner().invoke(main, ["run", *args])


def runs() -> int:
    with session_factory(make_engine())() as session:
        return session.scalar(select(func.count()).select_from(schema.Run))


def test_a_local_run_under_a_reference_name_is_refused_before_anything_runs(tiny_task, tmp_path):
    assert run("bm25s-flat", "--tasks", "beir/tiny").exit_code == 0  # the registry updates its own row
    assert run("bm25s-flat", "--tasks", "beir/tiny").exit_code == 0
    # weights that do not exist: had anything been loaded first, the error would be about them
    config = write_config(tmp_path / "my.yaml", "bm25s-flat", weights=str(tmp_path / "missing"))
    result = run(config, "--tasks", "beir/tiny")
    assert result.exit_code == 1
    assert result.output.startswith("error: name: 'bm25s-flat' is the name of the reference model")
    assert f"edit `name:` in {config}" in result.output and result.output.count("\n") == 1
    with session_factory(make_engine())() as session:
        row = session.scalar(select(schema.Model).where(schema.Model.name == "bm25s-flat"))
        assert row.is_reference and row.backend == "bm25" and runs() == 2


def test_a_local_run_under_a_submitted_name_is_refused(tiny_task, tmp_path, client):
    assert submit(client, make_token("alice"), "alices-model").status_code == 201
    result = run(write_config(tmp_path / "mine.yaml", "alices-model"), "--tasks", "beir/tiny")
    assert result.exit_code == 1 and "submitted by 'alice'" in result.output and "edit `name:`" in result.output
    assert runs() == 0


def test_a_local_name_belongs_to_its_config(tiny_task, tmp_path):
    assert run(write_config(tmp_path / "a.yaml", "my-bm25"), "--tasks", "beir/tiny").exit_code == 0
    assert run(write_config(tmp_path / "a.yaml", "my-bm25", description="now described"), "--tasks", "beir/tiny").exit_code == 0
    other = run(write_config(tmp_path / "b.yaml", "MY-BM25", k1=1.2), "--tasks", "beir/tiny")
    assert other.exit_code == 1 and "letter case" in other.output
    changed = run(write_config(tmp_path / "b.yaml", "my-bm25", k1=1.2), "--tasks", "beir/tiny")
    assert changed.exit_code == 1 and "different local config" in changed.output and "edit `name:` in" in changed.output
    assert runs() == 2
