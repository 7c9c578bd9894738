"""A config file for a model the project has never seen runs on SciFact and STS-B with no code change.

The test builds a sentence-transformers folder of its own (a tiny random BERT, cls pooling and
normalisation in its files) and a plain Hugging Face encoder folder (no sentence-transformers
files at all: documented defaults), writes a YAML config for each and runs `leaderboard run`.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from benchmarks.registry import all_tasks
from leaderboard import schema
from leaderboard.cli import main
from leaderboard.db import make_engine, session_factory
from tests.conftest import SHARED_DATA
from tests.integration.conftest import require
from tests.tiny_models import make_tiny_st_model

pytestmark = [pytest.mark.integration, pytest.mark.also_on_postgresql]


def run_cli(config_path, tasks: str):
    return CliRunner().invoke(main, ["run", str(config_path), "--tasks", tasks], catch_exceptions=False)


def stored_runs() -> dict[str, tuple[dict, dict[str, float]]]:
    with session_factory(make_engine())() as session:
        runs = session.scalars(select(schema.Run)).all()
        return {run.task_id: (run.manifest, {s.metric: s.value for s in run.scores}) for run in runs}


def test_sentence_transformers_folder_runs_on_scifact_and_stsb(shared_data, tmp_path):
    if "sts/stsb" not in all_tasks():
        pytest.skip("sts/stsb is not registered yet (the STS benchmark is built in another issue)")
    require((SHARED_DATA / "sts" / "stsbenchmark").is_dir(), f"no STS-B under {SHARED_DATA}")
    folder = make_tiny_st_model(tmp_path / "never-seen", pooling="cls", normalize=True, max_length=64, seed=3)
    config = tmp_path / "never-seen.yaml"
    config.write_text(f"name: never-seen\nfamily: [dense]\nbackend: dense\nweights: {{path: {folder}}}\nbatch_size: 128\n")
    result = run_cli(config, "beir/scifact,sts/stsb")
    assert result.exit_code == 0, result.output
    runs = stored_runs()
    assert set(runs) == {"beir/scifact", "sts/stsb"}
    manifest, scores = runs["beir/scifact"]
    assert (manifest["model"]["pooling"], manifest["model"]["normalize"], manifest["model"]["max_length"]) == ("cls", True, 64)
    assert manifest["model"]["settings_origin"]["pooling"] == "sentence-transformers files"
    assert 0 <= scores["ndcg_at_10"] <= 1
    _, sts_scores = runs["sts/stsb"]
    assert -1 <= sts_scores["cosine_spearman"] <= 1


def test_plain_hf_encoder_folder_runs_on_scifact_with_defaults(shared_data, tmp_path):
    from tests.unit.test_dense_st_modules import plain_hf_encoder

    folder = plain_hf_encoder(tmp_path / "plain-hf", max_positions=48)
    config = tmp_path / "plain.yaml"
    config.write_text(f"name: plain-hf\nfamily: [dense]\nbackend: dense\nweights: {{path: {folder}}}\nbatch_size: 128\n")
    result = run_cli(config, "beir/scifact")
    assert result.exit_code == 0, result.output
    manifest, scores = stored_runs()["beir/scifact"]
    model = manifest["model"]
    assert (model["pooling"], model["normalize"], model["max_length"], model["similarity"]) == ("mean", False, 48, "cosine")
    assert model["settings_origin"] == {"pooling": "default", "normalize": "default", "max_length": "model files"}
    assert 0 <= scores["ndcg_at_10"] <= 1
