"""The reference registry: every config pinned, described and sourced; zero-shot flags; remote code refused."""

from __future__ import annotations

import re

import pytest

from benchmarks.registry import benchmark_ids
from common.errors import UserError
from submissions.registry import REFERENCE_DIR, reference_configs, resolve_model
from submissions.schema import load_config, parse_config

RUNNABLE_HERE = {"bm25-flat", "bm25-multifield", "bm25s-flat", "all-MiniLM-L6-v2", "splade-tiny"}
STANDARD_SET = {
    "contriever",
    "contriever-msmarco",
    "splade-pp-ed",
    "bge-base-en-v1.5",
    "bge-small-en-v1.5",
    "e5-base-v2",
    "all-mpnet-base-v2",
    "LaBSE",
    "sup-simcse-bert-base-uncased",
    "unsup-simcse-bert-base-uncased",
}
# metric names shared with the benchmark runners (retrieval, STS, Tatoeba)
METRICS = {
    "ndcg_at_10",
    "recall_at_100",
    "recall_at_1000",
    "map_at_100",
    "mrr_at_10",
    "precision_at_10",
    "cosine_spearman",
    "f1",
    "accuracy",
}


@pytest.fixture(scope="module")
def configs():
    return reference_configs()


def test_registry_has_both_kinds(configs):
    assert set(configs) >= RUNNABLE_HERE | STANDARD_SET
    for name, (_config, path) in configs.items():
        assert path.stem == name


def test_every_model_with_weights_is_pinned_and_described(configs):
    for name, (config, _path) in configs.items():
        assert config.family, name
        assert config.description, name
        assert config.metadata.license and config.metadata.url, name
        if config.backend == "bm25":
            continue
        if config.backend == "fusion":  # no weights: its sources are pinned (each a reference config checked here)
            assert config.fusion is not None and all(source in configs for source in config.fusion.runs), name
            continue
        weights = config.weights
        assert weights is not None, name
        if weights.hf:
            assert re.fullmatch(r"[0-9a-f]{40}", weights.revision or ""), f"{name}: revision must be a full commit sha"
        if weights.package and not weights.hf:
            assert weights.sha256, f"{name}: a package without a Hub revision must pin its file hashes"
        assert config.metadata.parameters and config.metadata.embedding_dim, name
        assert config.metadata.training_datasets, f"{name}: training datasets drive the zero-shot flag"


def test_reported_numbers_have_sources_and_known_names(configs):
    from benchmarks.registry import all_tasks

    known = METRICS | {metric for task in all_tasks().values() for metric in task.metrics}
    for name, (config, _path) in configs.items():
        for reported in config.reported:
            assert reported.task.split("/")[0] in benchmark_ids(), (name, reported.task)
            assert reported.metric in known, (name, reported.metric)
            assert 0 <= reported.value <= 1, (name, reported)
            assert len(reported.source) > 10, (name, reported)


def test_settings_that_make_or_break_reproduction(configs):
    def get(name):
        return configs[name][0]

    assert (get("e5-base-v2").query_prompt, get("e5-base-v2").document_prompt) == ("query: ", "passage: ")
    for bge in ("bge-base-en-v1.5", "bge-small-en-v1.5"):
        assert get(bge).query_prompt == "Represent this sentence for searching relevant passages: "
        assert (get(bge).pooling, get(bge).normalize, get(bge).document_prompt) == ("cls", True, "")
    for contriever in ("contriever", "contriever-msmarco"):
        assert (get(contriever).pooling, get(contriever).normalize, get(contriever).similarity) == ("mean", False, "dot")
    assert get("sup-simcse-bert-base-uncased").pooling == "pooler"  # SimCSE's "cls": [CLS] through the MLP
    assert get("unsup-simcse-bert-base-uncased").pooling == "cls"  # SimCSE's "cls_before_pooler"
    assert get("splade-tiny").backend == get("splade-pp-ed").backend == "splade"


def test_published_numbers_from_reference_md(configs):
    def value(name, task, metric):
        return next(r.value for r in configs[name][0].reported if r.task == task and r.metric == metric)

    assert value("splade-pp-ed", "beir/scifact", "ndcg_at_10") == 0.7036
    assert value("contriever", "beir/scifact", "recall_at_100") == 0.9260
    assert value("contriever-msmarco", "beir/scifact", "ndcg_at_10") == 0.6768
    assert value("bge-base-en-v1.5", "beir/scifact", "ndcg_at_10") == 0.7408
    assert value("bge-small-en-v1.5", "beir/scifact", "ndcg_at_10") == 0.71273
    assert value("sup-simcse-bert-base-uncased", "sts/stsb", "cosine_spearman") == 0.8426
    assert value("LaBSE", "tatoeba", "f1") == 0.8114
    simcse = [r.value for r in configs["sup-simcse-bert-base-uncased"][0].reported]
    assert round(sum(simcse) / len(simcse) * 100, 2) == 81.58  # the paper's average


def test_zero_shot_flags_follow_training_datasets(configs):
    from benchmarks.registry import get_task
    from benchmarks.zero_shot import training_match

    def zero_shot(config, task_id):
        return training_match(config.metadata.training_datasets, get_task(task_id)).state

    minilm = configs["all-MiniLM-L6-v2"][0]
    assert zero_shot(minilm, "beir/msmarco") is False and zero_shot(minilm, "beir/nq") is False
    assert zero_shot(minilm, "beir/scifact") is True
    assert training_match(configs["splade-pp-ed"][0].metadata.training_datasets, get_task("beir/msmarco")).matched == "MSMARCO"
    assert zero_shot(configs["sup-simcse-bert-base-uncased"][0], "sts/stsb") is True  # trained on NLI, not STS
    assert zero_shot(configs["bm25s-flat"][0], "beir/msmarco") is True  # bm25 learns nothing: [] by the schema
    stsb_trained = parse_config(
        "name: x\nfamily: [dense]\nbackend: dense\nweights: {path: /x}\nmetadata: {training_datasets: [STSBenchmark, FiQA2018]}\n", "c"
    )
    assert zero_shot(stsb_trained, "sts/stsb") is False and zero_shot(stsb_trained, "beir/fiqa") is False


REMOTE = "name: x\nfamily: [dense]\nbackend: dense\nweights: {hf: org/x, revision: " + "a" * 40 + "}\ntrust_remote_code: true\n"


def test_remote_code_is_refused_for_user_configs(tmp_path):
    with pytest.raises(UserError, match=r"c\.yaml: .*trust_remote_code: refused"):
        parse_config(REMOTE, "c.yaml")
    assert parse_config(REMOTE, "c.yaml", allow_remote_code=True).trust_remote_code
    path = tmp_path / "remote.yaml"
    path.write_text(REMOTE)
    with pytest.raises(UserError, match="trust_remote_code: refused"):
        resolve_model(str(path))


def test_reference_files_load_by_path_too():
    config, path = resolve_model(str(REFERENCE_DIR / "splade-tiny.yaml"))
    assert config.name == "splade-tiny" and path.name == "splade-tiny.yaml"
    assert load_config(path) == config
