"""Item data is stored with its run (``run_items``), never as a fake score; statistics read it, by the metric's declaration.

STS's gold per pair used to be the score row ``gold_score``: it showed up in ``leaderboard export``,
the API's ``/scores`` and the runs' scores.  Now it is the run's item data ``gold``, written in the
run's transaction, and confidence intervals and ``leaderboard compare`` read it from there.  Which
statistic a score takes (a mean, a correlation, a macro average) comes from its
``MetricDefinition.aggregation``, so a correlation benchmark whose ids do not start with ``sts/``
gets a correlation's interval and paired test too.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pytest
from click.testing import CliRunner
from scipy.stats import pearsonr, spearmanr
from sqlalchemy import select
from sqlalchemy.exc import StatementError

from benchmarks import registry
from benchmarks.contract import Evaluation, LoadedData, MetricDefinition, Task
from benchmarks.metrics.retrieval import MetricResult
from benchmarks.registry import all_tasks
from leaderboard import schema
from leaderboard.cli import main
from leaderboard.db import make_engine, session_factory
from leaderboard.stats import bootstrap_ci, correlation_contributions, paired_randomization_test
from leaderboard.store import record_run
from runners.execute import RunOutcome
from submissions.schema import ModelConfig
from web import create_app


def config(name: str) -> ModelConfig:
    return ModelConfig(
        name=name, family=["dense"], backend="dense", weights={"hf": f"org/{name}", "revision": "a" * 40}, metadata={"parameters": 1000}
    )


def outcome(name: str, task: Task, scores: dict[str, MetricResult], item_data: dict | None = None, variants: dict | None = None):
    now = datetime.now(UTC)
    manifest = {"config_sha256": "x", "total_s": 1.0}
    result = RunOutcome(name, task.id, scores, manifest, now, now, task.metric_spec, variant_scores=variants or {})
    if item_data is not None:
        result.item_data = item_data  # RunOutcome.item_data: a field once the runners' part of issue 13 lands
    return result


def store(name: str, task: Task, scores: dict[str, MetricResult], item_data: dict | None = None, variants: dict | None = None) -> int:
    with session_factory(make_engine())() as session:
        return record_run(session, config(name), task, outcome(name, task, scores, item_data, variants), is_reference=False)


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def pairs(seed: int, n: int = 50) -> tuple[dict[str, float], dict[str, float]]:
    """Per-pair predictions and gold with ties, as STS data has."""
    rng = np.random.default_rng(seed)
    gold = np.round(rng.random(n) * 5) / 5
    predicted = np.round(gold + rng.normal(0, 0.3, n), 2)
    ids = [f"p{i}" for i in range(n)]
    return dict(zip(ids, predicted.tolist(), strict=True)), dict(zip(ids, gold.tolist(), strict=True))


def spearman(predicted: dict[str, float], gold: dict[str, float]) -> MetricResult:
    return MetricResult(float(spearmanr(list(gold.values()), list(predicted.values())).statistic), predicted)


def stored_item_data() -> dict[int, dict[str, dict]]:
    with session_factory(make_engine())() as session:
        return {(item.run_id): {item.name: item.values} for item in session.scalars(select(schema.RunItem))}


def stored_metrics() -> set[str]:
    with session_factory(make_engine())() as session:
        return set(session.scalars(select(schema.Score.metric)))


# ------------------------------------------------------------------ writing
def test_item_data_is_stored_with_its_run_and_is_no_score():
    sts = all_tasks()["sts/sts12"]
    predicted, gold = pairs(1)
    run_id = store("model-a", sts, {"cosine_spearman": spearman(predicted, gold)}, {"gold": gold})
    assert stored_item_data() == {run_id: {"gold": gold}}
    assert stored_metrics() == {"cosine_spearman"}


def test_a_runner_that_still_returns_the_gold_as_a_score_gets_it_stored_as_item_data():
    """A runner from before item data returns the fake metric ``gold_score`` (in every variant); none is stored as a score."""
    sts = all_tasks()["sts/sts12"]
    predicted, gold = pairs(2)
    legacy_gold = MetricResult(float(np.mean(list(gold.values()))), gold)
    scores = {"cosine_spearman": spearman(predicted, gold), "gold_score": legacy_gold}
    variants = {"dim=8": {"cosine_spearman": spearman(predicted, gold), "gold_score": legacy_gold}}
    run_id = store("model-a", sts, scores, variants=variants)
    assert stored_item_data() == {run_id: {"gold": gold}}
    assert stored_metrics() == {"cosine_spearman"}


def test_a_run_that_cannot_be_stored_leaves_no_item_data(monkeypatch):
    sts = all_tasks()["sts/sts12"]
    predicted, gold = pairs(3)
    bad = {"cosine_spearman": MetricResult(float("nan"), predicted)}  # FiniteFloat refuses it at flush
    with pytest.raises(StatementError, match="not a finite number"):
        store("model-a", sts, bad, {"gold": gold})
    assert stored_item_data() == {} and stored_metrics() == set()


def test_gold_is_not_a_score_in_the_export_the_api_or_the_run_page():
    sts = all_tasks()["sts/sts12"]
    predicted, gold = pairs(4)
    run_id = store("model-a", sts, {"cosine_spearman": spearman(predicted, gold), "gold_score": MetricResult(0.5, gold)})
    exported = json.loads(invoke("export", "--format", "json").output)
    assert {r["metric"] for r in exported} == {"cosine_spearman"}
    assert {r["metric"] for r in csv.DictReader(io.StringIO(invoke("export", "--format", "csv").output))} == {"cosine_spearman"}
    client = create_app().test_client()
    assert {s["metric"] for s in client.get("/api/v1/scores").json["scores"]} == {"cosine_spearman"}
    run = client.get(f"/api/v1/runs/{run_id}?per_query=1").json
    assert {s["metric"] for s in run["scores"]} == {"cosine_spearman"} and set(run["per_query"][""]) == {"cosine_spearman"}
    assert run["item_data"] == {"gold": gold}  # still there for anyone who recomputes the correlation
    scores_table = client.get(f"/runs/{run_id}").get_data(as_text=True).split('id="run-scores"', 1)[1].split("</table>", 1)[0]
    assert "cosine_spearman" in scores_table and "gold_score" not in scores_table
    assert 'data-sort-key="gold_score"' not in client.get("/tasks/sts/sts12").get_data(as_text=True)  # not a metric column


# ------------------------------------------------------------------ compare reads the gold from run_items
def test_compare_on_sts_tests_the_spearman_contributions_from_the_stored_gold():
    sts = all_tasks()["sts/sts12"]
    a_pred, gold = pairs(5)
    rng = np.random.default_rng(6)
    b_pred = {k: round(v + float(rng.normal(0, 0.4)), 2) for k, v in a_pred.items()}
    store("model-a", sts, {"cosine_spearman": spearman(a_pred, gold)}, {"gold": gold})
    store("model-b", sts, {"cosine_spearman": spearman(b_pred, gold)}, {"gold": gold})
    result = invoke("compare", "model-a", "model-b", "--tasks", "sts/sts12")
    assert result.exit_code == 0, result.output
    a_terms, b_terms = correlation_contributions(a_pred, gold, "spearman"), correlation_contributions(b_pred, gold, "spearman")
    expected = paired_randomization_test(a_terms, b_terms)
    line = next(line for line in result.output.splitlines() if line.startswith("sts/sts12"))
    n, mean_a, mean_b, _diff, _dz, p = line.split()[1:]
    assert int(n) == 50 and float(p) == pytest.approx(expected.p_value, abs=1e-4)
    assert float(mean_a) == pytest.approx(spearman(a_pred, gold).value, abs=1e-4)  # the contributions average to rho
    assert float(mean_b) == pytest.approx(spearman(b_pred, gold).value, abs=1e-4)


def test_compare_without_the_gold_is_one_line():
    sts = all_tasks()["sts/sts12"]
    predicted, gold = pairs(7)
    store("model-a", sts, {"cosine_spearman": spearman(predicted, gold)})
    store("model-b", sts, {"cosine_spearman": spearman(predicted, gold)})
    result = CliRunner().invoke(main, ["compare", "model-a", "model-b", "--tasks", "sts/sts12"])
    assert result.exit_code == 1 and "model-a on sts/sts12: the run stores no gold scores" in result.output


# ------------------------------------------------------------------ the statistic comes from the declaration, not the task id
@dataclass
class AgreementBenchmark:
    """A correlation benchmark that is not STS: its main score is a Pearson correlation with the item data "gold"."""

    id: str = "agree"
    name: str = "Agreement"
    description: str = "a correlation benchmark made in a test"
    capability: str = "sentence_encoder"
    main_metric: str = "agreement"
    fetch: None = None

    @property
    def metrics(self):
        return {"agreement": MetricDefinition("agreement", "Agreement", "Pearson r of predictions with gold", "correlation", "pearson")}

    def tasks(self):
        return [Task("agree/pairs", "agree", "pairs", "test", "agreement", ("agreement",), {"main_score": "agreement"})]

    def missing_files(self, task):
        return []

    def load(self, task):
        return LoadedData(None, {}, "0" * 64, {})

    def evaluate(self, task, data, predictions):
        return Evaluation({})


@pytest.fixture
def agreement():
    benchmark = AgreementBenchmark()
    registry.register(benchmark)
    yield benchmark.tasks()[0]
    registry.unregister(benchmark.id)


def pearson(predicted: dict[str, float], gold: dict[str, float]) -> MetricResult:
    return MetricResult(float(pearsonr(list(gold.values()), list(predicted.values())).statistic), predicted)


def test_a_correlation_benchmark_not_named_sts_gets_a_correlation_interval_and_test(agreement):
    a_pred, gold = pairs(8)
    rng = np.random.default_rng(9)
    b_pred = {k: round(v + float(rng.normal(0, 0.5)), 2) for k, v in a_pred.items()}
    store("model-a", agreement, {"agreement": pearson(a_pred, gold)}, {"gold": gold})
    store("model-b", agreement, {"agreement": pearson(b_pred, gold)}, {"gold": gold})

    result = invoke("compare", "model-a", "model-b", "--tasks", "agree/pairs")
    assert result.exit_code == 0, result.output
    _n, mean_a, mean_b = next(line for line in result.output.splitlines() if line.startswith("agree/pairs")).split()[1:4]
    assert float(mean_a) == pytest.approx(pearson(a_pred, gold).value, abs=1e-4)  # Pearson contributions, not the raw predictions
    assert float(mean_b) == pytest.approx(pearson(b_pred, gold).value, abs=1e-4)

    x, g = np.array(list(a_pred.values())), np.array(list(gold.values()))
    expected = bootstrap_ci(x, statistic=lambda idx: pearsonr(g[idx], x[idx]).statistic)
    rows = {r["model"]: r for r in create_app().test_client().get("/api/v1/tasks/agree/pairs").json["results"]}
    assert rows["model-a"]["ci_low"] == pytest.approx(expected.low, abs=1e-9)
    assert rows["model-a"]["ci_high"] == pytest.approx(expected.high, abs=1e-9)
