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


def test_batch_order_tokens_groups_texts_by_what_the_model_sees(tmp_path, monkeypatch):
    """``ordered_by("tokens")`` (Tatoeba's order) batches texts of many tokens per character (another
    script, rare spellings) with their own kind; the default, sentence-transformers' character
    order, pads short-but-many-token texts to the width of long-but-few-token ones."""
    folder = make_tiny_st_model(tmp_path / "m", max_length=64)
    # characters order these A, C | B, D (batches 18 and 10 wide); tokens order C, D | A, B (18 and 6)
    texts = [
        "vitamin deficiency fracture calcium",  # A: 35 characters, 4 tokens
        "xqzk jvwb qzxk wvjb",  # C: 19 characters, 16 word pieces
        "measles vaccine",  # B: 15 characters, 2 tokens
        "xqzk jvwb",  # D: 9 characters, 8 word pieces
    ]
    by_characters = DenseEncoder(config_for(folder, batch_size=2), folder, "cpu")
    by_tokens = by_characters.ordered_by("tokens")
    assert by_characters.order == "characters" and by_tokens.model is by_characters.model
    widths: list[int] = []
    original = by_characters.model.forward

    def forward(**batch):
        widths.append(int(batch["input_ids"].shape[1]))
        return original(**batch)

    monkeypatch.setattr(by_characters.model, "forward", forward)
    characters = by_characters.encode(texts)
    assert widths == [18, 10]
    widths.clear()
    tokens = by_tokens.encode(texts)
    assert [sorted(int(i) for i in batch) for batch in by_tokens._batches(texts)] == [[1, 3], [0, 2]]
    assert widths == [18, 6]  # [CLS] + 16 pieces + [SEP], then [CLS] + 4 words + [SEP]
    assert np.allclose(tokens, characters, atol=1e-5)  # grouping changes float rounding only
