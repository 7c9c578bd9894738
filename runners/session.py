"""One loaded model, shared by every task of a run.

A :class:`ModelSession` builds each capability (:mod:`runners.protocols`) lazily and once: the
retriever for BEIR, the sentence encoder for STS and Tatoeba, the image-text scorer for ARO.
They share the loaded model: the dense retriever wraps the session's sentence encoder, so a run
over BEIR and STS loads the weights once, and STS or Tatoeba alone never builds a retriever.
A backend that cannot do a kind of task raises :class:`TaskNotSupported`, which the CLI
reports as a skip, not an error.

The time spent loading weights is recorded by the task during which it happened
(:meth:`ModelSession.take_load_time`), so a manifest's timings add up to that task's run.
"""

from __future__ import annotations

from benchmarks.contract import Capability
from runners.protocols import ImageTextScorer, Retriever, SentenceEncoder

# what each backend can do is a fact of the config's backend, declared once beside its names
from submissions.schema import BACKEND_CAPABILITIES, ModelConfig, backend_supports


class TaskNotSupported(Exception):
    """This model's backend cannot do this kind of task (e.g. BM25 on STS)."""


_WORDS: dict[Capability, str] = {
    "sentence_encoder": "does not embed sentences",
    "image_text_scorer": "is not an image-text model",
}


def supports(config: ModelConfig, benchmark: str) -> bool:
    """Whether the config's backend has the capability ``benchmark`` needs (an unknown benchmark: no)."""
    from benchmarks.registry import find_benchmark

    found = find_benchmark(benchmark)
    return found is not None and backend_supports(config.backend, found.capability)


class ModelSession:
    """The capabilities of one model config, each built on first use.

    Components may be given ready-made (``sentence_encoder=…`` and so on): a test's stand-in
    encoder, or a wrapper that records what was encoded.
    """

    def __init__(
        self,
        config: ModelConfig,
        *,
        retriever: Retriever | None = None,
        sentence_encoder: SentenceEncoder | None = None,
        image_text_scorer: ImageTextScorer | None = None,
    ) -> None:
        self.config = config
        self._retriever = retriever
        self._sentence_encoder = sentence_encoder
        self._image_text_scorer = image_text_scorer
        self._unreported_load_s: float | None = None
        self._precision_retrievers: dict[str, Retriever] = {}

    def _check(self, capability: Capability) -> None:
        if capability not in BACKEND_CAPABILITIES.get(self.config.backend, frozenset()):
            raise TaskNotSupported(f"{self.config.name} ({self.config.backend}) {_WORDS[capability]}")

    def _loaded(self, seconds: float) -> None:
        self._unreported_load_s = (self._unreported_load_s or 0.0) + seconds

    @property
    def sentence_encoder(self) -> SentenceEncoder:
        """One embedding per text; only the dense backend has one (:class:`runners.dense.DenseSentenceEncoder`)."""
        if self._sentence_encoder is None:
            self._check("sentence_encoder")
            from runners.dense import load_sentence_encoder

            encoder = load_sentence_encoder(self.config)
            self._loaded(encoder.loaded.seconds)
            self._sentence_encoder = encoder
        return self._sentence_encoder

    @property
    def retriever(self) -> Retriever:
        """Top hits per query; a dense model's wraps :attr:`sentence_encoder` (loaded once for both)."""
        if self._retriever is None:
            from runners.retrievers import build_retriever  # a clip config: TaskNotSupported, with its own message

            if self.config.backend == "dense":
                retriever = build_retriever(self.config, self.sentence_encoder)
            else:
                retriever = build_retriever(self.config)
                if self.config.backend == "splade":
                    from runners.splade import SpladeRetriever

                    assert isinstance(retriever, SpladeRetriever)
                    self._loaded(retriever.loaded.seconds)
            self._retriever = retriever
        return self._retriever

    def sentence_encoder_at(self, precision: str) -> SentenceEncoder:
        """The sentence encoder in a precision variant (config ``precisions``; dense only): the loaded model, converted once."""
        return self.sentence_encoder.at_precision(precision)  # type: ignore[attr-defined]  # DenseSentenceEncoder

    def retriever_at(self, precision: str) -> Retriever:
        """The dense retriever over :meth:`sentence_encoder_at` ``(precision)``: its own encoding pass, its own cache key."""
        if precision not in self._precision_retrievers:
            from runners.dense_retriever import DenseRetriever

            self._precision_retrievers[precision] = DenseRetriever(self.sentence_encoder_at(precision))  # type: ignore[arg-type]
        return self._precision_retrievers[precision]

    @property
    def image_text_scorer(self) -> ImageTextScorer:
        """Scores image–caption pairs (ARO); only the ``clip`` backend has one."""
        if self._image_text_scorer is None:
            self._check("image_text_scorer")
            from runners.clip import ClipScorer

            scorer = ClipScorer(self.config)
            self._loaded(scorer.loaded.seconds)
            self._image_text_scorer = scorer
        return self._image_text_scorer

    def take_load_time(self) -> dict[str, float]:
        """``{"load_model": seconds}`` once after weights were loaded, then ``{}``: the phase for the task that loaded them."""
        seconds, self._unreported_load_s = self._unreported_load_s, None
        return {} if seconds is None else {"load_model": seconds}
