"""The site at scale (the perf seeder, small) and on PostgreSQL."""

from __future__ import annotations

import csv
import importlib.util
import io
import os
from pathlib import Path

import pytest

from leaderboard.db import make_engine
from tests.browser.seeding import BEIR_TASKS, seed
from web import create_app

PERF_SCRIPT = Path(__file__).resolve().parents[2] / "perf" / "web_latency.py"


def perf_module():
    spec = importlib.util.spec_from_file_location("web_latency", PERF_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_synthetic_board_renders_and_ranks_consistently():
    perf = perf_module()
    url = os.environ["LEADERBOARD_DB"]
    counts = perf.seed_synthetic(url, n_models=40, n_tasks=30, missing=0.2)
    assert counts["models"] == 40 and counts["tasks"] == 30
    client = create_app(url).test_client()
    for path in [url for urls in perf.url_groups(perf.synthetic_tasks(30), 40).values() for url in urls]:
        assert client.get(path).status_code == 200, path
    rows = list(csv.DictReader(io.StringIO(client.get("/benchmarks/tatoeba?format=csv").get_data(as_text=True))))
    means = [float(r["mean"]) for r in rows if r["complete"] == "true"]
    assert means == sorted(means, reverse=True)
    assert all(r["rank"] == "" for r in rows if r["complete"] == "false")
    task_columns = [c for c in rows[0] if c.startswith("tatoeba/")]
    for row in rows:
        present = [float(row[c]) for c in task_columns if row[c] != ""]
        assert (row["complete"] == "true") == (len(present) == len(task_columns))
        assert float(row["mean_over_present"]) == pytest.approx(sum(present) / len(present))


def test_the_seeder_refuses_a_database_with_data():
    perf = perf_module()
    url = os.environ["LEADERBOARD_DB"]
    perf.seed_synthetic(url, n_models=2, n_tasks=4)
    with pytest.raises(SystemExit, match="refusing"):
        perf.seed_synthetic(url, n_models=2, n_tasks=4)


@pytest.fixture
def postgres(postgres_url, monkeypatch):
    monkeypatch.setenv("LEADERBOARD_DB", postgres_url)
    engine = make_engine(postgres_url)
    yield engine
    engine.dispose()


def test_every_page_on_postgres(postgres):
    url = str(postgres.url.render_as_string(hide_password=False))
    seeded = seed(url)
    client = create_app(url).test_client()
    paths = ["/", "/benchmarks/beir", "/benchmarks/beir?zero_shot=1&sort=beir/fiqa", "/tasks/beir/scifact", "/models/", "/compare"]
    paths += ["/models/all-MiniLM-L6-v2", f"/runs/{seeded.old_run_id}", "/api/v1/benchmarks/beir", "/api/v1/scores?benchmark=beir"]
    paths += ["/api/v1/runs?model=bm25s-flat", "/plots/params.png?benchmark=beir", "/plots/dims.png?benchmark=beir"]
    for path in paths:
        assert client.get(path).status_code == 200, path
    body = client.get("/api/v1/benchmarks/beir").json
    means = {r["model"]: r["mean"] for r in body["rows"]}
    assert means == {m: (pytest.approx(seeded.beir_mean(m)) if seeded.beir_mean(m) else None) for m in means}
    assert set(means) == {m for m in seeded.main if any(t in seeded.main[m] for t in BEIR_TASKS)}
    throughput = client.get("/plots/throughput.png?benchmark=beir")
    assert throughput.status_code == 200 and len(throughput.data) > 10_000  # a real plot (JSON path query), not the "no data" card
