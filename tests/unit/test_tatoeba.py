"""Tatoeba: the 112 pairs, the loader, the search direction, the aggregate and the runner."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from benchmarks.registry import expand_task_ids
from benchmarks.tatoeba.aggregate import PAIR_TASK_IDS, tatoeba_mean
from benchmarks.tatoeba.benchmark import BENCHMARK, tatoeba_task
from benchmarks.tatoeba.catalog import LANGUAGES, TOTAL_PAIRS, TatoebaLanguage, num_pairs
from benchmarks.tatoeba.loader import load_pair, missing_files
from common.errors import UserError
from leaderboard import schema
from leaderboard.cli import main
from leaderboard.db import make_engine, session_factory
from runners.run_sentences import run_sentences
from runners.session import ModelSession
from submissions.schema import ModelConfig
from tests.tiny_models import make_tiny_st_model


def write_pair(folder: Path, language: str, other: list[str], english: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"tatoeba.{language}-eng.{language}").write_text("".join(f"{line}\n" for line in other), encoding="utf-8")
    (folder / f"tatoeba.{language}-eng.eng").write_text("".join(f"{line}\n" for line in english), encoding="utf-8")
    return folder


# ---------------------------------------------------------------- catalogue
def test_112_pairs_88877_sentences_and_all_expanded_by_benchmark_name():
    assert len(LANGUAGES) == len(set(LANGUAGES)) == 112
    assert sum(num_pairs(language) for language in LANGUAGES) == TOTAL_PAIRS
    ids = [task.id for task in BENCHMARK.tasks()]
    assert ids == list(PAIR_TASK_IDS) and ids[0] == "tatoeba/afr-eng"
    assert expand_task_ids("tatoeba") == ids  # no extra aggregate task to run
    task = tatoeba_task("deu")
    assert (task.main_score, task.metrics[0], task.expected_counts) == ("f1", "f1", {"pairs": 1000})
    assert "deu -> eng" in task.metric_spec["direction"]


def test_sizes_and_languages_equal_mtebs_tatoeba():
    mteb = pytest.importorskip("mteb")
    stats = json.loads((Path(mteb.__file__).parent / "descriptive_stats" / "BitextMining" / "Tatoeba.json").read_text())["test"]
    per_pair = {name.split("-")[0]: value["num_samples"] for name, value in stats["hf_subset_descriptive_stats"].items()}
    assert per_pair == {language: num_pairs(language) for language in LANGUAGES}
    assert stats["num_samples"] == TOTAL_PAIRS


# ---------------------------------------------------------------- loader
def test_loader_keeps_lines_and_checks_alignment(tmp_path):
    folder = write_pair(tmp_path, "tst", ["Hallo Welt.", "Guten Tag!"], ["Hello world.", "Good day!"])
    pair = load_pair(folder, "tst", "tatoeba/tst-eng")
    assert pair.sentences == ["Hallo Welt.", "Guten Tag!"] and pair.english == ["Hello world.", "Good day!"]
    (folder / "tatoeba.tst-eng.eng").write_text("Hello world.\n")
    with pytest.raises(UserError, match=r"1 lines but tatoeba\.tst-eng\.tst has 2"):
        load_pair(folder, "tst", "t")
    (folder / "tatoeba.tst-eng.eng").write_text("Hello world.\n\n")
    with pytest.raises(UserError, match="line 2: empty sentence"):
        load_pair(folder, "tst", "t")


def test_missing_pair_names_files_and_download(tmp_path):
    assert missing_files(tmp_path, "deu") == ["tatoeba.deu-eng.deu", "tatoeba.deu-eng.eng"]
    with pytest.raises(UserError) as err:
        load_pair(tmp_path, "deu", "tatoeba/deu-eng")
    assert "tatoeba.deu-eng.eng" in str(err.value) and "raw.githubusercontent.com/facebookresearch/LASER" in str(err.value)


# ---------------------------------------------------------------- aggregate
def test_aggregate_is_the_mean_over_all_112_pairs_or_nothing():
    per_task = {tid: {"f1": i / 1000, "accuracy": i / 500, "precision": 0.0, "recall": 0.0} for i, tid in enumerate(PAIR_TASK_IDS)}
    mean = tatoeba_mean(per_task)
    assert mean["f1"] == pytest.approx(np.mean(np.arange(112) / 1000)) and mean["accuracy"] == pytest.approx(np.mean(np.arange(112) / 500))
    del per_task["tatoeba/deu-eng"]
    assert tatoeba_mean(per_task) is None


# ---------------------------------------------------------------- runner
class FakeEncoder:
    """Embeddings chosen by hand (a :class:`runners.protocols.SentenceEncoder`); records what it was asked to encode."""

    similarity = "cosine"
    unit_length = False

    def __init__(self, vectors: dict[str, list[float]]):
        self.vectors = vectors
        self.calls: list[tuple[list[str], str]] = []

    def encode(self, texts, prompt="", desc=""):
        self.calls.append((list(texts), prompt))
        return np.array([self.vectors[t] for t in texts], dtype=np.float32)

    def describe(self) -> dict:
        return {"backend": "fake"}


def fake_session(config, encoder) -> ModelSession:
    return ModelSession(config, sentence_encoder=encoder)


def fake_config(**overrides) -> ModelConfig:
    return ModelConfig(name="fake", family=["dense"], backend="dense", weights={"path": "/nowhere"}, **overrides)


def test_search_goes_from_the_other_language_to_english(tmp_path, monkeypatch):
    """x1 -> e0 is wrong in the xxx -> eng direction only; the reverse search would be all right."""
    monkeypatch.setenv("LEADERBOARD_DATA_DIR", str(tmp_path))
    write_pair(tmp_path / "tatoeba" / "v1", "tst", ["x0", "x1"], ["e0", "e1"])
    task = replace(tatoeba_task("deu"), id="tatoeba/tst-eng", info=TatoebaLanguage("tst", 2), expected_counts={"pairs": 2})
    encoder = FakeEncoder({"x0": [1, 0], "x1": [1, 0.1], "e0": [1, 0], "e1": [0, 1]})
    outcome = run_sentences(fake_session(fake_config(query_prompt="q: "), encoder), task)
    assert outcome.scores["accuracy"].value == 0.5
    assert outcome.scores["accuracy"].per_query == {"1": 1.0, "2": 0.0}
    assert outcome.manifest["direction"] == "tst -> eng"
    assert encoder.calls == [(["x0", "x1", "e0", "e1"], "q: ")]


def test_a_sentence_on_both_sides_is_encoded_once(tmp_path, monkeypatch):
    monkeypatch.setenv("LEADERBOARD_DATA_DIR", str(tmp_path))
    write_pair(tmp_path / "tatoeba" / "v1", "tst", ["Tom!", "Ja."], ["Tom!", "Yes."])
    task = replace(tatoeba_task("deu"), id="tatoeba/tst-eng", info=TatoebaLanguage("tst", 2), expected_counts={"pairs": 2})
    encoder = FakeEncoder({"Tom!": [1, 0], "Ja.": [0.2, 1], "Yes.": [0, 1]})
    outcome = run_sentences(fake_session(fake_config(dims=[1]), encoder), task)
    assert encoder.calls == [(["Tom!", "Ja.", "Yes."], "")]
    assert outcome.scores["f1"].value == 1.0 and outcome.manifest["counts"] == {"pairs": 2, "sentences_encoded": 3}
    assert outcome.variant_scores["dim=1"]["accuracy"].value == 0.5  # on the first dimension "Ja." is closest to "Tom!"


def test_dims_larger_than_the_embedding_are_a_user_error(tmp_path, monkeypatch):
    monkeypatch.setenv("LEADERBOARD_DATA_DIR", str(tmp_path))
    write_pair(tmp_path / "tatoeba" / "v1", "tst", ["a"], ["b"])
    task = replace(tatoeba_task("deu"), id="tatoeba/tst-eng", info=TatoebaLanguage("tst", 1), expected_counts={"pairs": 1})
    with pytest.raises(UserError, match="dims lists 64"):
        run_sentences(fake_session(fake_config(dims=[64]), FakeEncoder({"a": [1, 0], "b": [0, 1]})), task)


def test_cli_runs_a_pair_with_a_real_tiny_model_and_skips_bm25(tmp_path, monkeypatch):
    from benchmarks.registry import all_tasks

    write_pair(tmp_path / "data" / "tatoeba" / "v1", "tst", ["the cell", "sleep and memory", "vaccine"], ["cell", "memory", "the vaccine"])
    task = replace(
        tatoeba_task("deu"), id="tatoeba/tst-eng", dataset="tst-eng", info=TatoebaLanguage("tst", 3), expected_counts={"pairs": 3}
    )
    monkeypatch.setitem(all_tasks(), task.id, task)
    folder = make_tiny_st_model(tmp_path / "weights")
    config = tmp_path / "tiny.yaml"
    config.write_text(f"name: tiny-dense\nfamily: [dense]\nbackend: dense\nweights: {{path: {folder}}}\n")
    result = CliRunner().invoke(main, ["run", str(config), "--tasks", task.id], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "tatoeba/tst-eng f1=" in result.output
    with session_factory(make_engine())() as session:
        scores = {s.metric: s for s in session.scalars(select(schema.Score))}
        run = session.scalars(select(schema.Run)).one()
    assert set(scores) == {"f1", "accuracy", "precision", "recall"}
    assert set(scores["f1"].per_query) == {"1", "2", "3"}
    assert run.metric_spec["main_score"] == "f1" and run.manifest["counts"]["pairs"] == 3
    assert run.manifest["model"]["batch_order"] == "tokens"  # both languages in one pass: batched by tokens
    skipped = CliRunner().invoke(main, ["run", "bm25s-flat", "--tasks", task.id], catch_exceptions=False)
    assert skipped.exit_code == 1 and "skipping tatoeba/tst-eng" in skipped.output  # skipped; and running nothing is an error
    assert "can run none of the tasks" in skipped.output
