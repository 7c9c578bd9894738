"""Matryoshka sizes: several truncated dimensions from one encoding pass, stored as score variants."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from benchmarks.metrics.retrieval import evaluate_retrieval
from common.errors import UserError
from leaderboard import schema
from leaderboard.cli import main
from leaderboard.db import make_engine, session_factory
from runners.dense import DenseEncoder
from runners.execute import run_model_on_task
from submissions.schema import ModelConfig, parse_config
from tests.conftest import TINY_QRELS
from tests.tiny_models import make_tiny_st_model


def dense_config(folder, **overrides) -> ModelConfig:
    return ModelConfig(name="tiny-mrl", family=["dense"], backend="dense", weights={"path": str(folder)}, batch_size=2, **overrides)


@pytest.fixture
def counted_encode(monkeypatch):
    """Count DenseEncoder.encode_counted calls (one per corpus or query set means one encoding pass)."""
    calls: list[int] = []
    original = DenseEncoder.encode_counted

    def encode(self, texts, prompt="", desc="encoding"):
        calls.append(len(texts))
        return original(self, texts, prompt, desc)

    monkeypatch.setattr(DenseEncoder, "encode_counted", encode)
    return calls


def test_dims_come_from_one_encoding_pass_and_the_full_size_is_the_run_itself(tiny_task, tmp_path, counted_encode):
    """The one full-size rule (common/variants.py): a size equal to the embedding is the main cell, never a variant."""
    folder = make_tiny_st_model(tmp_path / "m", normalize=True)  # hidden size 16
    outcome = run_model_on_task(dense_config(folder, dims=[8, 16, 4]), tiny_task)
    assert counted_encode == [5, 3]  # the corpus once, the queries once
    assert list(outcome.variant_scores) == ["dim=4", "dim=8"]  # sorted; 16 is the run as configured
    assert outcome.manifest["model"]["matryoshka_dims"] == [4, 8]
    assert outcome.manifest["model"]["embedding_dim"] == 16 and outcome.manifest["model"]["encoding_passes"] == 1


def test_dense_retrieval_and_the_sentence_runner_apply_the_same_size_rule(tiny_task, tmp_path, monkeypatch):
    """BEIR and Tatoeba runs of one config list the same variants and record the same sizes."""
    from dataclasses import replace

    from benchmarks.registry import all_tasks
    from benchmarks.tatoeba.benchmark import tatoeba_task
    from benchmarks.tatoeba.catalog import TatoebaLanguage
    from runners.execute import run_task
    from runners.session import ModelSession
    from tests.unit.test_tatoeba import write_pair

    write_pair(tmp_path / "data" / "tatoeba" / "v1", "tst", ["the cell", "sleep and memory"], ["cell", "memory"])
    pair = replace(tatoeba_task("deu"), id="tatoeba/tst-eng", info=TatoebaLanguage("tst", 2), expected_counts={"pairs": 2})
    monkeypatch.setitem(all_tasks(), pair.id, pair)
    session = ModelSession(dense_config(make_tiny_st_model(tmp_path / "m"), dims=[16, 4]))
    beir, tatoeba = run_task(session, tiny_task), run_task(session, pair)
    assert list(beir.variant_scores) == list(tatoeba.variant_scores) == ["dim=4"]
    assert beir.manifest["model"]["matryoshka_dims"] == tatoeba.manifest["matryoshka_dims"] == [4]


def test_variant_names_are_built_and_parsed_in_one_place():
    from common.variants import Variant, parse_variant, variant_dim, variant_dims, variant_name

    assert variant_name(64) == "dim=64" and parse_variant("dim=64") == Variant(None, 64) and variant_dim("dim=64") == 64
    assert parse_variant("fp16-aro") is None and parse_variant("dim=") is None and parse_variant("dim=064") is None
    assert parse_variant("") == Variant() and parse_variant("dim=-8") is None and variant_dim("") is None
    assert variant_dims(None, 384, "m") == [] and variant_dims([384], 384, "m") == []
    assert variant_dims([256, 64, 64, 384, 128], 384, "m") == [64, 128, 256]
    with pytest.raises(UserError, match=r"model m: dims lists 512, 1024, but the model's embeddings have 384 dimensions"):
        variant_dims([1024, 64, 512], 384, "m")
    with pytest.raises(ValueError):
        variant_name(0)


def test_a_truncated_size_is_truncate_renormalise_search(tiny_task, tmp_path):
    """dim=4 scores equal an independent computation: first 4 coordinates, unit length, cosine ranking."""
    from benchmarks.beir.loader import load_split
    from runners.retrievers import flat_text

    folder = make_tiny_st_model(tmp_path / "m", normalize=False)
    config = dense_config(folder, dims=[4])
    outcome = run_model_on_task(config, tiny_task)
    data = load_split(tiny_task.folder, tiny_task.split, tiny_task.id)
    encoder = DenseEncoder(config, folder, "cpu")
    doc_ids = list(data.corpus)
    docs = encoder.encode([flat_text(data.corpus[d]) for d in doc_ids])[:, :4]
    queries = encoder.encode(list(data.queries.values()))[:, :4]
    docs /= np.linalg.norm(docs, axis=1, keepdims=True)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    scores = queries @ docs.T
    run = {qid: {doc_ids[j]: float(scores[row, j]) for j in range(len(doc_ids))} for row, qid in enumerate(data.queries)}
    expected = evaluate_retrieval(data.qrels, run, tiny_task.metrics, remove_identical_ids=True)
    got = outcome.variant_scores["dim=4"]
    for metric in expected:
        assert got[metric].value == pytest.approx(expected[metric].value, abs=1e-9)
    # per-query values are kept for the variant too (paired tests between sizes)
    assert {q for q, _, _ in TINY_QRELS} == set(got["ndcg_at_10"].per_query)


def test_a_memory_mapped_corpus_gives_the_in_memory_scores(tiny_task, tmp_path, monkeypatch):
    """Over LEADERBOARD_EMBEDDINGS_IN_RAM_MB the corpus matrix is a memmap read chunk by chunk:
    same scores, every variant, to the last digit."""
    folder = make_tiny_st_model(tmp_path / "m", normalize=False)
    config = dense_config(folder, dims=[4, 16])
    in_memory = run_model_on_task(config, tiny_task)
    monkeypatch.setenv("LEADERBOARD_EMBEDDINGS_IN_RAM_MB", "0")
    monkeypatch.setenv("LEADERBOARD_CACHE_DIR", str(tmp_path / "other-cache"))  # encode again, then spill
    mapped = run_model_on_task(config, tiny_task)
    assert mapped.manifest["model"]["memory_mapped_rows"] == 5 + 3  # corpus and queries
    assert "memory_mapped_rows" not in in_memory.manifest["model"]
    for name, scores in [("", (in_memory.scores, mapped.scores))] + [
        (v, (in_memory.variant_scores[v], mapped.variant_scores[v])) for v in in_memory.variant_scores
    ]:
        for metric, result in scores[0].items():
            assert scores[1][metric].per_query == result.per_query, (name, metric)


def test_variants_are_stored_next_to_the_main_scores(tiny_task, tmp_path):
    folder = make_tiny_st_model(tmp_path / "m")
    config = tmp_path / "mrl.yaml"
    config.write_text(f"name: tiny-mrl\nfamily: [dense]\nbackend: dense\nweights: {{path: {folder}}}\ndims: [8, 16]\n")
    result = CliRunner().invoke(main, ["run", str(config), "--tasks", tiny_task.id], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "  dim=8 ndcg_at_10=" in result.output and "dim=16" not in result.output
    with session_factory(make_engine())() as session:
        scores = session.scalars(select(schema.Score).where(schema.Score.metric == "ndcg_at_10")).all()
    by_variant = {score.variant: score for score in scores}
    assert set(by_variant) == {"", "dim=8"}  # the full size (16) is the main cell, stored once
    assert set(by_variant["dim=8"].per_query) == {"q1", "q2", "q3"}


def test_dims_larger_than_the_embedding_are_one_line(tiny_task, tmp_path):
    folder = make_tiny_st_model(tmp_path / "m")
    with pytest.raises(UserError) as err:
        run_model_on_task(dense_config(folder, dims=[8, 32]), tiny_task)
    assert "32" in str(err.value) and "16" in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        ("dims: [0, 8]\n", "dims.0: Input should be greater than 0"),
        ("dims: []\n", "dims: List should have at least 1 item"),
        ("dims: [a]\n", "dims.0: Input should be a valid integer"),
    ],
)
def test_bad_dims_are_named(extra, fragment):
    with pytest.raises(UserError, match=fragment):
        parse_config("name: x\nfamily: [dense]\nbackend: dense\nweights: {path: /tmp/x}\n" + extra, "c.yaml")


def test_dims_are_for_dense_models_only():
    with pytest.raises(UserError, match=r"dims .* apply to backend dense only"):
        parse_config("name: x\nfamily: [sparse]\nbackend: bm25\nbm25: {engine: bm25s}\ndims: [8]\n", "c.yaml")
