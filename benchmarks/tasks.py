"""The task registry: what is measured, under which exact definition.

A task id is ``<benchmark>/<dataset>`` (``beir/scifact``).  A :class:`Task` is pure metadata;
loading data and evaluating outputs live in the benchmark's own modules.  New benchmarks add
their tasks to :func:`all_tasks`.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from benchmarks.beir.catalog import BEIR_DATASETS
from benchmarks.beir.catalog_types import BeirDataset
from benchmarks.errors import UserError
from benchmarks.metrics.retrieval import MAIN_RETRIEVAL_METRIC, RETRIEVAL_METRICS, metric_spec
from benchmarks.settings import data_dir


@dataclass(frozen=True)
class Task:
    """One evaluable task and the definition its scores are computed under."""

    id: str
    benchmark: str
    dataset: str
    split: str
    main_score: str
    metrics: tuple[str, ...]
    metric_spec: dict = field(hash=False, compare=False)
    license: str = ""
    source_url: str = ""
    beir: BeirDataset | None = field(default=None, hash=False, compare=False)

    @property
    def folder(self) -> Path:
        """Where the task's files live under the data dir."""
        if self.beir is not None:
            return data_dir() / "beir" / (self.beir.subdir or self.beir.name)
        return data_dir() / self.benchmark / self.dataset


def _beir_task(entry: BeirDataset) -> Task:
    return Task(
        id=f"beir/{entry.name}",
        benchmark="beir",
        dataset=entry.name,
        split=entry.test_split,
        main_score=MAIN_RETRIEVAL_METRIC,
        metrics=tuple(RETRIEVAL_METRICS),
        metric_spec=metric_spec(split=entry.test_split, remove_identical_ids=entry.remove_identical_ids),
        license=entry.license,
        source_url=entry.url,
        beir=entry,
    )


@cache
def all_tasks() -> dict[str, Task]:
    """Every registered task by id."""
    tasks = [_beir_task(entry) for entry in BEIR_DATASETS]
    return {task.id: task for task in tasks}


def get_task(task_id: str) -> Task:
    """The task with this id, or a one-line error suggesting close ids."""
    tasks = all_tasks()
    if task_id in tasks:
        return tasks[task_id]
    close = difflib.get_close_matches(task_id, list(tasks), n=3)
    hint = f" Did you mean {', '.join(close)}?" if close else " 'leaderboard data list' shows every task."
    raise UserError(f"unknown task {task_id!r}.{hint}")
