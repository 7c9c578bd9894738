"""The encoders perf/roofline.py compares, behind one small interface: ours (runners.dense,
runners.splade, and the batching prototype of perf/prototypes.py) and sentence-transformers'
(``SentenceTransformer`` / ``SparseEncoder`` on the same folder, the same batch size).

Each pipeline encodes a :class:`Group` (one encode call: texts and prompt), attaches a
:class:`perf.encode_meter.Meter` to its own model and tokeniser, and counts the FLOPs of a
batch as that pipeline executes it (perf/flops.py): our SPLADE decoder runs over each text's
real tokens only, sentence-transformers' over every padded position.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from perf.encode_meter import Meter, capture_batches, hook_forward, hook_forward_time_only, patch_function, time_calls
from perf.flops import Batch, BertShape, dense_terms, splade_terms


@dataclass
class Group:
    """One encode call: texts and the prompt the run gives them."""

    texts: list[str]
    prompt: str = ""


class Pipeline:
    label = ""
    ours = True
    verifiable = True  # torch.utils.flop_counter sees its matrix products
    uses_peer_groups = False  # encodes the texts as the peer tool groups them (Workload.peer_groups)

    def __init__(self, config, folder: Path) -> None:
        self.config = config
        self.folder = folder
        self.shape = BertShape.from_config(folder)

    def encode(self, group: Group):
        raise NotImplementedError

    def instrument(self, meter: Meter) -> list:
        """Attach the meter; return the undo functions."""
        raise NotImplementedError

    def count(self, batch: Batch) -> dict[str, int]:
        raise NotImplementedError

    def count_useful(self, batch: Batch) -> dict[str, int]:
        return self.count(batch)

    def as_dense(self, output):
        import numpy as np

        return np.asarray(output, dtype=np.float32)


class OursDense(Pipeline):
    label = "ours"

    def __init__(self, config, folder: Path) -> None:
        super().__init__(config, folder)
        from runners.dense import DenseEncoder

        self.encoder = DenseEncoder(config, folder, "cpu")

    def encode(self, group: Group):
        return self.encoder.encode(group.texts, group.prompt, "roofline")

    def instrument(self, meter: Meter) -> list:
        undo = [time_calls(self.encoder.tokenizer, meter), capture_batches(self.encoder, meter)]
        handles = hook_forward(self.encoder.model, meter)
        return [*undo, *(h.remove for h in handles)]

    def count(self, batch: Batch) -> dict[str, int]:
        return dense_terms(self.shape, batch)

    def count_useful(self, batch: Batch) -> dict[str, int]:
        return dense_terms(self.shape, batch, pooler=False)  # nobody needs BERT's pooler output


class OursDenseTokenBatches(OursDense):
    label = "ours+tokbatch"

    def __init__(self, config, folder: Path, budget: int) -> None:
        super().__init__(config, folder)
        self.budget = budget

    def encode(self, group: Group):
        from perf.prototypes import token_budget_batching

        with token_budget_batching(self.budget):
            return super().encode(group)


class OursDenseNested(OursDense):
    """Our encoder with the model swapped for the native nested-tensor fast path (perf/prototypes.py)."""

    label = "ours+nested"

    def __init__(self, config, folder: Path) -> None:
        super().__init__(config, folder)
        from perf.prototypes import NestedBert

        self.encoder.model = NestedBert(self.encoder.model).module()

    def count(self, batch: Batch) -> dict[str, int]:
        # nested tensors: every text at its own length, and no BERT pooler
        total: dict[str, int] = {}
        for length in batch.lengths:
            for name, value in dense_terms(self.shape, Batch(1, length, (length,)), pooler=False).items():
                total[name] = total.get(name, 0) + value
        return total

    verifiable = False  # torch's FLOP counter does not see inside the fused encoder-layer kernel


class StDense(Pipeline):
    label = "sentence-transformers"
    ours = False

    def __init__(self, config, folder: Path, batch_size: int | None = None) -> None:
        super().__init__(config, folder)
        from sentence_transformers import SentenceTransformer

        self.model = SentenceTransformer(str(folder), device="cpu")
        self.batch_size = batch_size or config.batch_size

    def encode(self, group: Group):
        return self.model.encode(
            group.texts, batch_size=self.batch_size, prompt=group.prompt or None, show_progress_bar=False, convert_to_numpy=True
        )

    def instrument(self, meter: Meter) -> list:
        undo = [time_calls(self.model[0].tokenizer, meter)]
        handles = hook_forward(self.model[0], meter)  # ST calls the HF model's forward directly: hook its Transformer module
        return [*undo, *(h.remove for h in handles)]

    def count(self, batch: Batch) -> dict[str, int]:
        return dense_terms(self.shape, batch)

    def count_useful(self, batch: Batch) -> dict[str, int]:
        return dense_terms(self.shape, batch, pooler=False)


class StAsMteb(StDense):
    """sentence-transformers called as ``mteb.evaluate`` calls it for STS and bitext mining: each
    side of the pairs encoded on its own, duplicates included, ``batch_size`` 32 (mteb's default)."""

    label = "st as mteb (per side, 32)"
    uses_peer_groups = True

    def __init__(self, config, folder: Path) -> None:
        super().__init__(config, folder, batch_size=32)


class OursSplade(Pipeline):
    label = "ours"

    def __init__(self, config, folder: Path) -> None:
        super().__init__(config, folder)
        from runners.splade import SpladeRetriever

        self.retriever = SpladeRetriever(config)

    def encode(self, group: Group):
        return self.retriever.encode(group.texts, group.prompt, "roofline")

    def instrument(self, meter: Meter) -> list:
        import runners.splade

        undo = [
            time_calls(self.retriever.tokenizer, meter),
            capture_batches(self.retriever, meter),
            patch_function(runners.splade, "sliced_decoder_max", meter, "decoder (sliced)"),
        ]
        handles = hook_forward(self.retriever.model, meter)
        return [*undo, *(h.remove for h in handles)]

    def count(self, batch: Batch) -> dict[str, int]:
        # the sliced decoder runs over each text's attention-kept tokens only (runners/splade.py)
        decoded = batch.real_tokens if self.retriever.decoder is not None else batch.positions
        return splade_terms(self.shape, batch, decoded_tokens=decoded)

    def count_useful(self, batch: Batch) -> dict[str, int]:
        return splade_terms(self.shape, batch, decoded_tokens=batch.real_tokens)

    def as_dense(self, output):
        return output.toarray()


class OursSpladeConcat(OursSplade):
    """Our SPLADE encoder with the batch-wide decoder product of perf/prototypes.py."""

    label = "ours+concat"
    _active = False

    def instrument(self, meter: Meter) -> list:
        from contextlib import ExitStack

        from perf.prototypes import concatenated_decoder

        stack = ExitStack()
        stack.enter_context(concatenated_decoder())  # first, so that the meter's timer wraps the prototype
        self._active = True

        def close() -> None:
            self._active = False
            stack.close()

        return [close, *super().instrument(meter)]

    def encode(self, group: Group):
        if self._active:
            return super().encode(group)
        from perf.prototypes import concatenated_decoder

        with concatenated_decoder():
            return super().encode(group)


class StSplade(Pipeline):
    label = "sentence-transformers"
    ours = False

    def __init__(self, config, folder: Path) -> None:
        super().__init__(config, folder)
        from sentence_transformers.sparse_encoder import SparseEncoder

        # what a user writes: an MLM folder becomes Transformer(fill-mask) + SpladePooling("max")
        self.model = SparseEncoder(str(folder), device="cpu")
        self.model.max_seq_length = config.max_length or 512

    def encode(self, group: Group):
        return self.model.encode(group.texts, batch_size=self.config.batch_size, prompt=group.prompt or None, show_progress_bar=False)

    def instrument(self, meter: Meter) -> list:
        undo = [time_calls(self.model[0].tokenizer, meter)]
        handles = hook_forward(self.model[0], meter)  # MLM transformer incl. the full-vocabulary decoder
        handles += hook_forward_time_only(self.model[1], meter, "SPLADE pooling")
        return [*undo, *(h.remove for h in handles)]

    def count(self, batch: Batch) -> dict[str, int]:
        return splade_terms(self.shape, batch, decoded_tokens=batch.positions)  # full logits over every padded position

    def count_useful(self, batch: Batch) -> dict[str, int]:
        return splade_terms(self.shape, batch, decoded_tokens=batch.real_tokens)

    def as_dense(self, output):
        return output.to_dense().numpy()


def build_pipelines(model: str, with_st: bool, budget: int) -> list[Pipeline]:
    from runners.weights import resolve_weights
    from submissions.registry import resolve_model

    config, _ = resolve_model(model)
    folder = resolve_weights(config.weights, config.name).folder
    if config.backend == "splade":
        pipelines: list[Pipeline] = [OursSplade(config, folder), OursSpladeConcat(config, folder)]
        return pipelines + ([StSplade(config, folder)] if with_st else [])
    pipelines = [OursDense(config, folder), OursDenseTokenBatches(config, folder, budget), OursDenseNested(config, folder)]
    return pipelines + ([StDense(config, folder), StAsMteb(config, folder)] if with_st else [])
