"""Faults of the machine: a read-only database, a full disk at commit, an unwritable export folder.

Each ended in a traceback (CLI) or a 500 (site).  Promised instead: one ``error:`` line that
names the cause, nothing half-written, and a 503 from the site while the database cannot
take writes (reads keep working).
"""

from __future__ import annotations

import os
from contextlib import contextmanager

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, event, func, select

from leaderboard import schema
from leaderboard.cli import main
from leaderboard.db import make_engine, session_factory
from tests.unit.test_api_submissions import hub_config, make_token
from tests.unit.test_mteb_io import store_fake_scifact_run
from tests.unit.test_web_submissions import csrf_of
from web import create_app


def is_postgresql() -> bool:
    return os.environ["LEADERBOARD_DB"].startswith("postgresql")


def read_only_url() -> str:
    """The test's database, opened read-only: SQLite's ``mode=ro``; a PostgreSQL session in read-only
    transactions (what a hot standby answers: SQLSTATE 25006)."""
    url = os.environ["LEADERBOARD_DB"]
    if is_postgresql():
        return url + "?options=-c%20default_transaction_read_only%3Don"
    return "sqlite:///file:" + url.removeprefix("sqlite:///") + "?mode=ro&uri=true"


def rows(table) -> int:
    with session_factory(make_engine())() as session:
        return session.scalar(select(func.count()).select_from(table))


def one_error_line(result, *words: str) -> None:
    """Exit status 1 and one ``error:`` line, the last (a run's progress bars may come before it), no traceback."""
    assert result.exit_code == 1, result.output
    last = result.output.rstrip("\n").split("\n")[-1].split("\r")[-1]
    assert last.startswith("error: ") and result.output.count("error") == 1, result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)  # sys.exit(1), not a crash
    for word in words:
        assert word in last, result.output


def test_a_read_only_database_gives_one_error_line_from_the_cli(tiny_task, monkeypatch):
    make_token("alice")  # the schema and one row exist; from now on the database is read-only
    writable = os.environ["LEADERBOARD_DB"]
    monkeypatch.setenv("LEADERBOARD_DB", read_only_url())
    one_error_line(CliRunner().invoke(main, ["tokens", "create", "bob"]), "read-only", "nothing was written")
    one_error_line(CliRunner().invoke(main, ["run", "bm25s-flat", "--tasks", "beir/tiny"]), "read-only")
    assert CliRunner().invoke(main, ["results"]).exit_code == 0  # reading still works
    monkeypatch.setenv("LEADERBOARD_DB", writable)
    assert rows(schema.ApiToken) == 1 and rows(schema.Run) == 0


def test_a_read_only_database_makes_the_site_answer_503_for_writes(monkeypatch):
    secret = make_token("alice")
    writable = os.environ["LEADERBOARD_DB"]
    monkeypatch.setenv("LEADERBOARD_DB", read_only_url())
    client = create_app().test_client()
    assert client.get("/").status_code == 200 and client.get("/api/v1/benchmarks").status_code == 200
    body = {"config_yaml": hub_config("ro"), "tasks": "beir/scifact"}
    api = client.post("/api/v1/submissions", json=body, headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 503 and api.json["status"] == 503 and api.headers["Retry-After"]
    form = client.post(
        "/submit",
        data={"csrf_token": csrf_of(client), "token": secret, "config_yaml": hub_config("ro"), "tasks": "beir/scifact"},
        content_type="multipart/form-data",
    )
    assert form.status_code == 503 and "read-only" in form.get_data(as_text=True)
    monkeypatch.setenv("LEADERBOARD_DB", writable)
    assert rows(schema.Submission) == 0


@contextmanager
def full_disk():
    """Every new SQLite connection may not grow its file: the next page it needs fails with SQLITE_FULL,
    exactly as a full disk does ("database or disk is full")."""

    def cap(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        pages = cursor.execute("PRAGMA page_count").fetchone()[0]
        cursor.execute(f"PRAGMA max_page_count = {pages}")
        cursor.close()

    event.listen(Engine, "connect", cap)
    try:
        yield
    finally:
        event.remove(Engine, "connect", cap)


@pytest.fixture
def task_with_300_queries(tmp_path, monkeypatch):
    """A BEIR-format task big enough that storing its run needs new database pages (per-query values of 300 queries)."""
    from benchmarks.beir.benchmark import beir_task, extra_datasets
    from benchmarks.registry import all_tasks
    from tests.conftest import write_beir

    docs = {f"d{i}": (f"title {i}", f"document number {i} about topic {i % 7}") for i in range(60)}
    queries = {f"q{i}": f"topic {i % 7} number {i}" for i in range(300)}
    write_beir(tmp_path / "data" / "beir" / "three-hundred", docs, queries, [(f"q{i}", f"d{i % 60}", 1) for i in range(300)])
    extra = tmp_path / "extra-tasks.yaml"
    extra.write_text("- {name: three-hundred, docs: 60, queries: 300, license: CC0}\n")
    monkeypatch.setenv("LEADERBOARD_BEIR_EXTRA", str(extra))
    task = beir_task(extra_datasets()[0])
    monkeypatch.setitem(all_tasks(), task.id, task)
    return task


def test_a_full_disk_at_commit_is_one_error_line_and_writes_nothing(task_with_300_queries):
    if is_postgresql():
        pytest.skip("a full disk is simulated with SQLite's max_page_count; PostgreSQL's 53100 maps the same way (leaderboard.db)")
    make_engine().dispose()  # the schema exists before the disk fills
    with full_disk():
        result = CliRunner().invoke(main, ["run", "bm25s-flat", "--tasks", task_with_300_queries.id])
    one_error_line(result, "disk is full", "nothing was written")
    assert rows(schema.Run) == 0 and rows(schema.Score) == 0 and rows(schema.Model) == 0


def test_export_to_an_unwritable_folder_is_one_error_line(tmp_path):
    store_fake_scifact_run()
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    one_error_line(CliRunner().invoke(main, ["export", "--format", "mteb", str(blocker / "out")]), str(blocker / "out"), "writable")
