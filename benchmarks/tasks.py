"""The task registry: what is measured, under which exact definition.

A task id is ``<benchmark>/<dataset>`` (``beir/scifact``).  A :class:`Task` is pure metadata.
Each benchmark is a package ``benchmarks/<name>/`` whose ``tasks.py`` exposes
``tasks() -> list[Task]`` and ``inspect(task) -> DataReport`` (parse the files and count what is
in them); :data:`BENCHMARKS` lists them in display order.
"""

from __future__ import annotations

import difflib
import importlib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import ModuleType

from common.errors import UserError
from common.settings import data_dir

BENCHMARKS = ("beir", "sts", "tatoeba", "aro")


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
    relative_folder: str = ""  # under the data dir; default "<benchmark>/<dataset>"
    expected_counts: dict = field(default_factory=dict, hash=False, compare=False)  # e.g. {"docs": 5183, "queries": 300}
    info: object = field(default=None, hash=False, compare=False)  # the benchmark's own catalogue entry

    @property
    def folder(self) -> Path:
        """Where the task's files live under the data dir."""
        return data_dir() / (self.relative_folder or f"{self.benchmark}/{self.dataset}")


@dataclass
class DataReport:
    """What a benchmark found in a task's files: counts to compare, and a content hash."""

    counts: dict[str, int]
    sha256: str
    note: str = ""  # something a reader of `data verify` should know that does not make the data wrong


def benchmark_module(benchmark: str) -> ModuleType | None:
    """``benchmarks.<benchmark>.tasks``, or None for a benchmark not built yet."""
    try:
        return importlib.import_module(f"benchmarks.{benchmark}.tasks")
    except ModuleNotFoundError as err:
        if err.name and err.name.startswith(f"benchmarks.{benchmark}"):
            return None
        raise


@cache
def all_tasks() -> dict[str, Task]:
    """Every registered task by id, benchmarks in :data:`BENCHMARKS` order."""
    tasks: dict[str, Task] = {}
    for benchmark in BENCHMARKS:
        module = benchmark_module(benchmark)
        if module is not None:
            tasks.update({task.id: task for task in module.tasks()})
    return tasks


def get_task(task_id: str) -> Task:
    """The task with this id, or a one-line error suggesting close ids."""
    tasks = all_tasks()
    if task_id in tasks:
        return tasks[task_id]
    close = difflib.get_close_matches(task_id, list(tasks), n=3)
    hint = f" Did you mean {', '.join(close)}?" if close else " 'leaderboard data list --all' shows every task."
    raise UserError(f"unknown task {task_id!r}.{hint}")


def expand_task_ids(spec: str) -> list[str]:
    """Comma-separated ids; a bare benchmark name (``sts``) or ``beir/*`` means all of its tasks."""
    ids: list[str] = []
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        prefix = part.removesuffix("/*")
        if prefix in BENCHMARKS and (part == prefix or part.endswith("/*")):
            ids.extend(t.id for t in all_tasks().values() if t.benchmark == prefix)
        else:
            ids.append(part)
    return ids
