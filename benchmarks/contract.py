"""The benchmark contract: what every benchmark package implements once, and the types it speaks.

A benchmark is a package ``benchmarks/<id>/`` whose ``benchmark.py`` holds a module-level object
``BENCHMARK`` satisfying :class:`Benchmark`: its tasks (:class:`Task`), which files each needs,
how to load them (parsed, hashed and checked against the published counts: :class:`Loaded`, or
:class:`DataMismatch`), the capability it needs from a model, its metric definitions
(:class:`MetricDefinition`), and ``evaluate``: the pure scoring of what the capability's runner
produced.  :mod:`benchmarks.registry` lists the benchmarks; nothing else keeps a table of them.

Why a Protocol and not a base class: a benchmark is swapped in by implementing a small surface
(mteb's task base class does loading, evaluation, statistics and Hub pushing, and is extended
by inheritance; we keep behaviour in the package and metadata small).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Generic, Literal, Protocol, TypeVar, runtime_checkable

import numpy as np

__all__ = [
    "SHOWN",
    "WHOLE",
    "Aggregation",
    "Benchmark",
    "Capability",
    "CaptionScores",
    "DataMismatch",
    "Evaluation",
    "ImageTextBenchmark",
    "ImageView",
    "Loaded",
    "LoadedData",
    "MetricDefinition",
    "SentenceBenchmark",
    "SentenceEmbeddings",
    "Task",
]

from benchmarks.metrics.definition import Aggregation, MetricDefinition
from benchmarks.metrics.retrieval import MetricResult
from common.errors import UserError
from common.paths import relative_to
from common.settings import data_dir

Capability = Literal["retriever", "sentence_encoder", "image_text_scorer"]
"""What a benchmark needs from a model: ranked hits per query (BEIR), one embedding per text
(STS, Tatoeba), or a score per (image, caption) pair (ARO).  Runners and backends are matched
to benchmarks through this, never through benchmark ids."""
BatchOrder = Literal["characters", "tokens"]  # how a sentence benchmark's texts are batched (SentenceBenchmark.batch_order)

InfoT = TypeVar("InfoT")
DataT = TypeVar("DataT")


@dataclass(frozen=True)
class Task(Generic[InfoT]):
    """One evaluable task and the definition its scores are computed under.

    A task id is ``<benchmark>/<dataset>`` (``beir/scifact``).  Identity beyond the id, for
    matching other people's names against ours (zero-shot flags, MTEB import and export):

    - ``aliases``: the MTEB task name, the names mteb itself treats as the same data (its
      ``adapted_from``/``superseded_by`` closure, frozen in the catalogue), the catalogue's own
      aliases and common training-set spellings ("MS MARCO", "STS-B");
    - ``mteb``: (MTEB task name, hf_subset), or None when MTEB has no such task;
    - ``group``: the aggregation group (the 12 ``cqadupstack-*`` forums are ``cqadupstack``):
      a benchmark mean averages a group's members first (:mod:`benchmarks.aggregate`).

    ``info`` is the benchmark's own, typed catalogue entry (``BeirDataset``, ``StsDataset``,
    ``TatoebaLanguage``, ``AroDataset``).
    """

    id: str
    benchmark: str
    dataset: str
    split: str
    main_score: str
    metrics: tuple[str, ...]
    metric_spec: dict = field(hash=False, compare=False)
    license: str = ""
    source_url: str = ""
    relative_folder: str = ""  # under the data dir; default "<benchmark>/<dataset>"
    expected_counts: dict = field(default_factory=dict, hash=False, compare=False)  # e.g. {"docs": 5183, "queries": 300}
    info: InfoT = field(default=None, hash=False, compare=False)  # type: ignore[assignment]
    aliases: tuple[str, ...] = ()
    mteb: tuple[str, str] | None = None
    group: str | None = None

    @property
    def folder(self) -> Path:
        """Where the task's files live under the data dir."""
        return data_dir() / (self.relative_folder or f"{self.benchmark}/{self.dataset}")


@runtime_checkable
class Loaded(Protocol):
    """What :meth:`Benchmark.load` returns besides the parsed data: verified counts, a content hash, the files."""

    counts: dict[str, int]
    sha256: str
    files: dict[str, str]  # role -> path RELATIVE to the data dir (a manifest is public)
    note: str  # something a reader of ``data verify`` should know that does not make the data wrong


@dataclass(frozen=True)
class LoadedData(Generic[DataT]):
    """The one implementation of :class:`Loaded` the built-in benchmarks use: the parsed ``data`` and its facts."""

    data: DataT
    counts: dict[str, int]
    sha256: str
    files: dict[str, str]
    note: str = ""


