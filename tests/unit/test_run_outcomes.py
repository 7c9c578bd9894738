"""What every run passes before it can be stored: defined scores, finite manifests (runners/execute.py, runners/manifest.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np
import pytest

from benchmarks.contract import Task
from benchmarks.metrics.bitext import evaluate_bitext
from benchmarks.metrics.retrieval import MetricResult, evaluate_retrieval
from benchmarks.metrics.sts import evaluate_sts
from common.errors import UserError
from runners.execute import check_defined
from runners.manifest import build_manifest
from runners.outcome import RunOutcome
from submissions.schema import ModelConfig

NOW = datetime.now(UTC)


def task(main: str) -> Task:
    return Task(id="t/x", benchmark="t", dataset="x", split="test", main_score=main, metrics=(main,), metric_spec={})


def outcome(scores: dict[str, MetricResult], **fields) -> RunOutcome:
    return RunOutcome("m", "t/x", scores, {}, NOW, NOW, **fields)


def test_sts_with_every_pair_equally_similar_is_refused():
    """Constant predictions leave Spearman undefined (NaN): refused, never stored."""
    same = np.ones((4, 3), dtype=np.float32)
    scores = evaluate_sts(same, same, [0.0, 1.0, 2.0, 5.0], ["a", "b", "c", "d"])
    assert np.isnan(scores["cosine_spearman"].value)
    with pytest.raises(UserError, match="cosine_spearman of m is undefined") as err:
        check_defined(task("cosine_spearman"), outcome(scores))
    assert "\n" not in str(err.value)


def test_an_empty_split_is_refused():
    with pytest.raises(UserError, match="no judged item"):
        check_defined(task("ndcg_at_10"), outcome(evaluate_retrieval({}, {})))
    with pytest.raises(UserError, match="no judged item"):
        check_defined(task("f1"), outcome({"f1": MetricResult(0.0, {})}))  # a Tatoeba pair with no sentence


def test_no_hit_for_any_judged_query_is_refused_but_a_zero_with_hits_is_a_score():
    qrels = {"q1": {"d1": 1}, "q2": {"d2": 1}}
    nothing = evaluate_retrieval(qrels, {"q1": {}, "q2": {}})
    with pytest.raises(UserError, match="no hit for any of the 2 judged queries"):
        check_defined(task("ndcg_at_10"), outcome(nothing, answered=0))
    wrong = evaluate_retrieval(qrels, {"q1": {"d9": 1.0}, "q2": {"d8": 1.0}})  # hits, none relevant: a real 0
    check_defined(task("ndcg_at_10"), outcome(wrong, answered=2))
    assert wrong["ndcg_at_10"].value == 0.0
    half = evaluate_retrieval(qrels, {"q1": {"d1": 1.0}, "q2": {}})  # one query without hits counts 0 (trec_eval -c)
    check_defined(task("ndcg_at_10"), outcome(half, answered=1))


def test_non_finite_model_outputs_and_values_are_refused():
    scores = evaluate_bitext([0, 1, 2])
    with pytest.raises(UserError, match="3 NaN or infinite outputs"):
        check_defined(task("f1"), outcome(scores, non_finite_outputs=3))
    broken = {"f1": MetricResult(0.5, {"1": 0.5, "2": float("inf")})}
    with pytest.raises(UserError, match="f1 of m is undefined"):
        check_defined(task("f1"), outcome(broken))
    variant = {"f1": MetricResult(0.5, {"1": 0.5})}
    with pytest.raises(UserError, match=r"f1 \(dim=8\) of m is undefined"):
        check_defined(task("f1"), outcome(variant, variant_scores={"dim=8": {"f1": MetricResult(float("nan"), {"1": 0.5})}}))


def test_non_finite_measurements_become_null_and_are_listed():
    config = ModelConfig(name="m", family=["sparse"], backend="bm25", bm25={"engine": "bm25s"})
    manifest = build_manifest(
        config,
        described={"k1": float("inf"), "docs_per_s": float("nan"), "ok": 1.5},
        data_sha256="0" * 64,
        data_files={},
        phases={"encode": float("inf")},
        started=NOW,
        finished=NOW,
        counts={"docs": 5},
        extra={"rates": [1.0, float("-inf")]},
    )
    json.dumps(manifest, allow_nan=False)
    assert manifest["model"] == {"k1": None, "docs_per_s": None, "ok": 1.5} and manifest["rates"] == [1.0, None]
    assert manifest["non_finite"] == ["model.k1", "model.docs_per_s", "timings_s.encode", "rates[1]"]
