"""One loaded model, shared by every task of a run.

Components are built lazily and once: the BEIR retriever, the sentence encoder for STS and
Tatoeba, the image-text scorer for ARO.  A backend that cannot do a kind of task raises
:class:`TaskNotSupported`, which the CLI reports as a skip, not an error.
"""

from __future__ import annotations

from functools import cached_property

from benchmarks.contract import Capability
from submissions.schema import ModelConfig


class TaskNotSupported(Exception):
    """This model's backend cannot do this kind of task (e.g. BM25 on STS)."""


# the one table of what each backend can do (benchmarks say which capability they need)
BACKEND_CAPABILITIES: dict[str, frozenset[Capability]] = {
    "bm25": frozenset({"retriever"}),
    "splade": frozenset({"retriever"}),
    "dense": frozenset({"retriever", "sentence_encoder"}),
    "clip": frozenset({"image_text_scorer"}),
}


def supports(config: ModelConfig, benchmark: str) -> bool:
    """Whether the config's backend has the capability ``benchmark`` needs (an unknown benchmark: no)."""
    from benchmarks.registry import find_benchmark

    found = find_benchmark(benchmark)
    return found is not None and found.capability in BACKEND_CAPABILITIES.get(config.backend, frozenset())


class ModelSession:
    def __init__(self, config: ModelConfig) -> None:
        self.config = config

    @cached_property
    def retriever(self):
        from runners.retrievers import build_retriever

        return build_retriever(self.config)

    @cached_property
    def text_encoder(self):
        """A :class:`runners.dense.DenseEncoder` (or another object with ``encode(texts, prompt)``)."""
        if self.config.backend != "dense":
            raise TaskNotSupported(f"{self.config.name} ({self.config.backend}) does not embed sentences")
        return self.retriever.encoder

    @cached_property
    def image_text_scorer(self):
        """Scores image–caption pairs (ARO); only the ``clip`` backend has one."""
        if self.config.backend != "clip":
            raise TaskNotSupported(f"{self.config.name} ({self.config.backend}) is not an image-text model")
        from runners.clip import ClipScorer

        return ClipScorer(self.config)
