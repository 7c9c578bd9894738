"""What a model must offer for each capability a benchmark can need (:data:`benchmarks.contract.Capability`).

A backend implements one or more of these; :mod:`runners.session` builds them and
:data:`submissions.schema.BACKEND_CAPABILITIES` says which backend has which.  The capability
runners (``run_retrieval.py``, ``run_sentences.py``, ``run_image_text.py``) only speak these
protocols, so a new backend is a new implementation, not a new runner.

Everything a call produces comes back in its return value: :class:`RetrievalResult` carries the
run, the Matryoshka variant runs, the phase timings and the counters of that one call, where
retrievers used to leave them on themselves for the runner to pick up.  ``describe()`` gives
the static settings (resolved max length, effective dtype, weights) for the run manifest.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from benchmarks.contract import BatchOrder

Corpus = Mapping[str, Mapping[str, str]]  # doc id -> {"title": …, "text": …}
Run = dict[str, dict[str, float]]  # query id -> {doc id: score}
TokenIds = tuple[int, ...]


@dataclass
class RetrievalResult:
    """One ``retrieve()`` call: the top hits per query and what the call measured.

    ``variants``: extra runs from the same encoding, by variant name (Matryoshka ``dim=64``:
    :mod:`common.variants`); ``phase_times``: seconds per phase (``encode_corpus``,
    ``search``, …); ``counters``: facts of this call for the manifest (documents per second,
    vocabulary size, the Lucene index used, …).
    """

    run: Run
    variants: dict[str, Run] = field(default_factory=dict)
    phase_times: dict[str, float] = field(default_factory=dict)
    counters: dict[str, Any] = field(default_factory=dict)


class Retriever(Protocol):
    """Ranks a corpus for each query (BEIR).

    ``extra_hit_for_identical_ids``: whether the backend retrieves one more hit when identical
    ids are removed afterwards (BEIR's exact search does; Pyserini's ``--remove-query`` removes
    from the 1,000 it retrieved); each backend follows its reference tool.
    """

    extra_hit_for_identical_ids: bool

    def retrieve(self, corpus: Corpus, queries: Mapping[str, str], k: int, corpus_sha256: str) -> RetrievalResult:
        """Top ``k`` hits per query, with this call's timings and counters."""
        ...

    def describe(self) -> dict:
        """Resolved settings and weight hashes for the run manifest (no per-call counters)."""
        ...


class SentenceEncoder(Protocol):
    """One embedding per text (STS, Tatoeba; and the dense retriever, which wraps one).

    ``similarity``: how the model compares two embeddings (``cosine`` or ``dot``, from its
    config); ``unit_length``: whether ``encode`` already returns L2-normalised rows.
    """

    similarity: str
    unit_length: bool

    def encode(self, texts: Sequence[str], prompt: str = "", desc: str = "encoding") -> np.ndarray:
        """float32 embeddings, one row per text, in the order of ``texts``."""
        ...

    def describe(self) -> dict:
        """Resolved settings and weight hashes for the run manifest."""
        ...


@runtime_checkable
class MeasuredPasses(Protocol):
    """A sentence encoder that measures its own passes (the dense one): the run's ``encode_pass``
    record (docs/s, tokens/s, peak memory) comes from here; a stand-in without it records none."""

    def encode_pass(self, texts: Sequence[str], prompt: str = "", desc: str = "encoding") -> tuple[np.ndarray, Any]:
        """:meth:`SentenceEncoder.encode`, and a :class:`runners.pass_meter.PassStats` of that pass."""
        ...


@runtime_checkable
class BatchOrdered(Protocol):
    """A sentence encoder whose batch order a benchmark may choose (``SentenceBenchmark.batch_order``)."""

    def ordered_by(self, order: BatchOrder) -> SentenceEncoder:
        """The same encoder batching in ``order`` (:data:`benchmarks.contract.BatchOrder`)."""
        ...


class ImageTextScorer(Protocol):
    """Embeds captions and images of an image–caption benchmark (ARO); see :mod:`runners.clip`.

    Captions are embedded by token-id sequence, so captions that tokenise alike get one
    embedding and tie exactly.  ``aro_fp16=True`` asks for the raw float16 features of ARO's
    own arithmetic (config ``aro_fp16``); otherwise rows are L2-normalised float32.
    """

    def token_ids(self, texts: Sequence[str]) -> list[TokenIds]: ...

    def encode_token_ids(self, sequences: Sequence[TokenIds], desc: str = "encoding captions", *, aro_fp16: bool = False) -> np.ndarray: ...

    def encode_images(
        self, items: Sequence[Any], load: Callable[[Any], Any], desc: str = "encoding images", *, aro_fp16: bool = False
    ) -> np.ndarray: ...

    def describe(self) -> dict: ...
