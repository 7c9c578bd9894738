"""The home page reads the database, escapes what it shows, and works with zero rows."""

from datetime import UTC, datetime

from leaderboard import schema
from leaderboard.db import make_engine, session_factory
from web import create_app


def add_result(model_name: str, task_id: str, value: float) -> None:
    now = datetime.now(UTC)
    with session_factory(make_engine())() as session, session.begin():
        model = session.query(schema.Model).filter_by(name=model_name).one_or_none()
        if model is None:
            model = schema.Model(name=model_name, backend="bm25", families=["sparse"], config={}, config_sha256="x", updated_at=now)
            session.add(model)
        if session.get(schema.Task, task_id) is None:
            session.add(
                schema.Task(
                    id=task_id, benchmark="beir", dataset=task_id.split("/")[1], split="test", main_score="ndcg_at_10", metric_spec={}
                )
            )
        session.flush()
        run = schema.Run(
            model_id=model.id, task_id=task_id, started_at=now, finished_at=now, config_sha256="x", metric_spec={}, manifest={}
        )
        session.add(run)
        session.flush()
        session.add(schema.Score(run_id=run.id, metric="ndcg_at_10", value=value, per_query={}))
        session.add(schema.CurrentResult(model_id=model.id, task_id=task_id, run_id=run.id))


def test_empty_database_renders():
    response = create_app().test_client().get("/")
    assert response.status_code == 200
    assert b"No BEIR results yet" in response.data


def test_table_rows_columns_mean_and_missing_cells():
    add_result("model-a", "beir/scifact", 0.6789)
    add_result("model-a", "beir/nfcorpus", 0.3218)
    add_result("model-b", "beir/scifact", 0.7)
    html = create_app().test_client().get("/").get_data(as_text=True)
    assert '<th scope="col">scifact</th>' in html and '<th scope="col">nfcorpus</th>' in html
    assert "0.6789" in html and "0.5003" in html  # model-a mean of 0.6789 and 0.3218 (0.50035)
    assert "partial" in html  # model-b lacks nfcorpus: no mean, and the cell shows a dash
    assert "–" in html


def test_names_are_escaped():
    add_result("<script>alert(1)</script>", "beir/scifact", 0.5)
    html = create_app().test_client().get("/").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
