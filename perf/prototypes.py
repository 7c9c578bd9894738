"""Prototypes of pipeline fixes, applied by monkeypatching so perf scripts can measure them before
they are made in ``runners/``.

``token_budget_batching``: the dense encoder batches ``batch_size`` texts, ordered by
characters (sentence-transformers' order) or, where the benchmark asks (Tatoeba:
``batch_order = "tokens"``), by tokens.  A count alone still pads: when a few texts are much
longer than the rest (Tatoeba's ang-eng: one of 268 sentences has 137 tokens, the median 16),
the first batch of 64 is padded to the longest.  The prototype also bounds each batch by a
token budget (what ``batch_tokens:`` does when a config sets it): the CPU time of a batch is
its padded positions, so fewer padded positions is less time, while a budget of a few thousand
positions keeps each matrix product large enough to run at full speed.  Embeddings differ only
by float32 rounding (the same texts, differently grouped; measured max |Δ| 3e-7).
"""

from __future__ import annotations

from contextlib import contextmanager

DEFAULT_BUDGET = 2048


@contextmanager
def token_budget_batching(budget: int = DEFAULT_BUDGET):
    """While active, every ``DenseEncoder`` without ``batch_tokens`` batches by token length within ``budget`` padded tokens."""
    from runners.batching import budget_batches, token_lengths
    from runners.dense import DenseEncoder

    original = DenseEncoder._batches

    def batches(self, prepared):
        if self.config.batch_tokens is not None:  # a configured budget wins, as it does today
            return original(self, prepared)
        lengths = token_lengths(self.tokenizer, prepared, self.settings.max_length)
        return budget_batches(lengths, self.config.batch_size, budget)

    DenseEncoder._batches = batches
    try:
        yield
    finally:
        DenseEncoder._batches = original


class NestedBert:
    """A BERT encoder run by PyTorch's native Transformer fast path on nested tensors.

    ``torch.nn.TransformerEncoder`` (eval mode, ``enable_nested_tensor=True``, a padding mask)
    packs each batch into a nested tensor, so every text is computed at its own length: no
    FLOPs on padding, QKV in one product, and attention, bias, GELU and LayerNorm in PyTorch's
    fused CPU kernels (``torch._transformer_encoder_layer_fwd``).  The weights are BERT's own,
    copied into the standard layer (post-LayerNorm, exact GELU, BERT's epsilon); the
    embeddings are transformers' module.  Only the plain BERT layout qualifies (absolute
    positions, no decoder, gelu or relu); anything else raises ``ValueError``.

    Called like the transformers model (``model(**batch)``); returns an object with
    ``last_hidden_state`` (zeros at padded positions), which is all ``DenseEncoder`` reads.
    """

    def __init__(self, model) -> None:
        import torch

        cfg = model.config
        act = getattr(cfg, "hidden_act", None)
        if cfg.model_type != "bert" or getattr(cfg, "position_embedding_type", "absolute") != "absolute" or cfg.is_decoder:
            raise ValueError(f"the native fast path needs a plain BERT encoder, not {cfg.model_type}")
        if act not in ("gelu", "relu"):
            raise ValueError(f"the native fast path supports gelu or relu, not {act!r}")
        layers = []
        for layer in model.encoder.layer:
            attention = layer.attention
            native = torch.nn.TransformerEncoderLayer(
                cfg.hidden_size,
                cfg.num_attention_heads,
                cfg.intermediate_size,
                dropout=0.0,
                activation=act,
                layer_norm_eps=cfg.layer_norm_eps,
                batch_first=True,
                norm_first=False,
            )
            own = attention.self
            with torch.no_grad():
                native.self_attn.in_proj_weight.copy_(torch.cat([own.query.weight, own.key.weight, own.value.weight]))
                native.self_attn.in_proj_bias.copy_(torch.cat([own.query.bias, own.key.bias, own.value.bias]))
                native.self_attn.out_proj.weight.copy_(attention.output.dense.weight)
                native.self_attn.out_proj.bias.copy_(attention.output.dense.bias)
                native.norm1.weight.copy_(attention.output.LayerNorm.weight)
                native.norm1.bias.copy_(attention.output.LayerNorm.bias)
                native.linear1.weight.copy_(layer.intermediate.dense.weight)
                native.linear1.bias.copy_(layer.intermediate.dense.bias)
                native.linear2.weight.copy_(layer.output.dense.weight)
                native.linear2.bias.copy_(layer.output.dense.bias)
                native.norm2.weight.copy_(layer.output.LayerNorm.weight)
                native.norm2.bias.copy_(layer.output.LayerNorm.bias)
            layers.append(native)
        self.encoder = torch.nn.TransformerEncoder(layers[0], num_layers=len(layers), enable_nested_tensor=True)
        self.encoder.layers = torch.nn.ModuleList(layers)
        self.encoder.eval()
        self.embeddings = model.embeddings
        self.config = cfg

    def module(self):
        """An ``nn.Module`` to call (and hook) in place of the transformers model."""
        import torch

        owner = self

        class Forward(torch.nn.Module):
            def forward(self, input_ids, attention_mask, token_type_ids=None, **_ignored):
                from types import SimpleNamespace

                hidden = owner.embeddings(input_ids=input_ids, token_type_ids=token_type_ids)
                out = owner.encoder(hidden, src_key_padding_mask=~attention_mask.bool())
                return SimpleNamespace(last_hidden_state=out)

        forward = Forward()
        forward.config = self.config
        return forward


