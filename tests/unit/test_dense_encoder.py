"""Our transformers-based encoder gives sentence-transformers' embeddings for the same folder."""

import numpy as np
import pytest

from runners.dense import DenseEncoder, resolve_settings
from submissions.schema import ModelConfig
from tests.tiny_models import make_tiny_st_model

TEXTS = ["vitamin deficiency and bone fracture", "cancer", "  sleep and memory of the immune cell  ", "measles vaccine " * 30]


def config_for(folder, **overrides) -> ModelConfig:
    return ModelConfig(name="tiny", family=["dense"], backend="dense", weights={"path": str(folder)}, **{"batch_size": 2, **overrides})


@pytest.mark.parametrize("pooling", ["mean", "cls", "last"])
def test_matches_sentence_transformers(tmp_path, pooling):
    sentence_transformers = pytest.importorskip("sentence_transformers")
    folder = make_tiny_st_model(tmp_path / "m", pooling=pooling, max_length=16)
    ours = DenseEncoder(config_for(folder), folder, "cpu").encode(TEXTS)
    theirs = sentence_transformers.SentenceTransformer(str(folder), device="cpu").encode(TEXTS, batch_size=2, convert_to_numpy=True)
    assert np.allclose(ours, theirs, atol=1e-5)


def test_settings_come_from_st_files_unless_configured(tmp_path):
    folder = make_tiny_st_model(tmp_path / "m", pooling="cls", normalize=False, max_length=20)
    settings = resolve_settings(config_for(folder), folder)
    assert (settings.pooling, settings.normalize, settings.max_length) == ("cls", False, 20)
    assert settings.origin["pooling"] == "sentence-transformers files"
    settings = resolve_settings(config_for(folder, pooling="mean", max_length=8), folder)
    assert (settings.pooling, settings.max_length, settings.origin["pooling"]) == ("mean", 8, "config")


def test_prompts_change_embeddings(tmp_path):
    folder = make_tiny_st_model(tmp_path / "m")
    encoder = DenseEncoder(config_for(folder), folder, "cpu")
    assert not np.allclose(encoder.encode(["cancer"]), encoder.encode(["cancer"], prompt="memory: "))
    assert np.allclose(np.linalg.norm(encoder.encode(TEXTS), axis=1), 1.0, atol=1e-5)


def test_token_budget_batches_give_the_same_embeddings_within_their_budget(tmp_path, monkeypatch):
    """batch_tokens: dynamic batches (many short texts, few long ones) never exceed the budget of
    padded tokens, and embeddings equal the fixed-count batching's."""
    folder = make_tiny_st_model(tmp_path / "m", max_length=64)
    texts = [f"{'measles vaccine ' * (i % 9)} text {i}" for i in range(40)]
    fixed = DenseEncoder(config_for(folder, batch_size=8), folder, "cpu").encode(texts)
    dynamic = DenseEncoder(config_for(folder, batch_size=32, batch_tokens=96), folder, "cpu")
    shapes: list[tuple[int, int]] = []
    original = dynamic.model.forward

    def forward(**batch):
        shapes.append(tuple(batch["input_ids"].shape))
        return original(**batch)

    monkeypatch.setattr(dynamic.model, "forward", forward)
    assert np.allclose(dynamic.encode(texts), fixed, atol=1e-5)
    assert all(rows * width <= 96 for rows, width in shapes)
    assert max(rows for rows, _ in shapes) > min(rows for rows, _ in shapes)  # batch size follows length
    assert sum(rows for rows, _ in shapes) == len(texts)
