"""The JSON API under /api/v1/: field names are a contract (README, section "JSON API")."""

from __future__ import annotations

import os

import pytest

from benchmarks.registry import all_tasks, benchmark_ids
from leaderboard.grading import grade
from tests.browser.seeding import BEIR_TASKS, STS_TASK, Seeded, seeded_copy
from web import create_app


@pytest.fixture
def seeded() -> Seeded:
    return seeded_copy(os.environ["LEADERBOARD_DB"])


@pytest.fixture
def client():
    return create_app().test_client()


def test_index_links_every_collection(client):
    body = client.get("/api/v1/").json
    assert body["version"] == "v1"
    assert {"benchmarks", "tasks", "models", "scores", "runs"} <= set(body["endpoints"])


def test_benchmarks_lists_every_registered_benchmark(seeded, client):
    body = client.get("/api/v1/benchmarks").json
    by_id = {b["id"]: b for b in body["benchmarks"]}
    assert list(by_id)[: len(benchmark_ids())] == list(benchmark_ids())
    beir = by_id["beir"]
    assert set(beir) == {"id", "name", "description", "tasks", "registered_tasks", "models", "complete_models"}
    assert beir["tasks"] == [t for t in all_tasks() if t in BEIR_TASKS]  # the registry's order
    assert beir["models"] == sum(any(t in per for t in BEIR_TASKS) for per in seeded.main.values())
    assert beir["complete_models"] == sum(seeded.beir_mean(m) is not None for m in seeded.main)


def test_benchmark_table_rows(seeded, client):
    body = client.get("/api/v1/benchmarks/beir").json
    assert {"benchmark", "filters", "sort", "order", "total", "limit", "offset", "next", "columns", "rows"} <= set(body)
    assert [c["task"] for c in body["columns"]] == [t for t in all_tasks() if t in BEIR_TASKS]
    assert body["columns"][0]["main_score"] == "ndcg_at_10" and body["columns"][0]["main_score_label"] == "nDCG@10"
    rows = {r["model"]: r for r in body["rows"]}
    row_fields = {"rank", "model", "parameters", "families", "license", "open_weights", "reference", "scores", "run_ids"}
    row_fields |= {"not_zero_shot", "zero_shot", "mean", "mean_covers", "complete", "n_scores", "mean_over_present"}
    row_fields |= {"ci_low", "ci_high", "grade", "separable_from_above", "separability_p", "speed"}
    for name, row in rows.items():
        assert set(row) == row_fields
        for task in BEIR_TASKS:
            assert row["scores"][task] == seeded.main[name].get(task)  # null, never 0, for a missing cell
            if task in seeded.main[name]:
                assert row["run_ids"][task] == seeded.run_ids[(name, task)]
        mean = seeded.beir_mean(name)
        assert row["complete"] is (mean is not None)
        assert row["mean"] == (pytest.approx(mean) if mean is not None else None)
        assert (row["rank"] is None) is (mean is None)
    assert rows["community-e5-small"]["not_zero_shot"] == {"beir/fiqa": "FiQA"} and rows["community-e5-small"]["zero_shot"] is False
    complete = next(r for r in body["rows"] if r["complete"])
    assert complete["mean_covers"] == [t.split("/", 1)[1] for t in all_tasks() if t in BEIR_TASKS]  # no CQADupStack forum here
    ranked = [r["model"] for r in body["rows"] if r["rank"] is not None]
    assert ranked == sorted(ranked, key=lambda m: -seeded.beir_mean(m))


def test_benchmark_table_filters_sort_and_paging(seeded, client):
    body = client.get("/api/v1/benchmarks/beir?family=sparse").json
    assert [r["model"] for r in body["rows"]] == ["bm25s-flat"] and body["filters"] == {"family": "sparse"}
    body = client.get("/api/v1/benchmarks/beir?sort=beir/scifact&order=asc&limit=2").json
    have = sorted((m for m in seeded.main if "beir/scifact" in seeded.main[m]), key=lambda m: seeded.main[m]["beir/scifact"])
    assert [r["model"] for r in body["rows"]] == have[:2]
    assert body["total"] == len(have) and body["next"] is not None
    rest = client.get(body["next"]).json
    assert [r["model"] for r in rest["rows"]] == have[2:]
    zero = client.get("/api/v1/benchmarks/beir?zero_shot=1").json
    row = next(r for r in zero["rows"] if r["model"] == "community-e5-small")
    assert row["scores"]["beir/fiqa"] is None and row["complete"] is False and row["mean"] is None


