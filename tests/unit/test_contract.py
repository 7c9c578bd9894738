"""The benchmark contract and the one registry (benchmarks/contract.py, benchmarks/registry.py)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pytest

from benchmarks import registry
from benchmarks.contract import DataMismatch, Evaluation, Loaded, LoadedData, MetricDefinition, SentenceEmbeddings, Task
from benchmarks.data_status import data_status, require_verified
from benchmarks.metrics.retrieval import MetricResult
from common.errors import UserError
from tests.conftest import TINY_DOCS, TINY_QRELS, TINY_QUERIES, write_beir

pytestmark = pytest.mark.no_db


def test_every_builtin_benchmark_implements_the_contract():
    assert registry.benchmark_ids()[:4] == ("beir", "sts", "tatoeba", "aro")
    capabilities = {}
    for benchmark in registry.benchmarks():
        assert benchmark.name and benchmark.description, benchmark.id
        assert benchmark.main_metric in benchmark.metrics, benchmark.id
        assert all(isinstance(d, MetricDefinition) and d.name == name for name, d in benchmark.metrics.items())
        for task in benchmark.tasks():
            assert task.benchmark == benchmark.id and task.id.startswith(f"{benchmark.id}/")
            # every metric a task reports is declared (STS's per-pair gold is item data, not a metric)
            assert task.main_score in benchmark.metrics and set(task.metrics) <= set(benchmark.metrics), task.id
        capabilities[benchmark.id] = benchmark.capability
    assert capabilities == {"beir": "retriever", "sts": "sentence_encoder", "tatoeba": "sentence_encoder", "aro": "image_text_scorer"}


def test_names_blurbs_and_metric_definitions_come_from_the_benchmark():
    assert [(b.name, b.description) for b in registry.benchmarks()][:4] == [
        ("BEIR", "zero-shot retrieval"),
        ("STS", "semantic textual similarity"),
        ("Tatoeba", "bitext mining"),
        ("ARO", "vision-language compositionality"),
    ]
    assert registry.metric("beir/scifact", "ndcg_at_10").label == "nDCG@10"
    spearman = registry.metric(registry.get_task("sts/stsb"), "cosine_spearman")
    assert (spearman.label, spearman.aggregation, spearman.correlation) == ("Spearman (cos)", "correlation", "spearman")
    assert registry.metric("aro/vg-relation", "macro_accuracy").aggregation == "macro"
    assert registry.metric("aro/coco-order", "precision_at_1").aggregation == "mean"
    assert registry.metric("tatoeba/deu-eng", "f1").aggregation == "mean"
    assert registry.metric("sts/stsb", "gold_score") is None and registry.metric("nope/x", "f1") is None


def test_a_correlation_names_its_kind():
    with pytest.raises(ValueError, match="correlation names its kind"):
        MetricDefinition("r", "r", "a correlation", "correlation")
    with pytest.raises(ValueError):
        MetricDefinition("m", "m", "a mean", "mean", "spearman")


def test_backends_reach_benchmarks_through_capabilities():
    from runners.execute import CAPABILITY_RUNNERS
    from runners.session import BACKEND_CAPABILITIES, supports
    from submissions.registry import reference_configs

    assert set(CAPABILITY_RUNNERS) == {"retriever", "sentence_encoder", "image_text_scorer"}
    assert set().union(*BACKEND_CAPABILITIES.values()) <= set(CAPABILITY_RUNNERS)
    configs = reference_configs()
    bm25, minilm, clip = (configs[name][0] for name in ("bm25s-flat", "all-MiniLM-L6-v2", "clip-vit-base-patch32"))
    assert [supports(bm25, b) for b in ("beir", "sts", "tatoeba", "aro")] == [True, False, False, False]
    assert [supports(minilm, b) for b in ("beir", "sts", "tatoeba", "aro")] == [True, True, True, False]
    assert [supports(clip, b) for b in ("beir", "sts", "tatoeba", "aro")] == [False, False, False, True]
    assert not supports(minilm, "no-such-benchmark")


# ------------------------------------------------------------------ load(): verified data
@pytest.fixture
def tiny(tmp_path, monkeypatch) -> Task:
    monkeypatch.setenv("LEADERBOARD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LEADERBOARD_CACHE_DIR", str(tmp_path / "cache"))
    write_beir(tmp_path / "data" / "beir" / "tiny", TINY_DOCS, TINY_QUERIES, TINY_QRELS)
    scifact = registry.get_task("beir/scifact")
    info = replace(scifact.info, name="tiny", subdir="", num_docs=len(TINY_DOCS), num_queries=len(TINY_QUERIES))
    return replace(
        scifact, id="beir/tiny", dataset="tiny", relative_folder="beir/tiny", info=info, expected_counts={"docs": 5, "queries": 3}
    )


def test_load_verifies_counts_and_names_files_relative_to_the_data_dir(tiny):
    beir = registry.get_benchmark("beir")
    loaded = beir.load(tiny)
    assert isinstance(loaded, Loaded) and isinstance(loaded, LoadedData)
    assert loaded.counts == {"docs": 5, "queries": 3} and len(loaded.sha256) == 64
    files = {"corpus": "corpus.jsonl.gz", "queries": "queries.jsonl", "qrels": "qrels/test.tsv"}
    assert loaded.files == {role: f"beir/tiny/{name}" for role, name in files.items()}
    assert set(loaded.data.queries) == {"q1", "q2", "q3"}


def test_other_counts_are_a_data_mismatch_and_data_status_says_mismatch(tiny):
    wrong = replace(tiny, expected_counts={"docs": 6, "queries": 3})
    with pytest.raises(DataMismatch) as caught:
        registry.get_benchmark("beir").load(wrong)
    assert isinstance(caught.value, UserError) and caught.value.found == {"docs": 5, "queries": 3}
    assert "hold 5 docs, but the benchmark publishes 6 docs" in str(caught.value)
    status = data_status(wrong, use_cache=False)
    assert (status.state, status.counts, status.detail) == ("mismatch", {"docs": 5, "queries": 3}, "docs: found 5, published 6")
    assert status.sha256 == registry.get_benchmark("beir").load(tiny).sha256
    with pytest.raises(DataMismatch, match="publishes 6 docs"):
        require_verified(wrong)  # the stamp remembered the mismatch: the same error, without re-reading


def test_a_file_that_does_not_parse_is_corrupt(tiny):
    (tiny.folder / "queries.jsonl").write_text('{"_id": "q1", "text": "x"}\nnot json\n')
    status = data_status(tiny, use_cache=False)
    assert status.state == "corrupt" and "queries.jsonl line 2: not valid JSON" in status.detail
    assert data_status(replace(tiny, relative_folder="beir/absent"), use_cache=False).state == "missing"


# ------------------------------------------------------------------ evaluate(): the runners' evaluators, unchanged
def test_beir_evaluate_is_the_retrieval_evaluator_with_the_task_settings(tiny):
    from benchmarks.metrics.retrieval import evaluate_retrieval

    beir = registry.get_benchmark("beir")
    data = beir.load(tiny).data
    run = {"q1": {"d1": 2.0, "d2": 1.0}, "q2": {"q2": 9.0, "d5": 1.0}, "q3": {"d3": 1.0}}
    evaluation = beir.evaluate(tiny, data, run)
    direct = evaluate_retrieval(data.qrels, run, tiny.metrics, depth=1000, remove_identical_ids=True)
    assert {m: (r.value, r.per_query) for m, r in evaluation.scores.items()} == {m: (r.value, r.per_query) for m, r in direct.items()}


def test_sts_evaluate_gives_the_gold_as_item_data_and_the_same_gold_score_row():
    from benchmarks.metrics.sts import GOLD_SCORE, evaluate_sts
    from benchmarks.sts.benchmark import gold_score_row
    from benchmarks.sts.loader import StsData, StsPair

    rng = np.random.default_rng(0)
    pairs = [StsPair(f"p{i}", f"a{i}", f"b{i}", float(rng.uniform(0, 5))) for i in range(40)]
    data = StsData(pairs=pairs, sha256="", subsets={"x": 40})
    left, right = rng.normal(size=(40, 8)).astype(np.float32), rng.normal(size=(40, 8)).astype(np.float32)
    task = registry.get_task("sts/stsb")
    sts = registry.get_benchmark("sts")
    assert sts.texts(task, data) == [p.sentence1 for p in pairs] + [p.sentence2 for p in pairs]
    row = {text: i for i, text in enumerate(sts.texts(task, data))}
    embeddings = SentenceEmbeddings(np.concatenate([left, right]), row, "cosine")
    evaluation = sts.evaluate(task, data, embeddings)
    direct = evaluate_sts(left, right, [p.score for p in pairs], [p.id for p in pairs])
    gold = direct.pop(GOLD_SCORE)
    assert {m: (r.value, r.per_query) for m, r in evaluation.scores.items()} == {m: (r.value, r.per_query) for m, r in direct.items()}
    assert evaluation.item_data == {"gold": gold.per_query} and evaluation.spec == {"subsets": {"x": 40}}
    row = gold_score_row(evaluation)
    assert row.value == gold.value and row.per_query == gold.per_query  # bit for bit: the row runs store today


def test_tatoeba_and_aro_evaluate_call_their_evaluators():
    from benchmarks.aro.benchmark import CaptionScores
    from benchmarks.aro.loader import AroCase, AroData
    from benchmarks.aro.metrics import evaluate_aro
    from benchmarks.metrics.bitext import evaluate_bitext
    from benchmarks.tatoeba.loader import TatoebaPair

    tatoeba = registry.get_benchmark("tatoeba")
    pair = TatoebaPair("deu", ["x0", "x1", "x2", "x3"], ["e0", "e1", "e2", "e3"], "")
    vectors = {"x0": [1, 0, 0], "x1": [0, 0.9, 1], "x2": [0, 0, 1], "x3": [0, 1, 0], "e0": [1, 0, 0], "e1": [0, 1, 0.1], "e2": [0, 0, 1]}
    vectors["e3"] = [0, 1, 0]
    texts = tatoeba.texts(registry.get_task("tatoeba/deu-eng"), pair)
    embeddings = SentenceEmbeddings(np.array([vectors[t] for t in texts], dtype=np.float32), {t: i for i, t in enumerate(texts)})
    found = np.array([0, 2, 2, 3])  # x1 is closest to e2: one miss
    got = tatoeba.evaluate(registry.get_task("tatoeba/deu-eng"), pair, embeddings).scores
    assert {m: r.value for m, r in got.items()} == {m: r.value for m, r in evaluate_bitext(found).items()}
    cases = [AroCase(str(i), "x.jpg", None, ("right", "wrong"), 0) for i in range(3)]
    scores = [[0.9, 0.1], [0.2, 0.8], [0.5, 0.5]]
    order = registry.get_task("aro/coco-order")
    evaluation = registry.get_benchmark("aro").evaluate(order, AroData(cases, None, ""), CaptionScores(scores))
    assert {m: r.value for m, r in evaluation.scores.items()} == {m: r.value for m, r in evaluate_aro("order", cases, scores).items()}


# ------------------------------------------------------------------ registering a benchmark
@dataclass
class ToyBenchmark:
    """The smallest thing that satisfies the contract: one task whose score is the share of items answered 'yes'."""

    id: str = "toy"
    name: str = "Toy"
    description: str = "a benchmark made in a test"
    capability: str = "sentence_encoder"
    main_metric: str = "yes_rate"
    fetch: None = None

    @property
    def metrics(self):
        return {"yes_rate": MetricDefinition("yes_rate", "Yes rate", "share of items answered yes")}

    def tasks(self):
        return [Task("toy/one", "toy", "one", "test", "yes_rate", ("yes_rate",), {"main_score": "yes_rate"}, expected_counts={"items": 2})]

    def missing_files(self, task):
        return []

    def load(self, task):
        return LoadedData(["a", "b"], {"items": 2}, "0" * 64, {})

    def evaluate(self, task, data, predictions):
        per_item = {item: float(answer == "yes") for item, answer in zip(data, predictions, strict=True)}
        return Evaluation({"yes_rate": MetricResult(sum(per_item.values()) / len(per_item), per_item)})


def test_a_benchmark_registered_through_the_contract_is_everywhere_the_registry_is():
    toy = ToyBenchmark()
    registry.register(toy)
    try:
        assert registry.benchmark_ids()[-1] == "toy" and registry.get_benchmark("toy") is toy
        assert registry.get_task("toy/one").main_score == "yes_rate" and registry.expand_task_ids("toy") == ["toy/one"]
        assert registry.metric("toy/one", "yes_rate").label == "Yes rate"
        assert data_status(registry.get_task("toy/one"), use_cache=False).state == "verified"
        assert toy.evaluate(None, toy.load(None).data, ["yes", "no"]).scores["yes_rate"].value == 0.5
        with pytest.raises(ValueError, match="already registered"):
            registry.register(toy)
    finally:
        registry.unregister("toy")
    assert "toy/one" not in registry.all_tasks()
    with pytest.raises(UserError, match="unknown benchmark 'toy'"):
        registry.get_benchmark("toy")
