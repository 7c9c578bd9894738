"""Build tiny randomly initialised BERT models on disk, laid out like sentence-transformers folders."""

from __future__ import annotations

import json
from pathlib import Path

WORDS = [
    "vitamin",
    "deficiency",
    "fracture",
    "bone",
    "cancer",
    "cell",
    "sleep",
    "memory",
    "measles",
    "vaccine",
    "calcium",
    "tumour",
    "immune",
    "the",
    "and",
    "of",
]


TINY_VOCAB = [
    "[PAD]",
    "[UNK]",
    "[CLS]",
    "[SEP]",
    "[MASK]",
    *WORDS,
    *[f"##{c}" for c in "abcdefghijklmnopqrstuvwxyz"],
    *"abcdefghijklmnopqrstuvwxyz",
]


def save_tiny_bert_tokenizer(folder: Path, vocab: list[str]) -> None:
    """A WordPiece tokenizer of ``vocab`` saved in ``folder`` (``vocab.txt`` and the fast tokenizer's files).

    The vocabulary file is passed positionally: transformers 5 renamed the keyword (``vocab``) and
    ignores ``vocab_file=`` without a word, which left a tokenizer that knows only the special
    tokens, so every word became [UNK] and every sentence of a given length the same embedding.
    The check below makes that failure loud instead of silently weakening the tests.
    """
    from transformers import BertTokenizerFast

    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n")
    tokenizer = BertTokenizerFast(str(folder / "vocab.txt"), do_lower_case=True)
    word = next(w for w in vocab if not w.startswith(("[", "##")))
    assert tokenizer.tokenize(word) == [word], f"tiny tokenizer lost its vocabulary: {tokenizer.tokenize(word)}"
    tokenizer.save_pretrained(str(folder))


def make_tiny_st_model(folder: Path, *, pooling: str = "mean", normalize: bool = True, max_length: int = 32, seed: int = 0) -> Path:
    import torch
    from transformers import BertConfig, BertModel

    folder.mkdir(parents=True, exist_ok=True)
    vocab = TINY_VOCAB
    save_tiny_bert_tokenizer(folder, vocab)
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=len(vocab), hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=32, max_position_embeddings=64
    )
    BertModel(config).save_pretrained(str(folder))
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
    ]
    if normalize:
        modules.append({"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"})
        (folder / "2_Normalize").mkdir(exist_ok=True)
    (folder / "modules.json").write_text(json.dumps(modules))
    (folder / "1_Pooling").mkdir(exist_ok=True)
    (folder / "1_Pooling" / "config.json").write_text(
        json.dumps(
            {
                "word_embedding_dimension": 16,
                "pooling_mode_cls_token": pooling == "cls",
                "pooling_mode_mean_tokens": pooling == "mean",
                "pooling_mode_max_tokens": False,
                "pooling_mode_lasttoken": pooling == "last",
            }
        )
    )
    (folder / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": max_length, "do_lower_case": False}))
    return folder
