"""One loaded model per run, shared by every capability; results come back from calls, not side channels (runners/session.py)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from benchmarks.registry import all_tasks
from benchmarks.tatoeba.benchmark import tatoeba_task
from benchmarks.tatoeba.catalog import TatoebaLanguage
from runners.execute import run_task
from runners.protocols import RetrievalResult
from runners.session import ModelSession, TaskNotSupported
from submissions.schema import ModelConfig
from tests.tiny_models import make_tiny_st_model
from tests.unit.test_tatoeba import write_pair


def dense(folder, **overrides) -> ModelConfig:
    return ModelConfig(name="tiny-dense", family=["dense"], backend="dense", weights={"path": str(folder)}, batch_size=2, **overrides)


@pytest.fixture
def pair_task(tmp_path, monkeypatch):
    write_pair(tmp_path / "data" / "tatoeba" / "v1", "tst", ["the cell", "sleep and memory", "vaccine"], ["cell", "memory", "the vaccine"])
    task = replace(tatoeba_task("deu"), id="tatoeba/tst-eng", info=TatoebaLanguage("tst", 3), expected_counts={"pairs": 3})
    monkeypatch.setitem(all_tasks(), task.id, task)
    return task


@pytest.fixture
def loads(monkeypatch):
    """Count how often a dense model is loaded."""
    from runners.dense import DenseEncoder

    calls: list[int] = []
    original = DenseEncoder.__init__

    def init(self, *args, **kwargs):
        calls.append(1)
        original(self, *args, **kwargs)

    monkeypatch.setattr(DenseEncoder, "__init__", init)
    return calls


def test_a_sentence_task_reaches_the_encoder_without_building_a_retriever(pair_task, tmp_path, monkeypatch):
    from runners import dense_retriever

    def refuse(self, encoder):
        raise AssertionError("the Tatoeba runner built a retriever")

    monkeypatch.setattr(dense_retriever.DenseRetriever, "__init__", refuse)
    outcome = run_task(ModelSession(dense(make_tiny_st_model(tmp_path / "m"))), pair_task)
    assert outcome.scores["f1"].per_query and outcome.manifest["model"]["backend"] == "dense"


def test_beir_and_tatoeba_in_one_session_load_the_model_once_and_record_the_load_once(tiny_task, pair_task, tmp_path, loads):
    session = ModelSession(dense(make_tiny_st_model(tmp_path / "m")))
    first, second, third = run_task(session, pair_task), run_task(session, tiny_task), run_task(session, pair_task)
    assert loads == [1]  # the dense retriever wraps the session's sentence encoder
    assert session.retriever.encoder is session.sentence_encoder
    assert "load_model" in first.manifest["timings_s"]
    assert "load_model" not in second.manifest["timings_s"] and "load_model" not in third.manifest["timings_s"]


def test_a_sentence_task_after_a_retrieval_task_carries_no_retrieval_counters(tiny_task, pair_task, tmp_path):
    """The counters of a retrieve() call are that call's result; nothing of it leaks into the next task's manifest."""
    session = ModelSession(dense(make_tiny_st_model(tmp_path / "m"), dims=[4]))
    beir = run_task(session, tiny_task)
    tatoeba = run_task(session, pair_task)
    assert {"cache_misses", "encoding_passes", "corpus_docs_per_s", "matryoshka_dims"} <= set(beir.manifest["model"])
    leaked = {"cache_hits", "cache_misses", "encoding_passes", "corpus_docs_per_s", "matryoshka_dims"} & set(tatoeba.manifest["model"])
    assert not leaked, leaked
    assert tatoeba.manifest["model"]["embedding_dim"] == 16 and tatoeba.manifest["matryoshka_dims"] == [4]


def test_retrieve_returns_its_run_variants_timings_and_counters(tiny_task, tmp_path):
    from benchmarks.beir.loader import load_split

    retriever = ModelSession(dense(make_tiny_st_model(tmp_path / "m"), dims=[8])).retriever
    data = load_split(tiny_task.folder, tiny_task.split, tiny_task.id)
    result = retriever.retrieve(data.corpus, data.queries, 10, data.sha256)
    assert isinstance(result, RetrievalResult) and set(result.run) == set(data.queries)
    assert set(result.variants) == {"dim=8"} and {"encode_corpus", "encode_queries", "search", "search_dim=8"} <= set(result.phase_times)
    assert result.counters["embedding_dim"] == 16
    assert not {"phase_times", "counters", "variant_runs"} & set(vars(retriever))  # no per-call state on the retriever
    assert "search" in retriever.describe() and "corpus_docs_per_s" not in retriever.describe()


@pytest.mark.parametrize(
    ("backend", "capability", "message"),
    [
        ("bm25", "sentence_encoder", "does not embed sentences"),
        ("bm25", "image_text_scorer", "is not an image-text model"),
        ("clip", "retriever", "does not run text retrieval"),
        ("clip", "sentence_encoder", "does not embed sentences"),
    ],
)
def test_a_capability_the_backend_lacks_is_a_skip_before_anything_loads(backend, capability, message):
    extra = {"bm25": {"engine": "bm25s"}} if backend == "bm25" else {"weights": {"path": "/nowhere"}}
    config = ModelConfig(name="m", family=["sparse" if backend == "bm25" else "contrastive"], backend=backend, **extra)
    with pytest.raises(TaskNotSupported, match=message):
        getattr(ModelSession(config), capability)


def test_sts_gold_is_item_data_of_the_run_not_a_score(tmp_path, monkeypatch):
    """The runner hands on evaluate()'s item data; 'gold_score' is not among the scores of the run or its variants."""
    from benchmarks.metrics.sts import GOLD_SCORE
    from benchmarks.sts.benchmark import sts_task
    from tests.unit.test_sts import SEMEVAL, write_semeval

    write_semeval(tmp_path / "data" / SEMEVAL.folder)
    task = sts_task(SEMEVAL)
    outcome = run_task(ModelSession(dense(make_tiny_st_model(tmp_path / "m"), dims=[8])), task)
    assert set(outcome.item_data) == {"gold"} and outcome.item_data["gold"]["beta:1"] == pytest.approx(3.25 / 5)
    assert GOLD_SCORE not in outcome.scores and GOLD_SCORE not in outcome.variant_scores["dim=8"]
    assert set(outcome.item_data["gold"]) == set(outcome.scores["cosine_spearman"].per_query)
