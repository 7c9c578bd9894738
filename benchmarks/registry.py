"""The one registry of benchmarks and their tasks.

Registration is explicit (ir_measures registers measures as an import side effect; we do not):
the built-in benchmarks are named in :data:`BUILTIN`, in display order, and each is imported
lazily from ``benchmarks.<id>.benchmark`` (its ``BENCHMARK``) the first time it is asked for,
so ``leaderboard data list`` does not import every evaluator.  :func:`register` adds another
object satisfying :class:`~benchmarks.contract.Benchmark` (a plugin, or a test's toy benchmark).

Everything that used to be a table keyed by benchmark id reads from here: names and blurbs
(``BENCHMARK.name`` / ``.description``), the runner (``.capability``), metric labels and how a
metric aggregates (:func:`metric`), MTEB task names (``Task.mteb``, :func:`task_for_mteb`).
"""

from __future__ import annotations

import difflib
import functools
import importlib
from collections.abc import Iterable

from benchmarks.contract import Benchmark, MetricDefinition, Task
from common.errors import UserError

BUILTIN: tuple[str, ...] = ("beir", "sts", "tatoeba", "aro")

_registered: dict[str, Benchmark] = {}


@functools.cache
def _builtin(benchmark_id: str) -> Benchmark:
    return importlib.import_module(f"benchmarks.{benchmark_id}.benchmark").BENCHMARK


def _clear() -> None:
    all_tasks.cache_clear()
    _mteb_index.cache_clear()


def reload_tasks() -> None:
    """Forget the tasks read so far, so the next call reads them under the current settings.

    For a process whose environment changed after it listed the tasks: a Ray worker process is
    reused for jobs that bring their own ``LEADERBOARD_*`` variables (``LEADERBOARD_BEIR_EXTRA``).
    """
    _clear()


def register(benchmark: Benchmark) -> None:
    """Add ``benchmark`` after the built-in ones (its id must be new)."""
    if benchmark.id in BUILTIN or benchmark.id in _registered:
        raise ValueError(f"benchmark {benchmark.id!r} is already registered")
    _registered[benchmark.id] = benchmark
    _clear()


def unregister(benchmark_id: str) -> None:
    """Remove a benchmark added with :func:`register` (tests clean up with it)."""
    _registered.pop(benchmark_id, None)
    _clear()


def benchmark_ids() -> tuple[str, ...]:
    """Every benchmark id, in display order (built-in first)."""
    return (*BUILTIN, *_registered)


def benchmarks() -> list[Benchmark]:
    """Every benchmark object, in display order."""
    return [get_benchmark(benchmark_id) for benchmark_id in benchmark_ids()]


def find_benchmark(benchmark_id: str) -> Benchmark | None:
    if benchmark_id in _registered:
        return _registered[benchmark_id]
    if benchmark_id in BUILTIN:
        return _builtin(benchmark_id)
    return None


def get_benchmark(benchmark_id: str) -> Benchmark:
    """The benchmark with this id, or a one-line error listing the known ones."""
    found = find_benchmark(benchmark_id)
    if found is None:
        raise UserError(f"unknown benchmark {benchmark_id!r}; the benchmarks are {', '.join(benchmark_ids())}")
    return found


@functools.cache
def all_tasks() -> dict[str, Task]:
    """Every registered task by id, benchmarks in display order (one dict, built once)."""
    tasks: dict[str, Task] = {}
    for benchmark in benchmarks():
        tasks.update({task.id: task for task in benchmark.tasks()})
    return tasks


def find_task(task_id: str) -> Task | None:
    return all_tasks().get(task_id)


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
    known = benchmark_ids()
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        prefix = part.removesuffix("/*")
        if prefix in known and (part == prefix or part.endswith("/*")):
            ids.extend(t.id for t in all_tasks().values() if t.benchmark == prefix)
        else:
            ids.append(part)
    return ids


def task_spec(task_ids: Iterable[str]) -> str:
    """The ``--tasks`` value for these ids, shortest form: every shown command uses it (the inverse of :func:`expand_task_ids`).

    A benchmark whose every registered task is among the ids is named by the benchmark
    (``sts``, ``tatoeba``: 112 ids become one word); other ids stay as they are, in their first
    order, each once.  ``expand_task_ids(task_spec(ids))`` gives the same set of tasks.
    """
    ids = list(dict.fromkeys(task_ids))
    chosen = set(ids)
    members: dict[str, set[str]] = {}
    for task in all_tasks().values():
        members.setdefault(task.benchmark, set()).add(task.id)
    complete = {b for b, tasks in members.items() if len(tasks) > 1 and tasks <= chosen}
    parts: list[str] = []
    for task_id in ids:
        benchmark = task_id.partition("/")[0]
        part = benchmark if benchmark in complete else task_id
        if part not in parts:
            parts.append(part)
    return ",".join(parts)


@functools.cache
def _mteb_index() -> dict[tuple[str, str], Task]:
    return {task.mteb: task for task in all_tasks().values() if task.mteb is not None}


def task_for_mteb(name: str, subset: str = "default") -> Task | None:
    """Our task for an MTEB task name and hf_subset (``("Tatoeba", "deu-eng")``), or None."""
    return _mteb_index().get((name, subset))


def metric(task: Task | str, name: str) -> MetricDefinition | None:
    """The definition of metric ``name`` as ``task``'s benchmark declares it; None for a name it does not declare."""
    benchmark_id = task.partition("/")[0] if isinstance(task, str) else task.benchmark
    benchmark = find_benchmark(benchmark_id)
    return None if benchmark is None else benchmark.metrics.get(name)
