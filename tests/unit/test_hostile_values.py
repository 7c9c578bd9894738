"""Hostile values against the site, the API and the CLI (issue 12, web/DB side).

Each test reproduces an attack as it was found: non-finite numbers already in the database,
the API emitting ``Infinity``, a crashed job publishing its traceback, huge ids, JSON nested
100,000 deep, NUL bytes in query parameters, ``limit=0``, formula cells in CSV downloads and
database URLs with their password in error messages.  Every test runs on SQLite and, with
``--db postgresql``, on PostgreSQL.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, text
from sqlalchemy.exc import StatementError

from leaderboard import schema
from leaderboard.cli import main
from leaderboard.db import make_engine, session_factory
from tests.unit.test_api_submissions import make_token
from tests.unit.test_web import add_result
from web import create_app

INF_SQL = {"sqlite": "9e999", "postgresql": "CAST('Infinity' AS DOUBLE PRECISION)"}


def dialect() -> str:
    return "postgresql" if os.environ["LEADERBOARD_DB"].startswith("postgresql") else "sqlite"


def raw(sql: str, **params) -> None:
    """Write as an older version (or a hand edit) could have: bypassing every check of the code."""
    with make_engine().begin() as connection:
        connection.execute(text(sql), params)


def strict_json(response) -> object:
    """The body parsed as RFC 8259 JSON: NaN and Infinity are refused, as JSON.parse does."""

    def refuse(constant: str):
        raise ValueError(f"non-standard JSON constant {constant} in {response.request.path}")

    return json.loads(response.get_data(as_text=True), parse_constant=refuse)


@pytest.fixture
def client():
    return create_app().test_client()


@pytest.fixture
def bad_board():
    """A model whose SciFact score and reported number are +Infinity (written raw, as an old version could)."""
    run_id = add_result("inf-model", "beir/scifact", 0.5)
    add_result("inf-model", "beir/nfcorpus", 0.3)
    add_result("fine-model", "beir/scifact", 0.6)
    raw(f"UPDATE scores SET value = {INF_SQL[dialect()]} WHERE run_id = :run", run=run_id)
    with session_factory(make_engine())() as session, session.begin():
        model = session.scalar(select(schema.Model).where(schema.Model.name == "inf-model"))
        session.add(schema.ReportedScore(model_id=model.id, task_id="beir/scifact", metric="ndcg_at_10", value=0.5, source="paper"))
    raw(f"UPDATE reported_scores SET value = {INF_SQL[dialect()]}")
    return run_id


# ------------------------------------------------------------------ non-finite numbers already stored
PAGES = ["/", "/benchmarks/beir", "/models/inf-model", "/tasks/beir/scifact", "/models/", "/compare?model=inf-model&model=fine-model"]
API = ["/api/v1/benchmarks/beir", "/api/v1/models/inf-model", "/api/v1/tasks/beir/scifact", "/api/v1/scores", "/api/v1/models"]
DOWNLOADS = ["/benchmarks/beir?format=json", "/models/inf-model?format=json", "/tasks/beir/scifact?format=json", "/?format=json"]


def test_a_stored_infinite_score_is_shown_as_missing_not_a_500(bad_board, client):
    for url in [*PAGES, f"/runs/{bad_board}", "/plots/params.png", "/plots/bars.png?model=inf-model"]:
        assert client.get(url).status_code == 200, url
    board = strict_json(client.get("/api/v1/benchmarks/beir"))
    row = next(r for r in board["rows"] if r["model"] == "inf-model")
    assert row["scores"]["beir/scifact"] is None  # missing, never Infinity and never 0
    scores = strict_json(client.get("/api/v1/scores?model=inf-model&task=beir/scifact"))["scores"]
    assert [s["value"] for s in scores] == [None]
    run = strict_json(client.get(f"/api/v1/runs/{bad_board}"))
    assert run["scores"] == []  # the run's only score is unusable: the run shows no score


def test_every_json_response_is_strict_even_with_bad_stored_values(bad_board, client):
    for url in API + DOWNLOADS + [f"/api/v1/runs/{bad_board}", f"/runs/{bad_board}?format=json"]:
        response = client.get(url)
        assert response.status_code == 200, url
        strict_json(response)


def test_a_reported_infinity_leaves_the_model_page_and_its_api_working(bad_board, client):
    assert client.get("/models/inf-model").status_code == 200
    body = strict_json(client.get("/api/v1/models/inf-model"))
    assert body["reported"] == []  # the unusable number is left out, like a missing one


def test_a_manifest_with_infinity_does_not_break_the_board_on_sqlite(client):
    """SQLite's json_extract rejected the whole throughput query over one manifest written with Infinity."""
    if dialect() == "postgresql":
        pytest.skip("PostgreSQL's json type cannot hold Infinity (test_the_database_refuses_non_finite_values_on_write)")
    run_id = add_result("fast-model", "beir/scifact", 0.5)
    raw('UPDATE runs SET manifest = \'{"model": {"corpus_docs_per_s": Infinity}, "hardware": {"device": "cpu"}}\'')
    for url in ["/benchmarks/beir", "/plots/throughput.png", f"/runs/{run_id}"]:
        assert client.get(url).status_code == 200, url
    manifest = strict_json(client.get(f"/api/v1/runs/{run_id}"))["manifest"]
    assert manifest["model"]["corpus_docs_per_s"] is None


