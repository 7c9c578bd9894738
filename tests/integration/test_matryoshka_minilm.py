"""all-MiniLM-L6-v2 on SciFact at 64, 128, 256 and 384 dimensions from one encoding pass.

One run (SciFact encoding takes minutes on a CPU) checks both claims: every size comes from the
same two encode calls, and the 384 size is the full run itself (the main cell, not a second
variant: common/variants.py), which reproduces MTEB's published nDCG@10.
"""

from __future__ import annotations

import pytest

from benchmarks.registry import get_task
from common.variants import variant_name
from runners.dense import DenseEncoder
from runners.execute import run_model_on_task
from submissions.registry import resolve_model

pytestmark = pytest.mark.integration

DIMS = [64, 128, 256, 384]


def test_minilm_dims_from_one_pass_and_384_is_the_run_itself(shared_data, monkeypatch):
    calls: list[int] = []
    original = DenseEncoder.encode_counted

    def counted(self, texts, prompt="", desc="encoding"):
        calls.append(len(texts))
        return original(self, texts, prompt, desc)

    monkeypatch.setattr(DenseEncoder, "encode_counted", counted)
    config, _ = resolve_model("all-MiniLM-L6-v2")
    outcome = run_model_on_task(config.model_copy(update={"dims": DIMS}), get_task("beir/scifact"))
    # the corpus once and the queries once, for every size; none at all when the integration tests'
    # shared embedding cache already holds them (an earlier test encoded MiniLM on SciFact)
    cold = bool(outcome.manifest["model"].get("cache_misses"))
    assert calls == ([5183, 300] if cold else []), outcome.manifest["model"]

    variants = outcome.variant_scores
    print(" ".join(f"{name} ndcg_at_10={scores['ndcg_at_10'].value:.5f}" for name, scores in variants.items()))
    assert list(variants) == [variant_name(d) for d in DIMS[:-1]]  # 384 is the embedding size: the run itself
    assert outcome.manifest["model"]["embedding_dim"] == 384 and outcome.manifest["model"]["matryoshka_dims"] == DIMS[:-1]
    mteb = next(r.value for r in config.reported if r.task == "beir/scifact" and r.metric == "ndcg_at_10")
    assert round(outcome.scores["ndcg_at_10"].value, 4) == round(mteb, 4)  # the full run is the reference run
    for d in DIMS[:-1]:
        value = variants[variant_name(d)]["ndcg_at_10"].value
        assert 0.3 < value < outcome.scores["ndcg_at_10"].value + 0.02, (d, value)  # truncation cannot help much
    assert variants["dim=64"]["ndcg_at_10"].value != outcome.scores["ndcg_at_10"].value