# A task's metric_spec key for how our copy of its data differs from the one MTEB scores (STS sets); the
# model page shows it beside a grade short of OK, so a FAIL explains itself.
DATA_DIFFERENCE_KEY = "data_difference_vs_mteb"


def relative_files(files: Mapping[str, str | Path]) -> dict[str, str]:
    """Role -> path relative to the data dir (POSIX), as :class:`Loaded` names files."""
    root = data_dir()
    return {role: relative_to(path, root) for role, path in files.items()}


class DataMismatch(UserError):
    """The files parse, but hold other counts than the benchmark publishes (a wrong or partial copy).

    ``found`` are the counts read; ``sha256`` and ``note`` what the files gave, so ``data verify``
    can still show them.
    """

    def __init__(self, task: Task, found: Mapping[str, int], *, sha256: str = "", note: str = "") -> None:
        self.task_id = task.id
        self.found = dict(found)
        self.published = dict(task.expected_counts)
        self.sha256 = sha256
        self.note = note
        differs = {key: want for key, want in task.expected_counts.items() if found.get(key) != want}
        found_text = ", ".join(f"{found.get(key, 0):,} {key}" for key in differs)
        want_text = ", ".join(f"{want:,} {key}" for key, want in differs.items())
        super().__init__(
            f"{task.id}: the files in {task.folder} hold {found_text}, but the benchmark publishes {want_text}; "
            f"replace them ('leaderboard data list' says where they come from)"
        )

    def differences(self) -> dict[str, tuple[int | None, int]]:
        """key -> (found, published) for every count that differs."""
        return {key: (self.found.get(key), want) for key, want in self.published.items() if self.found.get(key) != want}


def verify_counts(task: Task, found: Mapping[str, int], *, sha256: str = "", note: str = "") -> None:
    """Raise :class:`DataMismatch` unless ``found`` holds every count the task publishes, equal."""
    if any(found.get(key) != want for key, want in task.expected_counts.items()):
        raise DataMismatch(task, found, sha256=sha256, note=note)


@dataclass
class Evaluation:
    """What :meth:`Benchmark.evaluate` gives for one set of predictions.

    ``scores``: metric -> mean and per-item values.  ``item_data``: per-item facts the scores were
    computed against that are not scores (STS: ``{"gold": {pair id: normalised gold}}``), which
    correlations' confidence intervals need.  ``spec``: fields the run adds to the task's
    ``metric_spec`` (STS: the pairs read per subset).  ``rankings``: ranked lists to keep with the
    run, by artifact kind (``common/rankings.py``; Tatoeba: ``{"neighbours": {line: [(line found,
    similarity)]}}``), which the runner encodes and the store writes beside the scores.
    """

    scores: dict[str, MetricResult]
    item_data: dict[str, dict[str, float]] = field(default_factory=dict)
    spec: dict[str, Any] = field(default_factory=dict)
    rankings: dict[str, dict[str, list[tuple[str, float]]]] = field(default_factory=dict)


class Benchmark(Protocol):
    """A benchmark package's one object (``benchmarks/<id>/benchmark.py``: ``BENCHMARK``)."""

    id: str  # "beir": the first part of every task id
    name: str  # "BEIR": how the site writes it
    description: str  # "zero-shot retrieval": the site's one-line blurb
    capability: Capability
    metrics: Mapping[str, MetricDefinition]  # every metric its tasks may report, declared once
    main_metric: str  # the headline metric (a task's own main_score may differ: ARO's order sets)
    fetch: Callable[..., Path] | None  # fetch(task, url=None): download, check and unpack its data; None: by hand only

    def tasks(self) -> list[Task]: ...

    def missing_files(self, task: Task) -> list[str]: ...

    def load(self, task: Task) -> Loaded:
        """Parse and hash the task's files and check the published counts (:class:`DataMismatch`)."""
        ...

    def evaluate(self, task: Task, data: Any, predictions: Any) -> Evaluation:
        """Score the capability runner's ``predictions`` on the loaded ``data``; pure, no model."""
        ...


# ------------------------------------------------------------------ what each capability's runner hands to evaluate()
# retriever: a run, query id -> {doc id: score} (benchmarks.metrics.retrieval.Run)
# sentence_encoder: SentenceEmbeddings; image_text_scorer: CaptionScores (both below)