CONCAT_SLICE = 8192


def concatenated_decoder_max(hidden, mask, decoder, right_padded: bool, vocab_slice: int = CONCAT_SLICE):
    """``runners.splade.sliced_decoder_max`` with one matrix product per vocabulary slice for the whole batch.

    The current decoder multiplies each text's kept tokens by each slice separately: with
    BERT-Tiny's 128 features every product is short and thin, and ~15 slices x 8-32 texts
    products per batch run far below the machine's matmul speed.  Here the batch's kept tokens
    are concatenated once (``tokens x 128``) and each slice is one product; each text's max is
    then taken over its own rows of that product.  Every logit is the same dot product, so the
    result is the same bits (checked by perf/roofline.py's max |diff| column).
    """
    import torch

    from runners.splade import masked_max

    weight, bias = decoder.weight, decoder.bias
    if not right_padded:  # left padding keeps the current path
        peak = torch.empty((hidden.shape[0], weight.shape[0]), dtype=hidden.dtype, device=hidden.device)
        for start in range(0, weight.shape[0], vocab_slice):
            peak[:, start : start + vocab_slice] = masked_max(hidden @ weight[start : start + vocab_slice].T, mask, False)
        return peak + bias if bias is not None else peak
    lengths = mask.sum(dim=1).tolist()
    tokens = torch.cat([hidden[row, : int(n)] for row, n in enumerate(lengths)])
    bounds = [0]
    for n in lengths:
        bounds.append(bounds[-1] + int(n))
    peak = torch.empty((hidden.shape[0], weight.shape[0]), dtype=hidden.dtype, device=hidden.device)
    for start in range(0, weight.shape[0], vocab_slice):
        logits = tokens @ weight[start : start + vocab_slice].T
        for row in range(len(lengths)):
            torch.amax(logits[bounds[row] : bounds[row + 1]], dim=0, out=peak[row, start : start + vocab_slice])
    return peak + bias if bias is not None else peak


@contextmanager
def concatenated_decoder(vocab_slice: int = CONCAT_SLICE):
    """While active, ``SpladeRetriever.encode`` uses :func:`concatenated_decoder_max`."""
    import runners.splade

    original = runners.splade.sliced_decoder_max
    runners.splade.sliced_decoder_max = lambda hidden, mask, decoder, right_padded: concatenated_decoder_max(
        hidden, mask, decoder, right_padded, vocab_slice
    )
    try:
        yield
    finally:
        runners.splade.sliced_decoder_max = original


@contextmanager
def nested_fastpath():
    """While active, every new ``DenseEncoder`` of a plain BERT runs it through :class:`NestedBert`."""
    from runners.dense import DenseEncoder

    original = DenseEncoder.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self.model = NestedBert(self.model).module()

    DenseEncoder.__init__ = init
    try:
        yield
    finally:
        DenseEncoder.__init__ = original


PROTOTYPES = {"tokbatch": token_budget_batching, "nested": nested_fastpath}