def test_the_database_refuses_non_finite_values_on_write():
    """What PostgreSQL's json type refuses, SQLite now refuses too; a score column never takes NaN or Infinity."""
    add_result("ok-model", "beir/scifact", 0.5)
    now = datetime.now(UTC)
    with session_factory(make_engine())() as session:
        run = session.scalars(select(schema.Run)).one()
    with session_factory(make_engine())() as session:
        for bad in (float("inf"), float("-inf"), float("nan")):
            with pytest.raises((StatementError, ValueError), match="finite"), session.begin():
                session.add(schema.Score(run_id=run.id, metric=f"m{bad}", value=bad, per_query={}))
        # psycopg calls the JSON serializer itself, so its ValueError arrives unwrapped
        with pytest.raises((StatementError, ValueError)), session.begin():
            session.add(
                schema.Run(
                    model_id=run.model_id, task_id=run.task_id, started_at=now, finished_at=now, config_sha256="x",
                    metric_spec={}, manifest={"model": {"corpus_docs_per_s": float("inf")}},
                )
            )  # fmt: skip
    with session_factory(make_engine())() as session:
        assert session.scalar(select(func.count()).select_from(schema.Run)) == 1


def test_export_and_downloads_have_no_nan_or_infinity(bad_board, client):
    exported = CliRunner().invoke(main, ["export", "--format", "json"])
    assert exported.exit_code == 0
    records = json.loads(exported.output, parse_constant=lambda c: pytest.fail(f"export wrote {c}"))
    assert sorted((r["model"], r["task"], r["value"]) for r in records) == [
        ("fine-model", "beir/scifact", 0.6), ("inf-model", "beir/nfcorpus", 0.3), ("inf-model", "beir/scifact", None),
    ]  # fmt: skip
    as_csv = CliRunner().invoke(main, ["export", "--format", "csv"]).output
    rows = sorted((r["model"], r["task"], r["value"]) for r in csv.DictReader(io.StringIO(as_csv)))
    assert rows == [("fine-model", "beir/scifact", "0.6"), ("inf-model", "beir/nfcorpus", "0.3"), ("inf-model", "beir/scifact", "")]
    download = client.get("/benchmarks/beir?format=csv").get_data(as_text=True)
    assert "inf" not in download.lower().replace("inf-model", "")


