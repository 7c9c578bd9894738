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

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, Literal, Protocol, TypeVar, runtime_checkable

__all__ = ["Aggregation", "Benchmark", "Capability", "DataMismatch", "Evaluation", "Loaded", "LoadedData", "MetricDefinition", "Task"]

from benchmarks.metrics.definition import Aggregation, MetricDefinition
from benchmarks.metrics.retrieval import MetricResult
from common.errors import UserError
from common.paths import relative_to
from common.settings import data_dir

Capability = Literal["retriever", "sentence_encoder", "image_text_scorer"]
"""What a benchmark needs from a model: ranked hits per query (BEIR), one embedding per text
(STS, Tatoeba), or a score per (image, caption) pair (ARO).  Runners and backends are matched
to benchmarks through this, never through benchmark ids."""

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
    ``metric_spec`` (STS: the pairs read per subset).
    """

    scores: dict[str, MetricResult]
    item_data: dict[str, dict[str, float]] = field(default_factory=dict)
    spec: dict[str, Any] = field(default_factory=dict)


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
