"""FLOPs a BERT-family encoder executes, from its config.json and the padded batches it was fed.

Counted (one multiply-add = 2 FLOPs), per layer and per batch of ``rows`` texts padded to
``seq`` tokens (``t = rows * seq`` token positions):

- linear layers: QKV ``2·t·H·3H``, attention output ``2·t·H·H``, FFN up ``2·t·H·I``,
  FFN down ``2·t·I·H``;
- attention products quadratic in the padded length: ``QKᵀ`` and ``AV``, ``2·rows·seq²·H`` each
  (over all heads: ``heads × seq² × H/heads``).  SDPA computes them over the padded square,
  masked positions included, so they are counted over it;
- BertModel's pooler (``tanh(dense(h[CLS]))``, ``2·rows·H·H``): transformers' ``AutoModel``
  computes it and both pipelines discard it;
- mean pooling and L2 normalisation: about ``2·t·H + 3·rows·H``, elementwise, stated apart
  (under 0.01% of the total);
- SPLADE's MLM head: the transform (dense ``H×H`` + GELU + LayerNorm) over every padded token
  position, then the decoder ``2·H·V`` per token *that is decoded*: every padded position when
  the full logits are built (sentence-transformers), only the attention-kept tokens when the
  decoder runs in vocabulary slices over each text's real tokens (runners/splade.py).

Not counted as FLOPs: softmax, LayerNorm, GELU, bias and residual adds, embedding lookups.
They are memory-bound (a few operations per element read), so they cost time but not
matrix-multiply work: the roofline compares matrix-product FLOPs with the machine's
matrix-multiply throughput, and these ops show up in the profile as what they are.

"Useful" FLOPs are the same terms at each text's own length (no padding): what any pipeline
must execute for those texts; "executed" minus "useful" is the padding's cost.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class BertShape:
    layers: int
    hidden: int
    heads: int
    intermediate: int
    vocab: int

    @classmethod
    def from_config(cls, folder: Path) -> BertShape:
        """The sizes in a model folder's ``config.json`` (BERT naming: hidden_size, num_hidden_layers, …)."""
        cfg = json.loads((Path(folder) / "config.json").read_text(encoding="utf-8"))
        return cls(
            layers=int(cfg["num_hidden_layers"]),
            hidden=int(cfg["hidden_size"]),
            heads=int(cfg["num_attention_heads"]),
            intermediate=int(cfg["intermediate_size"]),
            vocab=int(cfg["vocab_size"]),
        )


@dataclass(frozen=True)
class Batch:
    """One forward call as the encoder ran it: ``rows`` texts padded to ``seq`` tokens, and each text's real length."""

    rows: int
    seq: int
    lengths: tuple[int, ...]

    @property
    def positions(self) -> int:
        return self.rows * self.seq

    @property
    def real_tokens(self) -> int:
        return sum(self.lengths)


def encoder_terms(shape: BertShape, rows: int, seq: int) -> dict[str, int]:
    """Matrix-product FLOPs of the transformer layers for one padded batch, by term."""
    h, i, t = shape.hidden, shape.intermediate, rows * seq
    per_layer = {
        "qkv": 2 * t * h * 3 * h,
        "attn_out": 2 * t * h * h,
        "ffn_up": 2 * t * h * i,
        "ffn_down": 2 * t * i * h,
        "qk": 2 * rows * seq * seq * h,
        "av": 2 * rows * seq * seq * h,
    }
    return {name: shape.layers * value for name, value in per_layer.items()}


LINEAR_TERMS = ("qkv", "attn_out", "ffn_up", "ffn_down", "pooler", "mlm_transform", "mlm_decoder")
ATTENTION_TERMS = ("qk", "av")


def dense_terms(shape: BertShape, batch: Batch, *, pooler: bool = True) -> dict[str, int]:
    """One dense-encoder batch: transformer layers, the unused BERT pooler, mean pooling + normalise."""
    terms = encoder_terms(shape, batch.rows, batch.seq)
    terms["pooler"] = 2 * batch.rows * shape.hidden * shape.hidden if pooler else 0
    terms["pool_normalise"] = 2 * batch.positions * shape.hidden + 3 * batch.rows * shape.hidden
    return terms


def splade_terms(shape: BertShape, batch: Batch, *, decoded_tokens: int) -> dict[str, int]:
    """One SPLADE batch: transformer layers, the MLM transform over padded positions, the decoder over ``decoded_tokens``."""
    terms = encoder_terms(shape, batch.rows, batch.seq)
    terms["mlm_transform"] = 2 * batch.positions * shape.hidden * shape.hidden
    terms["mlm_decoder"] = 2 * decoded_tokens * shape.hidden * shape.vocab
    return terms


def add(total: dict[str, int], terms: dict[str, int]) -> dict[str, int]:
    for name, value in terms.items():
        total[name] = total.get(name, 0) + value
    return total


def executed(batches: list[Batch], count) -> dict[str, int]:
    """Sum of ``count(batch)`` over the batches as run (padded)."""
    total: dict[str, int] = {}
    for batch in batches:
        add(total, count(batch))
    return total


def useful(batches: list[Batch], count) -> dict[str, int]:
    """The same terms with every text alone at its own length: no padding, nothing a pipeline could skip."""
    total: dict[str, int] = {}
    for batch in batches:
        for length in batch.lengths:
            add(total, count(Batch(1, length, (length,))))
    return total


def matmul_flops(terms: dict[str, int]) -> int:
    """The matrix-product FLOPs (what the roofline measures), without the elementwise pooling term."""
    return sum(value for name, value in terms.items() if name in LINEAR_TERMS or name in ATTENTION_TERMS)
