"""Reference runs on BEIR SciFact reproduce their published numbers (read from the configs' ``reported:``)."""

from __future__ import annotations

import pytest
import pytrec_eval
from click.testing import CliRunner

from benchmarks.beir.loader import load_split
from benchmarks.metrics.retrieval import evaluate_retrieval, prepare_run
from benchmarks.registry import get_task
from leaderboard.cli import main
from runners.execute import run_model_on_task
from runners.retrievers import build_retriever
from submissions.registry import resolve_model

pytestmark = pytest.mark.integration


def reported(model: str, metric: str, task: str = "beir/scifact") -> float:
    config, _ = resolve_model(model)
    return next(r.value for r in config.reported if r.task == task and r.metric == metric)


def run_reference(model: str):
    config, _ = resolve_model(model)
    return run_model_on_task(config, get_task("beir/scifact"))


@pytest.mark.lucene
def test_bm25_flat_reproduces_2cr_scifact(shared_data, lucene_available):
    outcome = run_reference("bm25-flat")
    assert round(outcome.scores["ndcg_at_10"].value, 4) == reported("bm25-flat", "ndcg_at_10")
    assert round(outcome.scores["recall_at_100"].value, 4) == reported("bm25-flat", "recall_at_100")
    assert outcome.manifest["counts"] == {"docs": 5183, "queries": 300, "queries_with_hits": 300}


@pytest.mark.lucene
def test_bm25_multifield_reproduces_2cr_scifact(shared_data, lucene_available):
    outcome = run_reference("bm25-multifield")
    assert round(outcome.scores["ndcg_at_10"].value, 4) == reported("bm25-multifield", "ndcg_at_10")
    assert round(outcome.scores["recall_at_100"].value, 4) == reported("bm25-multifield", "recall_at_100")


def test_bm25s_flat_within_001_of_lucene_and_metrics_equal_pytrec_eval(shared_data):
    config, _ = resolve_model("bm25s-flat")
    task = get_task("beir/scifact")
    data = load_split(task.folder, task.split, task.id)
    run = build_retriever(config).retrieve(data.corpus, data.queries, 1001, data.sha256).run
    ours = evaluate_retrieval(data.qrels, run, remove_identical_ids=True)
    assert abs(ours["ndcg_at_10"].value - reported("bm25-flat", "ndcg_at_10")) < 0.01

    prepared = prepare_run(run, depth=1000, remove_identical_ids=True)
    reference = pytrec_eval.RelevanceEvaluator(data.qrels, {"ndcg_cut.10", "recall.100", "recall.1000", "map_cut.100", "P.10"}).evaluate(
        prepared
    )
    for name, key in [
        ("ndcg_at_10", "ndcg_cut_10"),
        ("recall_at_100", "recall_100"),
        ("recall_at_1000", "recall_1000"),
        ("map_at_100", "map_cut_100"),
        ("precision_at_10", "P_10"),
    ]:
        assert ours[name].value == pytest.approx(sum(r[key] for r in reference.values()) / len(data.qrels), abs=1e-9)
    top10 = {q: dict(list(h.items())[:10]) for q, h in prepared.items()}
    rr = pytrec_eval.RelevanceEvaluator(data.qrels, {"recip_rank"}).evaluate(top10)
    assert ours["mrr_at_10"].value == pytest.approx(sum(r["recip_rank"] for r in rr.values()) / len(data.qrels), abs=1e-9)


def test_minilm_reproduces_mteb_scifact(shared_data):
    outcome = run_reference("all-MiniLM-L6-v2")
    assert round(outcome.scores["ndcg_at_10"].value, 4) == round(reported("all-MiniLM-L6-v2", "ndcg_at_10"), 4)
    assert round(outcome.scores["recall_at_100"].value, 3) == reported("all-MiniLM-L6-v2", "recall_at_100")
    retriever = outcome.manifest["model"]
    assert (retriever["pooling"], retriever["normalize"], retriever["max_length"]) == ("mean", True, 256)
    assert outcome.manifest["weights_sha256"]["model.safetensors"].startswith("53aa5117")


@pytest.mark.also_on_postgresql
def test_cli_run_and_results_on_scifact(shared_data):
    runner = CliRunner()
    for _ in range(2):
        result = runner.invoke(main, ["run", "bm25s-flat", "--tasks", "beir/scifact"], catch_exceptions=False)
        assert result.exit_code == 0, result.output
    table = runner.invoke(main, ["results"]).output
    row = next(line for line in table.splitlines() if line.split()[1:2] == ["bm25s-flat"])  # rank, model, ...
    assert "scifact" in table and "0.67" in row
    listing = runner.invoke(main, ["data", "list"]).output
    assert any(line.startswith("beir/scifact") and "verified" in line for line in listing.splitlines())
