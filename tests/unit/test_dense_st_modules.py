"""Dense encoder on folders it has never seen: sentence-transformers modules, new file formats, plain HF encoders."""

from __future__ import annotations

import json

import numpy as np
import pytest

from common.errors import UserError
from runners.dense import DenseEncoder, resolve_settings
from submissions.schema import ModelConfig
from tests.tiny_models import make_tiny_st_model, save_tiny_bert_tokenizer

TEXTS = ["vitamin deficiency and bone fracture", "cancer", "  sleep and memory of the immune cell  ", "measles vaccine " * 30]


def config_for(folder, **overrides) -> ModelConfig:
    return ModelConfig(name="tiny", family=["dense"], backend="dense", weights={"path": str(folder)}, batch_size=2, **overrides)


def resave_with_sentence_transformers(source, target, *, dense: bool):
    """Load a tiny folder with sentence-transformers, add a Dense layer and save it in the current format."""
    st = pytest.importorskip("sentence_transformers")
    import torch

    model = st.SentenceTransformer(str(source), device="cpu")
    modules = [model[0], model[1]]
    if dense:
        torch.manual_seed(1)
        modules.append(st.models.Dense(16, 8, activation_function=torch.nn.Tanh()))
    modules.append(st.models.Normalize())
    st.SentenceTransformer(modules=modules, device="cpu").save(str(target))
    return target


@pytest.mark.parametrize("dense", [True, False])
def test_folder_saved_by_current_sentence_transformers_matches_it(tmp_path, dense):
    st = pytest.importorskip("sentence_transformers")
    folder = resave_with_sentence_transformers(
        make_tiny_st_model(tmp_path / "a", pooling="cls", max_length=16), tmp_path / "b", dense=dense
    )
    encoder = DenseEncoder(config_for(folder), folder, "cpu")
    assert encoder.settings.pooling == "cls"
    assert encoder.settings.dense_layers == (("2_Dense",) if dense else ())
    ours = encoder.encode(TEXTS)
    theirs = st.SentenceTransformer(str(folder), device="cpu").encode(TEXTS, batch_size=2, convert_to_numpy=True)
    assert ours.shape == theirs.shape == (len(TEXTS), 8 if dense else 16)
    assert np.allclose(ours, theirs, atol=1e-5)


def plain_hf_encoder(folder, *, max_positions: int = 64):
    """A Hugging Face encoder folder with no sentence-transformers files at all."""
    import torch
    from transformers import BertConfig, BertModel

    folder.mkdir(parents=True)
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *"abcdefghijklmnopqrstuvwxyz"]
    save_tiny_bert_tokenizer(folder, vocab)
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=8,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=16,
        max_position_embeddings=max_positions,
    )
    BertModel(config).save_pretrained(str(folder))
    return folder


def test_plain_hf_encoder_runs_with_documented_defaults(tmp_path):
    import torch
    from transformers import AutoModel, AutoTokenizer

    folder = plain_hf_encoder(tmp_path / "hf", max_positions=40)
    encoder = DenseEncoder(config_for(folder), folder, "cpu")
    settings = encoder.settings
    assert (settings.pooling, settings.normalize, settings.max_length) == ("mean", False, 40)
    assert settings.origin == {"pooling": "default", "normalize": "default", "max_length": "model files"}
    ours = encoder.encode(TEXTS)  # the long text is cut at the model's 40 positions instead of crashing
    tokenizer, model = AutoTokenizer.from_pretrained(str(folder)), AutoModel.from_pretrained(str(folder)).eval()
    with torch.no_grad():
        for row, text in enumerate(TEXTS):
            batch = tokenizer([text.strip()], truncation=True, max_length=40, return_tensors="pt")
            expected = model(**batch).last_hidden_state[0].mean(dim=0).numpy()
            assert np.allclose(ours[row], expected, atol=1e-5)


def test_pooler_pooling_is_the_models_pooler_output(tmp_path):
    import torch
    from transformers import AutoModel, AutoTokenizer

    folder = plain_hf_encoder(tmp_path / "hf")
    ours = DenseEncoder(config_for(folder, pooling="pooler"), folder, "cpu").encode(TEXTS[:2])
    tokenizer, model = AutoTokenizer.from_pretrained(str(folder)), AutoModel.from_pretrained(str(folder)).eval()
    with torch.no_grad():
        expected = model(**tokenizer(TEXTS[:2], padding=True, return_tensors="pt")).pooler_output.numpy()
    assert np.allclose(ours, expected, atol=1e-5)
    cls = DenseEncoder(config_for(folder, pooling="cls"), folder, "cpu").encode(TEXTS[:2])
    assert not np.allclose(ours, cls)


def test_last_token_pooling_with_left_padding():
    import torch

    from runners.dense import pool

    hidden = torch.arange(2 * 4 * 3, dtype=torch.float32).reshape(2, 4, 3)
    right = torch.tensor([[1, 1, 1, 0], [1, 1, 1, 1]])
    left = torch.tensor([[0, 1, 1, 1], [1, 1, 1, 1]])
    assert torch.equal(pool(hidden, right, "last"), hidden[[0, 1], [2, 3]])
    assert torch.equal(pool(hidden, left, "last"), hidden[[0, 1], [3, 3]])


def write_modules(folder, modules):
    (folder / "modules.json").write_text(json.dumps([{"idx": i, "name": str(i), "path": p, "type": t} for i, (p, t) in enumerate(modules)]))


def test_unsupported_module_is_refused_not_skipped(tmp_path):
    folder = make_tiny_st_model(tmp_path / "m")
    write_modules(
        folder,
        [
            ("", "sentence_transformers.models.Transformer"),
            ("1_Pooling", "sentence_transformers.models.Pooling"),
            ("2_W", "sentence_transformers.models.WordWeights"),
        ],
    )
    with pytest.raises(UserError, match=r"WordWeights.* not supported") as err:
        resolve_settings(config_for(folder), folder)
    assert str(folder / "modules.json") in str(err.value)


@pytest.mark.parametrize(
    "pooling_config",
    [{"pooling_mode": "max"}, {"pooling_mode_max_tokens": True}, {"pooling_mode_mean_tokens": True, "pooling_mode_cls_token": True}],
)
def test_unsupported_pooling_mode_is_refused(tmp_path, pooling_config):
    folder = make_tiny_st_model(tmp_path / "m")
    (folder / "1_Pooling" / "config.json").write_text(json.dumps({"word_embedding_dimension": 16, **pooling_config}))
    with pytest.raises(UserError, match=r"pooling mode .* not supported"):
        resolve_settings(config_for(folder), folder)
    assert resolve_settings(config_for(folder, pooling="mean"), folder).pooling == "mean"  # a configured pooling overrides the files


def test_new_format_pooling_config_is_read(tmp_path):
    folder = make_tiny_st_model(tmp_path / "m")
    (folder / "1_Pooling" / "config.json").write_text(json.dumps({"embedding_dimension": 16, "pooling_mode": "lasttoken"}))
    assert resolve_settings(config_for(folder), folder).pooling == "last"
