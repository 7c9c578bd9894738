"""The commands an empty page suggests: put the data in place, then run a reference model that can do the task.

Issue 17: the empty ARO pages suggested ``leaderboard run bm25s-flat --tasks aro/…``, which cannot
work (BM25 scores no images), and nothing about ARO's data, which is put in place by hand.  Now
the suggestion is a reference model whose backend has the capability the benchmark needs (the
smallest one, so the first run is cheap), with where its weights come from, and the data step
the benchmark allows: ``leaderboard data fetch`` where it can download, else the by-hand note.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from benchmarks.registry import all_tasks, find_benchmark, find_task
from submissions.schema import backend_supports


@dataclass(frozen=True)
class FirstRun:
    """One suggestion: each command with a short note of what it needs."""

    steps: tuple[tuple[str, str], ...]  # (command, note)


@functools.cache
def _references() -> tuple:
    from submissions.registry import reference_configs

    return tuple(config for config, _path in reference_configs().values())


def weights_note(config) -> str:
    """Where a config's weights come from, in words (what a first run downloads, if anything)."""
    weights = config.weights
    if weights is None:
        return "no weights"
    if weights.hf:
        where = f"Hugging Face {weights.hf} at revision {(weights.revision or 'main')[:8]}"
        return where + (f" (or the package {weights.package.split('/')[0]})" if weights.package else ", downloaded once online")
    if weights.package:
        return f"the package {weights.package.split('/')[0]}"
    return f"the folder {weights.path}"


def first_run(task_id: str) -> FirstRun | None:
    """The steps that give ``task_id`` its first result here; None for a task the code does not know."""
    task = find_task(task_id)
    benchmark = find_benchmark(task.benchmark) if task else None
    if task is None or benchmark is None:
        return None
    steps: list[tuple[str, str]] = []
    if benchmark.missing_files(task):
        if benchmark.fetch is not None:
            steps.append((f"leaderboard data fetch {task.id}", "downloads and checks the official files"))
        else:
            steps.append(
                (
                    "leaderboard data list --all",
                    f"names the {benchmark.name} files to put under LEADERBOARD_DATA_DIR by hand (docs/offline.md: where they come from)",
                )
            )
    # a fusion model is no first run: it is computed from other models' stored runs of the task
    able = [c for c in _references() if backend_supports(c.backend, benchmark.capability) and c.backend != "fusion"]
    if able:
        # the smallest; among BM25s the one without a JVM (bm25s), since it needs no extra at all
        model = min(able, key=lambda c: (c.metadata.parameters or 0, bool(c.bm25 and c.bm25.engine == "lucene"), c.name.lower()))
        steps.append((f"leaderboard run {model.name} --tasks {task.id}", f"weights: {weights_note(model)}"))
    return FirstRun(tuple(steps))


def first_task(benchmark_id: str, without: set[str] | None = None) -> str | None:
    """The task of a benchmark to suggest first: one whose files are here, else the smallest (never MS MARCO's 8.8M passages first).

    ``without``: the tasks that already have results (an empty benchmark: none).
    """
    benchmark = find_benchmark(benchmark_id)
    tasks = [t for t in all_tasks().values() if t.benchmark == benchmark_id and t.id not in (without or set())]
    if benchmark is None or not tasks:
        return None
    size = {t.id: sum(int(v) for v in t.expected_counts.values()) for t in tasks}
    return min(tasks, key=lambda t: (bool(benchmark.missing_files(t)), size[t.id], t.id)).id