def test_tasks_and_one_task(seeded, client):
    tasks = {t["id"]: t for t in client.get("/api/v1/tasks").json["tasks"]}
    assert set(BEIR_TASKS) | {STS_TASK} <= set(tasks)
    scifact = tasks["beir/scifact"]
    fields = {"id", "benchmark", "dataset", "split", "main_score", "main_score_label", "license", "source_url", "metric_spec", "models"}
    assert set(scifact) == fields
    assert scifact["models"] == sum("beir/scifact" in per for per in seeded.main.values())
    one = client.get("/api/v1/tasks/beir/scifact").json
    results = {r["model"]: r for r in one["results"]}
    assert set(results) == {m for m in seeded.main if "beir/scifact" in seeded.main[m]}
    result = results["bm25s-flat"]
    assert set(result) == {"model", "run_id", "finished_at", "zero_shot", "trained_on", "scores"} | {
        "rank", "ci_low", "ci_high", "grade", "reproductions", "separable_from_above", "separability_p"
    }  # fmt: skip
    assert result["scores"]["ndcg_at_10"] == seeded.main["bm25s-flat"]["beir/scifact"]
    assert len(result["scores"]) > 1  # every metric, not just the main one
    assert client.get("/api/v1/tasks?benchmark=sts").json["tasks"][0]["benchmark"] == "sts"


def test_models_and_one_model(seeded, client):
    models = {m["name"]: m for m in client.get("/api/v1/models").json["models"]}
    assert set(models) == set(seeded.main)
    fields = {"name", "backend", "families", "parameters", "embedding_dim", "license", "open_weights", "reference", "training_datasets"}
    assert set(models["bm25s-flat"]) == fields | {"scores"}
    assert models["bm25s-flat"]["reference"] is True and models["community-e5-small"]["reference"] is False
    assert [m["name"] for m in client.get("/api/v1/models?open=1&family=contrastive").json["models"]] == [
        n for n in sorted(seeded.configs) if "contrastive" in seeded.configs[n].family and seeded.configs[n].metadata.open_weights
    ]
    name = "all-MiniLM-L6-v2"
    body = client.get(f"/api/v1/models/{name}").json
    assert body["config"]["name"] == name and body["runs"] == len(seeded.main[name])
    results = {r["task"]: r for r in body["results"]}
    assert results["beir/scifact"]["command"] == f"leaderboard run {name} --tasks beir/scifact"
    assert results["beir/scifact"]["scores"]["ndcg_at_10"] == seeded.main[name]["beir/scifact"]
    reported = next(r for r in body["reported"] if r["task"] == "beir/scifact" and r["metric"] == "ndcg_at_10")
    assert set(reported) == {"task", "metric", "reported", "source", "ours", "delta", "grade", "run_id"} | {
        "reproduced", "reproduced_grade", "reproduction_run_id", "reproductions", "mean_covers"
    }  # fmt: skip
    assert reported["grade"] == grade(reported["reported"], seeded.main[name]["beir/scifact"], "ndcg_at_10")
    variants = next(r for r in client.get("/api/v1/models/community-e5-small").json["results"] if r["task"] == "beir/scifact")
    assert set(variants["variants"]) == {"dim=64", "dim=128"}


def test_scores_are_paged_and_filtered(seeded, client):
    body = client.get("/api/v1/scores?limit=5").json
    assert set(body) == {"total", "limit", "offset", "next", "scores"}
    assert (len(body["scores"]) == 5 and body["next"].endswith("offset=5")) or "offset=5" in body["next"]
    fields = {"model", "task", "benchmark", "metric", "variant", "value", "run_id", "finished_at", "current"}
    assert set(body["scores"][0]) == fields
    main = client.get("/api/v1/scores?metric=ndcg_at_10&variant=&benchmark=beir&limit=1000").json
    got = {(s["model"], s["task"]): s["value"] for s in main["scores"]}
    assert got == {(m, t): v for m, per in seeded.main.items() for t, v in per.items() if t in BEIR_TASKS}
    assert main["total"] == len(got) and main["next"] is None
    history = client.get("/api/v1/scores?model=bm25s-flat&task=beir/scifact&metric=ndcg_at_10&variant=&all_runs=1").json
    assert sorted(s["current"] for s in history["scores"]) == [False, True]
    assert client.get("/api/v1/scores?limit=x").status_code == 400


def test_runs_list_and_one_run(seeded, client):
    body = client.get("/api/v1/runs?limit=3").json
    assert body["total"] == len(seeded.run_ids) + 1 and len(body["runs"]) == 3
    fields = {"id", "model", "task", "kind", "status", "current", "reproduces_run_id", "started_at", "finished_at", "config_sha256"}
    assert set(body["runs"][0]) == fields
    assert [r["id"] for r in body["runs"]] == sorted(seeded.run_ids.values(), reverse=True)[:3]
    run_id = seeded.run_ids[("community-e5-small", "beir/scifact")]
    run = client.get(f"/api/v1/runs/{run_id}").json
    assert fields <= set(run) and {"scores", "metric_spec", "manifest", "grades", "reproductions", "command"} <= set(run)
    assert "per_query" not in run
    assert {"metric": "ndcg_at_10", "variant": "", "value": seeded.main["community-e5-small"]["beir/scifact"]} in run["scores"]
    assert any(s["variant"] == "dim=64" for s in run["scores"])
    assert run["manifest"]["model"]["corpus_docs_per_s"] > 0
    with_items = client.get(f"/api/v1/runs/{run_id}?per_query=1").json
    assert with_items["per_query"][""]["ndcg_at_10"]  # per-query values on request
    assert client.get("/api/v1/runs?model=bm25s-flat&task=beir/scifact").json["total"] == 2
