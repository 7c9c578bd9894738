"""Confidence intervals and separable ranks on the site (Flask test client).

Runs are stored with :func:`leaderboard.store.record_run` from :class:`RunOutcome` objects with
known per-item values; every expected number is computed here from those values with
:mod:`leaderboard.stats` (or scipy), never written as a literal.
"""

from __future__ import annotations

import html as html_lib
import re
from datetime import UTC, datetime

import numpy as np
import pytest
from scipy.stats import spearmanr

from benchmarks.metrics.retrieval import MetricResult
from benchmarks.registry import all_tasks
from leaderboard.db import make_engine, session_factory
from leaderboard.stats import bootstrap_ci, paired_randomization_test, random_effects_meta
from leaderboard.store import record_run
from runners.outcome import RunOutcome
from submissions.schema import ModelConfig
from web import create_app

BEIR = ("beir/nfcorpus", "beir/scifact")
N_QUERIES = 40  # above 13, so the randomisation test draws its 10,000 sign patterns


def config(name: str, reported: list[dict] | None = None) -> ModelConfig:
    return ModelConfig(
        name=name,
        family=["dense"],
        backend="dense",
        weights={"hf": f"org/{name}", "revision": "a" * 40},
        metadata={"parameters": 1000, "embedding_dim": 16, "license": "MIT"},
        reported=reported or [],
    )


def outcome(name: str, task_id: str, scores: dict[str, MetricResult], item_data: dict | None = None) -> RunOutcome:
    now = datetime.now(UTC)
    task = all_tasks()[task_id]
    manifest = {"config_sha256": "x", "total_s": 1.0}
    result = RunOutcome(name, task_id, scores, manifest, now, now, task.metric_spec)
    result.item_data = item_data or {}  # RunOutcome.item_data: a field once the runners' part of issue 13 lands
    return result


def mean_result(per_query: dict[str, float]) -> MetricResult:
    return MetricResult(float(np.mean(list(per_query.values()))), per_query)


def store(cfg: ModelConfig, task_id: str, scores: dict[str, MetricResult], item_data: dict | None = None, **kwargs) -> int:
    with session_factory(make_engine())() as session:
        run = outcome(cfg.name, task_id, scores, item_data)
        return record_run(session, cfg, all_tasks()[task_id], run, is_reference=False, **kwargs)


def per_query(rng: np.random.Generator, shift: float = 0.0, noise: float = 0.0, base: np.ndarray | None = None) -> dict[str, float]:
    values = (rng.random(N_QUERIES) if base is None else base) + shift + (rng.normal(0, noise, N_QUERIES) if noise else 0.0)
    return {f"q{i}": float(v) for i, v in enumerate(values)}


@pytest.fixture
def client():
    return create_app().test_client()


def row_html(page: str, model: str) -> str:
    return page.split(f'data-model="{model}"', 1)[1].split("</tr>", 1)[0]


def cell_title(row: str, value: float) -> str:
    """The title of the cell that shows ``value`` (4 decimals)."""
    match = re.search(r'<td class="num[^"]*" title="([^"]*)"><a href="[^"]*">' + re.escape(f"{value:.4f}") + "</a>", row)
    assert match, row
    return html_lib.unescape(match.group(1))


# ------------------------------------------------------------------ intervals of mean-based scores
def test_cell_ci_is_bootstrap_ci_of_the_per_query_values_and_brackets_the_mean(client):
    rng = np.random.default_rng(7)
    values = {task: per_query(rng) for task in BEIR}
    for task in BEIR:
        store(config("model-a"), task, {"ndcg_at_10": mean_result(values[task])})
    body = client.get("/api/v1/benchmarks/beir").json
    row = body["rows"][0]
    page = client.get("/benchmarks/beir").get_data(as_text=True)
    for task in BEIR:
        expected = bootstrap_ci(values[task])
        mean = float(np.mean(list(values[task].values())))
        assert row["ci_low"][task] == pytest.approx(expected.low, abs=1e-12)
        assert row["ci_high"][task] == pytest.approx(expected.high, abs=1e-12)
        assert row["ci_low"][task] < mean < row["ci_high"][task]
        title = cell_title(row_html(page, "model-a"), mean)
        assert f"{mean:.4f} [{expected.low:.4f}, {expected.high:.4f}] 95% bootstrap CI, 1,000 resamples" in title
    # the same interval on the task and model pages and in their API records
    task_row = client.get("/api/v1/tasks/beir/scifact").json["results"][0]
    assert task_row["ci_low"] == row["ci_low"]["beir/scifact"] and task_row["ci_high"] == row["ci_high"]["beir/scifact"]
    model = {r["task"]: r for r in client.get("/api/v1/models/model-a").json["results"]}
    assert model["beir/nfcorpus"]["ci_low"] == row["ci_low"]["beir/nfcorpus"]
    expected = bootstrap_ci(values["beir/scifact"])
    for url in ("/tasks/beir/scifact", "/models/model-a"):
        assert f"[{expected.low:.4f}, {expected.high:.4f}] 95% bootstrap CI" in html_lib.unescape(client.get(url).get_data(as_text=True))