@dataclass(frozen=True)
class SentenceEmbeddings:
    """What the sentence-encoder runner gives ``evaluate``: one embedding per distinct text, and the model's similarity.

    ``matrix`` has one row per distinct text (``row``: text -> row), in the model's own precision
    (float32).  ``similarity`` is the model's (``cosine`` or ``dot``).  ``pairwise(a, b,
    similarity)``, when given, is the model's own similarity of two row-aligned matrices as MTEB
    computes it (torch, float32; the runner provides it because benchmarks do not import torch);
    without it an evaluator uses its numpy equivalent.
    """

    matrix: np.ndarray
    row: Mapping[str, int]
    similarity: str = "cosine"
    pairwise: Callable[[np.ndarray, np.ndarray, str], np.ndarray] | None = None

    def of(self, texts: Sequence[str]) -> np.ndarray:
        """The embeddings of ``texts``, one row each, in their order."""
        return self.matrix[np.array([self.row[text] for text in texts], dtype=np.int64)]

    def truncated(self, dim: int) -> SentenceEmbeddings:
        """The same embeddings cut to their first ``dim`` coordinates (a Matryoshka size)."""
        return replace(self, matrix=self.matrix[:, :dim])


class SentenceBenchmark(Benchmark, Protocol):
    """A benchmark whose capability is ``sentence_encoder`` (STS, Tatoeba): it also says what to embed.

    The runner (``runners/run_sentences.py``) encodes the distinct texts of :meth:`texts` once, in
    first-seen order, with the config's ``query_prompt`` on every text (the tasks are symmetric,
    as MTEB encodes them), and calls ``evaluate(task, data, SentenceEmbeddings)`` for the full
    embeddings and for each Matryoshka size.

    ``batch_order`` says how the encoder groups those texts into batches: ``"characters"``,
    sentence-transformers' order (what MTEB's numbers were made with; the default choice), or
    ``"tokens"`` when one pass mixes scripts whose tokens per character differ (Tatoeba's two
    languages), where character order wastes a third of the positions on padding.  The order
    changes embeddings by float32 rounding only, but a Spearman over near-tied similarities
    (STS) can move in its 5th decimal, so a benchmark changes it only with its stored scores
    checked.
    """

    batch_order: BatchOrder

    def texts(self, task: Task, data: Any) -> list[str]:
        """Every text to embed, in the order to encode them (repeats are encoded once)."""
        ...

    def run_notes(self, task: Task, data: Any) -> dict[str, Any]:
        """Facts about how the task was scored for the run manifest (Tatoeba: the search direction)."""
        ...


ImageKey = tuple[str, tuple[float, float, float, float] | None]  # (path under the image root, crop box or None)


@dataclass(frozen=True)
class ImageView:
    """One way a task shows its images to the model: ``shown`` (as the benchmark's authors show them) or ``whole``.

    An item (a test case) has ``image`` (a path under the data's ``image_root``), ``bbox``
    (``(x, y, w, h)`` to crop to, or None) and ``captions`` (its options, in order).
    """

    name: str
    whole_image: bool

    def key(self, case: Any) -> ImageKey:
        """The image a case is scored against in this view: its crop, or the whole image."""
        return (case.image, None if self.whole_image else case.bbox)


SHOWN = ImageView("shown", whole_image=False)  # the crop box when the item has one (ARO's VG sets), else the whole image
WHOLE = ImageView("whole", whole_image=True)  # always the whole image (MTEB's copy of ARO's VG sets)


@dataclass(frozen=True)
class CaptionScores:
    """What the image-text runner gives ``evaluate``: per case, one score per caption option (``cases[i].captions`` order).

    ``scores`` against the image as :data:`SHOWN`; ``whole_image_scores`` against the whole image
    (:data:`WHOLE`), when the benchmark's views include it.
    """

    scores: Sequence[Sequence[float]]
    whole_image_scores: Sequence[Sequence[float]] | None = None

    @classmethod
    def of_views(cls, by_view: Mapping[str, Sequence[Sequence[float]]]) -> CaptionScores:
        """From the runner's option scores per :class:`ImageView` name."""
        return cls(by_view[SHOWN.name], by_view.get(WHOLE.name))


class ImageTextBenchmark(Benchmark, Protocol):
    """A benchmark whose capability is ``image_text_scorer`` (ARO): it also says how to show its images.

    Its loaded data has ``cases`` (items with ``image``, ``bbox``, ``captions``) and ``image_root``.
    The runner (``runners/run_image_text.py``) embeds every distinct caption token sequence and
    every distinct image of every view once, scores each case's options in each view and calls
    ``evaluate(task, data, CaptionScores)``.
    """

    def views(self, task: Task) -> tuple[ImageView, ...]:
        """The views each case is scored in; the first is :data:`SHOWN`."""
        ...
