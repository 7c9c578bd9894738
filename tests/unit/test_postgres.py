"""The same storage path on PostgreSQL (CI starts a throwaway cluster and sets LEADERBOARD_TEST_PG_URL)."""

import json

import pytest
from click.testing import CliRunner

from leaderboard.cli import main


@pytest.fixture
def postgres(postgres_url, monkeypatch):
    monkeypatch.setenv("LEADERBOARD_DB", postgres_url)
    return postgres_url


def test_runs_history_and_export_on_postgres(postgres, tiny_task):
    runner = CliRunner()
    for _ in range(2):
        result = runner.invoke(main, ["run", "bm25s-flat", "--tasks", tiny_task.id], catch_exceptions=False)
        assert result.exit_code == 0, result.output
    records = json.loads(runner.invoke(main, ["export", "--format", "json"]).output)
    assert len({r["run_id"] for r in records}) == 2
    assert {r["run_id"] for r in records if r["current"]} == {max(r["run_id"] for r in records)}
    assert "bm25s-flat" in runner.invoke(main, ["results"]).output