@pytest.mark.parametrize(
    "config",
    [
        "name: inf-bm25\nfamily: [sparse]\nbackend: bm25\nbm25: {engine: bm25s, k1: .inf, b: 0.4, fields: flat}\n",
        "name: nan-reported\nfamily: [sparse]\nbackend: bm25\nbm25: {engine: bm25s, k1: 0.9, b: 0.4, fields: flat}\n"
        "reported: [{task: beir/scifact, metric: ndcg_at_10, value: .nan, source: paper}]\n",
    ],
    ids=["k1 infinite", "reported NaN"],
)
def test_a_submission_with_a_non_finite_number_is_refused_with_400(client, config):
    """It auto-ran and stored Infinity on SQLite, and was a 500 on PostgreSQL."""
    response = client.post("/api/v1/submissions", json={"config_yaml": config, "tasks": "beir/scifact"}, headers=auth(make_token("t")))
    assert response.status_code == 400, response.get_data(as_text=True)
    messages = " ".join(p["message"].lower() for p in response.json["problems"])
    assert "finite" in messages or "inf" in messages or "nan" in messages, messages
    with session_factory(make_engine())() as session:
        assert session.scalar(select(func.count()).select_from(schema.Submission)) == 0


def auth(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


# ------------------------------------------------------------------ a crashed job's public log
def test_a_crashed_job_publishes_no_traceback_sql_or_server_path(client, caplog):
    """A job that raised published an SQLAlchemy traceback (with paths, SQL and parameters) in log_tail."""
    from leaderboard.worker import Worker

    now = datetime.now(UTC)
    with session_factory(make_engine())() as session, session.begin():
        # a stored task list the job cannot read (not a task id): the child process raises, with a full traceback
        config = {"name": "crashes", "family": ["sparse"], "backend": "bm25", "bm25": {"engine": "bm25s"}}
        session.add(
            schema.Submission(
                model_name="crashes", config_yaml="", config=config, tasks=[{"not": "a task id"}],
                state="queued", needs_review=False, review_reason="", submitter="mallory", created_at=now, updated_at=now,
                history=[], attempts=0, max_attempts=1, error="", log_tail="", run_ids=[],
            )
        )  # fmt: skip
    with caplog.at_level(logging.WARNING, logger="leaderboard.worker"):
        assert Worker("w", poll_s=0.1, heartbeat_s=0.2).run_one() is True
    assert "Traceback (most recent call last)" in caplog.text  # the operator's log keeps everything
    record = strict_json(client.get("/api/v1/submissions/1"))
    page = client.get("/submissions/1").get_data(as_text=True)
    assert record["state"] == "failed"
    public = json.dumps(record) + page
    for leak in ("Traceback", 'File "/', os.path.dirname(schema.__file__), "site-packages", "[SQL:"):
        assert leak not in public, leak
    assert "TypeError" in record["error"] and "server's log" in record["log_tail"]


def test_a_database_error_traceback_becomes_one_public_line(tmp_path):
    """The NOT NULL failure as it was published: an IntegrityError traceback with SQL and parameters."""
    from leaderboard.public_log import public_log

    engine = make_engine()
    try:
        with engine.begin() as connection:
            columns = "(model_id, task_id, metric, value, source, origin)"
            connection.execute(text(f"INSERT INTO reported_scores {columns} VALUES (1, 't', 'm', NULL, 's', 'c')"))
    except Exception:
        import traceback

        output = "12:00:00 INFO submission #1: m on beir/scifact\n" + traceback.format_exc()
    shown = public_log(output).splitlines()
    assert shown[0] == "12:00:00 INFO submission #1: m on beir/scifact"
    assert shown[-1] == "the job raised IntegrityError; its traceback is in the server's log"
    assert all(line.startswith("the job raised ") for line in shown[1:])  # the driver's own error comes first on PostgreSQL
    shown = "\n".join(shown)
    assert public_log(shown) == shown  # applying it again changes nothing (rows are filtered again when read)


# ------------------------------------------------------------------ ids, nesting, NUL bytes, paging
HUGE = [2**31, 2**63, 99999999999999999999, 10**40]


@pytest.mark.parametrize("number", HUGE)
def test_huge_ids_are_not_found_rather_than_a_500(client, number):
    for url in (f"/runs/{number}", f"/api/v1/runs/{number}", f"/submissions/{number}", f"/api/v1/submissions/{number}"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/api/v1/submissions/{number}/approve", headers=auth(make_token(f"admin{number}", admin=True))).status_code == 404


def test_submissions_show_with_a_huge_id_is_one_error_line():
    result = CliRunner().invoke(main, ["submissions", "show", "99999999999999999999"])
    assert result.exit_code == 1
    assert result.output == "error: no submission #99999999999999999999\n"


def test_json_nested_100000_deep_is_a_400(client):
    body = "[" * 100_000 + "]" * 100_000
    response = client.post("/api/v1/submissions", data=body, content_type="application/json", headers=auth(make_token("deep")))
    assert response.status_code == 400 and response.json["problems"][0]["field"] == "body"


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/scores?model=a%00b",
        "/api/v1/runs?task=beir%00",
        "/api/v1/submissions?state=queued%00",
        "/api/v1/benchmarks/beir?license=%00",
        "/benchmarks/beir?family=%00",
        "/submissions?state=%00",
        "/api/v1/scores?%00=1",
    ],
)
def test_nul_bytes_in_query_parameters_are_a_400(client, url):
    """PostgreSQL's text type cannot hold NUL: these were 500s there."""
    response = client.get(url)
    assert response.status_code == 400, response.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/api/v1/scores", "/api/v1/runs", "/api/v1/submissions", "/api/v1/benchmarks/beir"])
