"""The same storage path on PostgreSQL (CI starts a throwaway cluster and sets LEADERBOARD_TEST_PG_URL)."""

import json
import os

import pytest
from click.testing import CliRunner

from leaderboard.cli import main
from leaderboard.db import make_engine
from leaderboard.schema import Base

PG_URL = os.environ.get("LEADERBOARD_TEST_PG_URL")


@pytest.fixture
def postgres(monkeypatch):
    if not PG_URL:
        if os.environ.get("CI"):
            pytest.fail("CI must run the PostgreSQL tests: LEADERBOARD_TEST_PG_URL is not set")
        pytest.skip("no PostgreSQL (set LEADERBOARD_TEST_PG_URL)")
    engine = make_engine(PG_URL)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    monkeypatch.setenv("LEADERBOARD_DB", PG_URL)
    yield engine
    Base.metadata.drop_all(engine)
    engine.dispose()


def test_runs_history_and_export_on_postgres(postgres, tiny_task):
    runner = CliRunner()
    for _ in range(2):
        result = runner.invoke(main, ["run", "bm25s-flat", "--tasks", tiny_task.id], catch_exceptions=False)
        assert result.exit_code == 0, result.output
    records = json.loads(runner.invoke(main, ["export", "--format", "json"]).output)
    assert len({r["run_id"] for r in records}) == 2
    assert {r["run_id"] for r in records if r["current"]} == {max(r["run_id"] for r in records)}
    assert "bm25s-flat" in runner.invoke(main, ["results"]).output