def test_no_ci_for_a_macro_average_as_its_declaration_says(client):
    """ARO's macro accuracy is declared ``aggregation="macro"``: a mean of group means, the groups not stored with the items."""
    items = {f"i{k}": float(k % 2) for k in range(30)}
    stored = float(np.mean(list(items.values())))  # even when the items' mean happens to be the score
    store(config("model-a"), "aro/vg-relation", {"macro_accuracy": MetricResult(stored, items)})
    result = client.get("/api/v1/tasks/aro/vg-relation").json["results"][0]
    assert result["ci_low"] is None and result["ci_high"] is None
    page = html_lib.unescape(client.get("/benchmarks/aro").get_data(as_text=True))
    assert f"{stored:.4f} (no CI: a macro average over groups: the per-item values do not give it)" in page


def test_no_ci_when_the_per_item_values_do_not_give_the_score(client):
    """A mean metric whose stored items do not average to its score: the items are not what it was computed from."""
    items = {f"q{k}": float(k % 2) for k in range(30)}
    stored = float(np.mean(list(items.values()))) + 0.1
    store(config("model-a"), "beir/scifact", {"ndcg_at_10": MetricResult(stored, items)})
    result = client.get("/api/v1/tasks/beir/scifact").json["results"][0]
    assert result["ci_low"] is None and result["ci_high"] is None
    page = html_lib.unescape(client.get("/benchmarks/beir").get_data(as_text=True))
    assert f"{stored:.4f} (no CI: the mean of the per-item values is not this score)" in page


# ------------------------------------------------------------------ STS: Spearman on resampled pairs
def sts_scores(rng: np.random.Generator, n: int = 60) -> tuple[dict[str, MetricResult], dict, np.ndarray, np.ndarray]:
    """A Spearman main score with its per-pair similarities, and the run's item data ``gold`` (as STS's evaluate gives it)."""
    gold = np.round(rng.random(n) * 5) / 5  # ties, as real gold scores have
    sims = np.round(gold + rng.normal(0, 0.35, n), 2)
    ids = [f"p{i}" for i in range(n)]
    rho = float(spearmanr(gold, sims).statistic)
    scores = {"cosine_spearman": MetricResult(rho, dict(zip(ids, sims.tolist(), strict=True)))}
    return scores, {"gold": dict(zip(ids, gold.tolist(), strict=True))}, sims, gold


def test_sts_ci_recomputes_spearman_on_the_resampled_pairs(client):
    scores, items, sims, gold = sts_scores(np.random.default_rng(3))
    store(config("model-a"), "sts/sts12", scores, items)
    result = client.get("/api/v1/tasks/sts/sts12").json["results"][0]
    direct = bootstrap_ci(sims, statistic=lambda idx: spearmanr(gold[idx], sims[idx]).statistic)
    assert result["ci_low"] == pytest.approx(direct.low, abs=1e-9)
    assert result["ci_high"] == pytest.approx(direct.high, abs=1e-9)
    rho = scores["cosine_spearman"].value
    assert result["ci_low"] < rho < result["ci_high"]
    naive = bootstrap_ci(sims)  # the mean of the similarities: not what an STS interval is
    assert abs(naive.low - direct.low) > 0.05
    assert 'data-sort-key="gold_score"' not in client.get("/tasks/sts/sts12").get_data(as_text=True)  # not a metric column


