"""Fusion as a model: ``backend: fusion`` computes a run from the named models' stored rankings, encoding nothing.

- the config is validated (at least two registered models, each once, no fusion of fusions,
  weights only for interpolation, one per run);
- RRF agrees with an independent implementation, Pyserini's ``pyserini.fusion``, on the same two
  stored runs: the same fused ranking up to the order inside exact ties (Pyserini breaks them by
  doc id ascending, trec_eval descending) and the same nDCG@10 to 1e-9;
- the fused run is stored like any run, with a ranking of its own; its manifest names the
  source runs and their ranking sha256;
- a missing source run is a one-line error naming the command that makes it, and stores nothing;
- interpolation normalises each source per query (min-max or z-score) and weights it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import pytrec_eval
from click.testing import CliRunner
from pydantic import ValidationError
from sqlalchemy import func, select

from benchmarks.metrics.retrieval import judged_grades
from benchmarks.registry import get_benchmark
from common import rankings
from leaderboard import schema
from leaderboard.cli import main
from leaderboard.db import make_engine, session_factory
from leaderboard.store import record_run
from runners.execute import run_task
from runners.fusion import interpolate, rrf
from runners.protocols import RetrievalResult
from runners.session import ModelSession
from submissions.registry import resolve_model
from submissions.schema import ModelConfig
from tests.unit.test_run_artifacts import wide_task  # noqa: F401  (fixture)


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def fusion_config(**fusion) -> dict:
    return {"name": "my-fusion", "family": ["sparse", "dense"], "backend": "fusion", "fusion": fusion}


# --------------------------------------------------------------------------- the config
@pytest.mark.parametrize(
    ("fusion", "message"),
    [
        ({"method": "rrf", "runs": ["bm25-flat"]}, "at least 2"),
        ({"method": "rrf", "runs": ["bm25-flat", "no-such-model"]}, "'no-such-model' is not a registered model"),
        ({"method": "rrf", "runs": ["bm25-flat", "BM25-FLAT"]}, "listed more than once"),
        ({"method": "rrf", "runs": ["bm25-flat", "bm25-minilm-rrf"]}, "is itself a fusion"),
        ({"method": "rrf", "runs": ["bm25-flat", "splade-tiny"], "weights": [1, 2]}, "interpolation only"),
        ({"method": "interpolation", "runs": ["bm25-flat", "splade-tiny"], "weights": [1]}, "one weight per run"),
        ({"method": "interpolation", "runs": ["bm25-flat", "splade-tiny"], "weights": [0, 0]}, "every weight is 0"),
        ({"method": "interpolation", "runs": ["bm25-flat", "splade-tiny"], "k": 10}, "rrf only"),
        ({"method": "rrf", "runs": ["bm25-flat", "splade-tiny"], "depth": 5000}, "less than or equal to 1000"),
    ],
)
def test_fusion_configs_are_validated(fusion, message):
    with pytest.raises(ValidationError, match=message):
        ModelConfig.model_validate(fusion_config(**fusion))


def test_fusion_section_belongs_to_backend_fusion_only():
    with pytest.raises(ValidationError, match="backend fusion needs a 'fusion:' section"):
        ModelConfig.model_validate({"name": "x", "family": ["sparse"], "backend": "fusion"})
    with pytest.raises(ValidationError, match="only backend fusion takes one"):
        ModelConfig.model_validate(
            {
                "name": "x",
                "family": ["sparse"],
                "backend": "bm25",
                "bm25": {"engine": "bm25s"},
                "fusion": {"method": "rrf", "runs": ["bm25-flat", "splade-tiny"]},
            }
        )
    assert ModelConfig.model_validate(fusion_config(method="rrf", runs=["BM25-flat", "splade-tiny"])).fusion.runs[0] == "bm25-flat"


# --------------------------------------------------------------------------- against Pyserini
class RandomRetriever:
    """Float32 scores rounded to two decimals (many exact ties) over a random 1,100 of the docs per query."""

    extra_hit_for_identical_ids = True

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)

    def retrieve(self, corpus, queries, k, corpus_sha256):
        docs = sorted(corpus)
        run = {}
        for q in queries:
            chosen = self.rng.choice(len(docs), size=1100, replace=False)
            scores = np.round(self.rng.random(1100), 2).astype(np.float32)
            run[q] = {docs[i]: float(s) for i, s in zip(chosen, scores, strict=True)}
        return RetrievalResult(run)

    def describe(self):
        return {}


def store_source(name: str, task, seed: int) -> int:
    config, _ = resolve_model(name)
    outcome = run_task(ModelSession(config, retriever=RandomRetriever(seed)), task)
    with session_factory(make_engine())() as session:
        return record_run(session, config, task, outcome, is_reference=True)


def stored_ranking(run_id: int) -> rankings.Ranking:
    with session_factory(make_engine())() as session:
        return rankings.decode(session.get(schema.RunArtifact, (run_id, "ranking")).data)


def pyserini_trec_run(ranking: rankings.Ranking):
    from pyserini.trectools import TrecRun

    rows = [(q, "Q0", d, r, s, "x") for q, hits in ranking.items() for r, (d, s) in enumerate(hits, start=1)]
    run = TrecRun()
    run.run_data = pd.DataFrame(rows, columns=TrecRun.columns).astype({"topic": object, "docid": object, "q0": object, "tag": object})
    return run


def test_rrf_matches_pyserini_fusion_on_the_same_two_stored_runs(wide_task):  # noqa: F811
    from pyserini.fusion import reciprocal_rank_fusion

    bm25_id, minilm_id = store_source("bm25-flat", wide_task, 1), store_source("all-MiniLM-L6-v2", wide_task, 2)
    result = invoke("run", "bm25-minilm-rrf", "--tasks", wide_task.id)
    assert result.exit_code == 0, result.output
    with session_factory(make_engine())() as session:
        fused_run = session.scalars(select(schema.Run).join(schema.Model).where(schema.Model.name == "bm25-minilm-rrf")).one()
        fused_id, manifest = fused_run.id, fused_run.manifest
        ours_ndcg = session.scalar(
            select(schema.Score.per_query).where(schema.Score.run_id == fused_id, schema.Score.metric == "ndcg_at_10")
        )
    sources = manifest["model"]["fusion"]["sources"]  # the model part of the manifest: what the fused model was made of
    assert [(s["model"], s["run_id"]) for s in sources] == [("bm25-flat", bm25_id), ("all-MiniLM-L6-v2", minilm_id)]
    assert [s["ranking_sha256"] for s in sources] == [
        rankings.encode("ranking", dict(stored_ranking(i).items())).sha256 for i in (bm25_id, minilm_id)
    ]

    theirs = reciprocal_rank_fusion([pyserini_trec_run(stored_ranking(i)) for i in (bm25_id, minilm_id)], rrf_k=60, depth=1000, k=1000)
    ours = stored_ranking(fused_id)
    for query_id in ours.queries:
        mine = ours.hits(query_id)
        group = theirs.run_data[theirs.run_data["topic"] == query_id]
        other = list(zip(group["docid"], group["score"].astype(float), strict=True))
        assert [s for _, s in mine] == [s for _, s in other]  # the same scores in the same order: ranks differ only within ties
        boundary = mine[-1][1]  # the last tie group may be cut at 1,000 differently (doc id ascending vs descending)
        assert {d for d, s in mine if s != boundary} == {d for d, s in other if s != boundary}
        assert mine == sorted(mine, key=lambda h: (h[1], h[0]), reverse=True)  # ties by doc id descending (trec_eval)

    qrels = judged_grades(get_benchmark("beir").load(wide_task).data.qrels)
    pyserini_run = {q: dict(zip(g["docid"], g["score"].astype(float), strict=True)) for q, g in theirs.run_data.groupby("topic")}
    theirs_ndcg = pytrec_eval.RelevanceEvaluator(qrels, {"ndcg_cut.10"}).evaluate(pyserini_run)
    for query_id in qrels:
        assert ours_ndcg[query_id] == pytest.approx(theirs_ndcg.get(query_id, {}).get("ndcg_cut_10", 0.0), abs=1e-9)


def test_a_missing_source_run_names_the_command_and_stores_nothing(wide_task):  # noqa: F811
    store_source("all-MiniLM-L6-v2", wide_task, 2)
    result = CliRunner().invoke(main, ["run", "bm25-minilm-rrf", "--tasks", wide_task.id])
    assert result.exit_code == 1
    assert f"make it with 'leaderboard run bm25-flat --tasks {wide_task.id}'" in result.output and "Traceback" not in result.output
    with session_factory(make_engine())() as session:
        assert session.scalar(select(func.count()).select_from(schema.Run)) == 1


def test_rrf_and_interpolation_by_hand():
    a = {"q": [("x", 3.0), ("y", 2.0), ("z", 1.0)]}
    b = {"q": [("y", 10.0), ("w", 0.0)]}
    fused = rrf([a, b], k=60, depth=2)  # z is below depth 2 in a
    assert fused["q"] == {"x": 1 / 61, "y": 1 / 62 + 1 / 61, "w": 1 / 62}
    minmax = interpolate([a, b], weights=[1.0, 2.0], normalization="minmax", depth=3)
    assert minmax["q"] == {"x": 1.0, "y": 0.5 + 2.0, "z": 0.0, "w": 0.0}
    zscore = interpolate([a, b], weights=[1.0, 1.0], normalization="zscore", depth=3)
    std = np.std([3.0, 2.0, 1.0])
    assert zscore["q"] == pytest.approx({"x": 1 / std, "y": 0.0 + 1.0, "z": -1 / std, "w": -1.0})


def test_the_site_shows_fused_rows_as_such_and_the_model_page_links_its_sources(wide_task):  # noqa: F811
    from web import create_app

    store_source("bm25-flat", wide_task, 1), store_source("all-MiniLM-L6-v2", wide_task, 2)
    assert invoke("run", "bm25-minilm-rrf", "--tasks", wide_task.id).exit_code == 0
    client = create_app().test_client()
    model_page = client.get("/models/bm25-minilm-rrf").get_data(as_text=True)
    assert (
        'id="fusion-sources"' in model_page and 'href="/models/bm25-flat"' in model_page and 'href="/models/all-MiniLM-L6-v2"' in model_page
    )
    board = client.get("/benchmarks/beir").get_data(as_text=True)
    assert board.count('class="badge fused"') == 1  # the fused row only
    task_page = client.get(f"/tasks/{wide_task.id}").get_data(as_text=True)
    assert 'class="badge fused"' in task_page and 'id="explore-link"' in task_page


def test_a_source_run_on_other_data_is_never_fused():
    from common.errors import UserError
    from runners.fusion import FusionRetriever, SourceRun

    config = ModelConfig.model_validate(fusion_config(method="rrf", runs=["bm25-flat", "splade-tiny"]))
    sources = [
        SourceRun("bm25-flat", "beir/x", 1, "a" * 64, "1" * 64, {"q": [("d", 1.0)]}),
        SourceRun("splade-tiny", "beir/x", 2, "b" * 64, "2" * 64, {"q": [("d", 1.0)]}),
    ]
    with pytest.raises(UserError, match=r"run 2 of splade-tiny was made on other data .*leaderboard run splade-tiny --tasks beir/x"):
        FusionRetriever(config, sources).retrieve({"d": {}}, {"q": "?"}, 1000, "1" * 64)
    result = FusionRetriever(config, [sources[0], SourceRun("splade-tiny", "beir/x", 3, "c" * 64, "1" * 64, {"q": [("e", 2.0)]})]).retrieve(
        {"d": {}, "e": {}}, {"q": "?"}, 1000, "1" * 64
    )
    assert result.run == {"q": {"e": 1 / 61, "d": 1 / 61}}  # a tie: both first in one source
    assert [s["run_id"] for s in result.counters["fusion"]["sources"]] == [1, 3]
