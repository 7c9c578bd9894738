"""The splade backend: SPLADE-max term weights, exact sparse search, non-zero counts in the manifest."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from click.testing import CliRunner
from sqlalchemy import select

from common.errors import UserError
from leaderboard import schema
from leaderboard.cli import main
from leaderboard.db import make_engine, session_factory
from runners.splade import SpladeRetriever, masked_max, sparse_top_k
from submissions.schema import ModelConfig
from tests.tiny_models import TINY_VOCAB, save_tiny_bert_tokenizer

TEXTS = [
    "vitamin deficiency and bone fracture",
    "cancer",
    "  sleep and memory of the immune cell  ",
    "measles vaccine " * 30,
    "the tumour",
]


def make_tiny_mlm(folder, seed: int = 0):
    """A tiny randomly initialised BertForMaskedLM with a tokenizer, saved like a Hub folder."""
    import torch
    from transformers import BertConfig, BertForMaskedLM

    folder.mkdir(parents=True, exist_ok=True)
    vocab = TINY_VOCAB
    save_tiny_bert_tokenizer(folder, vocab)
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=len(vocab), hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=32, max_position_embeddings=64
    )
    BertForMaskedLM(config).save_pretrained(str(folder))
    return folder


def splade_config(folder, **overrides) -> ModelConfig:
    return ModelConfig(name="tiny-splade", family=["sparse"], backend="splade", weights={"path": str(folder)}, batch_size=2, **overrides)


@pytest.fixture(scope="module")
def tiny_mlm(tmp_path_factory):
    return make_tiny_mlm(tmp_path_factory.mktemp("mlm") / "splade")


def reference_weights(folder, texts, max_length):
    """SPLADE-max written out the slow, obvious way: log1p(relu(logits)) * mask, then max over tokens."""
    import torch
    from transformers import AutoModelForMaskedLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    model = AutoModelForMaskedLM.from_pretrained(str(folder)).eval()
    rows = []
    with torch.no_grad():
        for text in texts:
            batch = tokenizer([text.strip()], truncation=True, max_length=max_length, return_tensors="pt")
            logits = model(**batch).logits
            rows.append((torch.log1p(torch.relu(logits)) * batch["attention_mask"].unsqueeze(-1)).amax(dim=1)[0].numpy())
    return np.stack(rows)


def test_weights_equal_the_splade_formula(tiny_mlm):
    retriever = SpladeRetriever(splade_config(tiny_mlm))
    ours = retriever.encode(TEXTS)
    assert sp.issparse(ours) and ours.shape == (len(TEXTS), retriever.vocab_size)
    expected = reference_weights(tiny_mlm, TEXTS, retriever.max_length)
    assert np.allclose(ours.toarray(), expected, atol=1e-6)
    assert (ours.toarray() >= 0).all()


def test_weights_equal_sentence_transformers_sparse_encoder(tiny_mlm):
    sentence_transformers = pytest.importorskip("sentence_transformers")
    if not hasattr(sentence_transformers, "SparseEncoder"):
        pytest.skip("sentence-transformers < 5 has no SparseEncoder")
    retriever = SpladeRetriever(splade_config(tiny_mlm))
    theirs = sentence_transformers.SparseEncoder(str(tiny_mlm), device="cpu")  # a plain MLM folder: MLM head + SpladePooling(max)
    theirs.max_seq_length = retriever.max_length
    expected = theirs.encode([t.strip() for t in TEXTS], convert_to_tensor=True).to_dense().numpy()
    assert np.allclose(retriever.encode(TEXTS).toarray(), expected, atol=1e-6)


def test_token_budget_does_not_change_weights(tiny_mlm):
    retriever = SpladeRetriever(splade_config(tiny_mlm))
    expected = retriever.encode(TEXTS).toarray()
    retriever.token_budget = 40  # forces one long text per batch and packs the short ones
    assert len(retriever._batches([t.strip() for t in TEXTS])) > 2
    assert np.allclose(retriever.encode(TEXTS).toarray(), expected, atol=1e-6)


def test_masked_max_by_slices_equals_masking():
    import torch

    logits = torch.randn(3, 7, 11)
    mask = torch.tensor([[1] * 7, [1] * 4 + [0] * 3, [1] * 1 + [0] * 6])
    masked = logits.masked_fill(~mask.bool().unsqueeze(-1), float("-inf")).amax(dim=1)
    assert torch.equal(masked_max(logits, mask, right_padded=True), masked)
    assert torch.equal(masked_max(logits, mask, right_padded=False), masked)


def test_decoder_by_vocabulary_slices_equals_full_logits():
    """The sliced head (several slices, both paddings) gives the full-logits masked max, bit for bit."""
    import torch

    from runners.splade import VOCAB_SLICE, sliced_decoder_max

    torch.manual_seed(0)
    decoder = torch.nn.Linear(16, 2 * VOCAB_SLICE + 37)
    hidden = torch.randn(3, 9, 16)
    mask = torch.tensor([[1] * 9, [1] * 5 + [0] * 4, [1] * 2 + [0] * 7])
    with torch.inference_mode():
        full = masked_max(decoder(hidden), mask, right_padded=True)
        assert torch.allclose(sliced_decoder_max(hidden, mask, decoder, right_padded=True), full, atol=1e-6, rtol=0)
        assert torch.allclose(sliced_decoder_max(hidden, mask, decoder, right_padded=False), full, atol=1e-6, rtol=0)


def test_the_retriever_runs_the_head_by_slices(tiny_mlm):
    retriever = SpladeRetriever(splade_config(tiny_mlm))
    assert retriever.decoder is not None
    assert "slices" in retriever.describe()["mlm_head"]


def test_max_length_defaults_to_the_model_limit(tiny_mlm):
    retriever = SpladeRetriever(splade_config(tiny_mlm))
    assert retriever.max_length == 64 and retriever.max_length_origin == "model files"  # max_position_embeddings
    assert SpladeRetriever(splade_config(tiny_mlm, max_length=8)).max_length == 8


def test_half_precision_on_cpu_falls_back_to_float32(tiny_mlm, caplog):
    import torch

    retriever = SpladeRetriever(splade_config(tiny_mlm, dtype="float16"))
    assert retriever.dtype == torch.float32
    assert "float16" in caplog.text


def test_not_a_masked_lm_is_one_line(tmp_path):
    (tmp_path / "model.safetensors").write_bytes(b"\x00garbage")
    with pytest.raises(UserError) as err:
        SpladeRetriever(splade_config(tmp_path))
    assert "tiny-splade" in str(err.value) and str(tmp_path) in str(err.value) and "\n" not in str(err.value)


def brute_force(queries: np.ndarray, docs: np.ndarray, k: int) -> list[dict[int, float]]:
    scores = queries @ docs.T
    out = []
    for row in scores:
        positive = [(j, s) for j, s in enumerate(row) if s > 0]
        positive.sort(key=lambda item: -item[1])
        if len(positive) > k:
            kth = positive[k - 1][1]
            positive = [(j, s) for j, s in positive if s >= kth]
        out.append(dict(positive))
    return out


def test_sparse_search_is_exact_with_ties_and_no_zero_hits():
    rng = np.random.default_rng(0)
    docs = rng.random((40, 30)) * (rng.random((40, 30)) < 0.2)
    docs[7] = docs[3]  # a tie
    docs[11] = 0.0  # a document with no terms
    queries = rng.random((6, 30)) * (rng.random((6, 30)) < 0.3)
    queries[5] = 0.0  # a query with no terms: no hits
    docs, queries = docs.astype(np.float32), queries.astype(np.float32)
    for k in (1, 5, 100):
        got = sparse_top_k(sp.csr_matrix(queries), sp.csr_matrix(docs), k)
        want = brute_force(queries, docs, k)
        for (index, scores), expected in zip(got, want, strict=True):
            assert set(index) == set(expected)
            assert np.allclose([expected[j] for j in index], scores, atol=1e-5)
    assert sparse_top_k(sp.csr_matrix(queries), sp.csr_matrix(docs), 5)[5] == ([], [])


def test_cli_run_stores_nonzero_counts_and_weight_hashes(tiny_task, tiny_mlm, tmp_path):
    config = tmp_path / "splade.yaml"
    config.write_text(f"name: tiny-splade\nfamily: [sparse]\nbackend: splade\nweights: {{path: {tiny_mlm}}}\nbatch_size: 2\n")
    result = CliRunner().invoke(main, ["run", str(config), "--tasks", tiny_task.id], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "ndcg_at_10=" in result.output
    with session_factory(make_engine())() as session:
        run = session.scalars(select(schema.Run)).one()
        model = run.manifest["model"]
        assert model["backend"] == "splade"
        assert 0 < model["doc_nonzeros_mean"] <= model["vocabulary"]
        assert 0 < model["query_nonzeros_mean"] <= model["vocabulary"]
        assert list(run.manifest["weights_sha256"]) == ["model.safetensors"]
        assert run.manifest["search"]["hits_retrieved"] == 1000  # like Pyserini's --remove-query: no extra hit
        ndcg = next(s for s in run.scores if s.metric == "ndcg_at_10")
        assert set(ndcg.per_query) == {"q1", "q2", "q3"}
        assert ndcg.per_query["q2"] == 0.0  # its only relevant doc is itself, removed as in BEIR


def test_splade_is_not_a_sentence_encoder(tiny_mlm):
    from runners.session import ModelSession, TaskNotSupported

    with pytest.raises(TaskNotSupported):
        _ = ModelSession(splade_config(tiny_mlm)).sentence_encoder


def test_sparse_encoder_folders_must_be_splade_max(tmp_path):
    import json
    import shutil

    folder = tmp_path / "st"
    shutil.copytree(make_tiny_mlm(tmp_path / "src"), folder)
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.sparse_encoder.models.MLMTransformer"},
        {"idx": 1, "name": "1", "path": "1_SpladePooling", "type": "sentence_transformers.sparse_encoder.models.SpladePooling"},
    ]
    (folder / "modules.json").write_text(json.dumps(modules))
    (folder / "1_SpladePooling").mkdir()
    (folder / "1_SpladePooling" / "config.json").write_text(json.dumps({"pooling_strategy": "max", "activation_function": "relu"}))
    (folder / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 24}))
    retriever = SpladeRetriever(splade_config(folder))
    assert (retriever.max_length, retriever.max_length_origin) == (24, "sentence-transformers files")
    (folder / "1_SpladePooling" / "config.json").write_text(json.dumps({"pooling_strategy": "sum", "activation_function": "relu"}))
    with pytest.raises(UserError, match=r"SpladePooling\(sum, relu\) is not supported"):
        SpladeRetriever(splade_config(folder))