def test_limit_zero_is_refused_instead_of_a_next_link_that_loops(client, url):
    add_result("m", "beir/scifact", 0.5)
    response = client.get(url + "?limit=0")
    assert response.status_code == 400 and "limit" in response.json["detail"]
    page = strict_json(client.get(url + "?limit=1"))
    assert page["next"] is None or "offset=1" in page["next"]


# ------------------------------------------------------------------ CSV formula injection
def test_csv_downloads_neutralise_formulas_but_keep_negative_numbers(client):
    from leaderboard.serialize import csv_cell

    add_result("formula-model", "beir/scifact", 0.5, license='=HYPERLINK("http://evil.example","x")', families=["@SUM(1+1)"])
    rows = list(csv.DictReader(io.StringIO(client.get("/benchmarks/beir?format=csv").get_data(as_text=True))))
    assert rows[0]["license"] == '\'=HYPERLINK("http://evil.example","x")'
    assert rows[0]["families"] == "'@SUM(1+1)"
    assert float(rows[0]["beir/scifact"]) == 0.5
    assert csv_cell(-0.01) == "-0.01" and csv_cell(-3) == -3  # numbers are numbers, whatever their sign
    assert [csv_cell(t) for t in ("-1+2", "+x", "\tx", "\rx", "plain")] == ["'-1+2", "'+x", "'\tx", "'\rx", "plain"]


# ------------------------------------------------------------------ passwords in database URLs
def test_database_urls_in_messages_have_their_password_masked(monkeypatch):
    runner = CliRunner()
    for url in ("postgresql+psycopg://alice:s3cret@127.0.0.1:1/db", "nosuchdialect://alice:s3cret@host/db"):
        result = runner.invoke(main, ["db", "upgrade"], env={"LEADERBOARD_DB": url})
        assert result.exit_code == 1 and result.output.startswith("error: "), result.output
        assert "s3cret" not in result.output and "***" in result.output, result.output
    if dialect() == "postgresql":  # a password the server ignores (trust): the success line is masked too
        url = os.environ["LEADERBOARD_DB"].replace("postgres@", "postgres:s3cret@")
        result = runner.invoke(main, ["db", "upgrade"], env={"LEADERBOARD_DB": url})
        assert result.exit_code == 0 and "s3cret" not in result.output and "***" in result.output