# ------------------------------------------------------------------ separable ranks
def seed_three_models() -> dict[str, dict[str, dict[str, float]]]:
    """model-a and model-b: identical per-query values; model-c: clearly lower, with noise."""
    rng = np.random.default_rng(5)
    values: dict[str, dict[str, dict[str, float]]] = {"model-a": {}, "model-b": {}, "model-c": {}}
    for task in BEIR:
        base = rng.random(N_QUERIES) * 0.5 + 0.4
        values["model-a"][task] = per_query(rng, base=base)
        values["model-b"][task] = dict(values["model-a"][task])
        values["model-c"][task] = per_query(rng, shift=-0.3, noise=0.05, base=base)
    for name, per_task in values.items():
        for task, items in per_task.items():
            store(config(name), task, {"ndcg_at_10": mean_result(items)})
    return values


def expected_meta_p(upper: dict[str, dict[str, float]], lower: dict[str, dict[str, float]]) -> float:
    tests = [paired_randomization_test(upper[t], lower[t]) for t in BEIR]
    return random_effects_meta([t.effect_size for t in tests], [t.queries for t in tests]).p_value


def test_identical_models_are_not_separable_and_a_clearly_worse_one_is(client):
    values = seed_three_models()
    rows = {r["model"]: r for r in client.get("/api/v1/benchmarks/beir").json["rows"]}
    assert rows["model-a"]["separable_from_above"] is None  # the top row has nobody above it
    assert rows["model-b"]["separable_from_above"] is False
    assert rows["model-b"]["separability_p"] == pytest.approx(expected_meta_p(values["model-a"], values["model-b"]))
    assert rows["model-c"]["separable_from_above"] is True
    p = expected_meta_p(values["model-b"], values["model-c"])
    assert p < 0.05 and rows["model-c"]["separability_p"] == pytest.approx(p, rel=1e-9)

    page = client.get("/benchmarks/beir").get_data(as_text=True)
    tied = row_html(page, "model-b")
    assert '<td class="rank tied"' in tied and f"≈{rows['model-b']['rank']}<" in tied
    assert "not separable from model-a" in html_lib.unescape(tied) and "random-effects meta-analysis" in html_lib.unescape(tied)
    clear = row_html(page, "model-c")
    assert f">≈{rows['model-c']['rank']}<" not in clear and "rank tied" not in clear
    assert "not separable" not in clear and "separable from model-b (p = " in html_lib.unescape(clear)  # the test, in the tooltip


def test_task_page_uses_the_paired_randomization_test_on_that_task(client):
    values = seed_three_models()
    task = "beir/scifact"
    results = {r["model"]: r for r in client.get(f"/api/v1/tasks/{task}").json["results"]}
    expected_c = paired_randomization_test(values["model-b"][task], values["model-c"][task])
    assert results["model-c"]["separability_p"] == pytest.approx(expected_c.p_value, abs=1e-12)
    assert results["model-c"]["separable_from_above"] is True
    expected_b = paired_randomization_test(values["model-a"][task], values["model-b"][task])
    assert results["model-b"]["separability_p"] == pytest.approx(expected_b.p_value) and expected_b.p_value >= 0.05
    page = client.get(f"/tasks/{task}").get_data(as_text=True)
    assert '<td class="rank tied"' in row_html(page, "model-b") and "rank tied" not in row_html(page, "model-c")
    assert "paired randomisation test" in html_lib.unescape(row_html(page, "model-c"))


def test_a_new_run_updates_intervals_and_marks(client):
    values = seed_three_models()
    before = client.get("/api/v1/benchmarks/beir").json
    assert {r["model"]: r["separable_from_above"] for r in before["rows"]}["model-b"] is False
    rng = np.random.default_rng(9)
    better = per_query(rng, shift=0.3, noise=0.05, base=np.array(list(values["model-b"]["beir/scifact"].values())))
    store(config("model-b"), "beir/scifact", {"ndcg_at_10": mean_result(better)})
    after = {r["model"]: r for r in client.get("/api/v1/benchmarks/beir").json["rows"]}
    assert after["model-b"]["ci_low"]["beir/scifact"] == pytest.approx(bootstrap_ci(better).low, abs=1e-12)
    assert after["model-b"]["rank"] == 1  # the rows swapped: model-a is now compared with the new model-b
    new_b = {**values["model-b"], "beir/scifact": better}
    assert after["model-a"]["separability_p"] == pytest.approx(expected_meta_p(new_b, values["model-a"]), rel=1e-9)
