"""Tatoeba tasks: one per language pair ``tatoeba/<xxx>-eng``, F1 of xxx -> eng nearest-neighbour search.

The benchmark-level score ``tatoeba`` is not a task of its own (running it would encode every
pair a second time): it is the mean of the 112 per-pair runs, see
:mod:`benchmarks.tatoeba.aggregate`.
"""

from __future__ import annotations

from benchmarks.metrics.bitext import BITEXT_METRICS, MAIN_BITEXT_METRIC, metric_spec
from benchmarks.tasks import DataReport, Task
from benchmarks.tatoeba.catalog import FOLDER, LANGUAGES, LICENSE, SOURCE_URL, num_pairs
from benchmarks.tatoeba.loader import load_pair
from benchmarks.tatoeba.loader import missing_files as _missing_files


def task_id(language: str) -> str:
    return f"tatoeba/{language}-eng"


def tatoeba_task(language: str) -> Task:
    pairs = num_pairs(language)
    return Task(
        id=task_id(language),
        benchmark="tatoeba",
        dataset=f"{language}-eng",
        split="test",
        main_score=MAIN_BITEXT_METRIC,
        metrics=BITEXT_METRICS,
        metric_spec={**metric_spec(language=language, pairs=pairs), "mteb_task": f"Tatoeba ({language}-eng subset)"},
        license=LICENSE,
        source_url=SOURCE_URL,
        relative_folder=FOLDER,
        expected_counts={"pairs": pairs},
        info=language,
    )


def tasks() -> list[Task]:
    return [tatoeba_task(language) for language in LANGUAGES]


def missing_files(task: Task) -> list[str]:
    return _missing_files(task.folder, task.info)


def inspect(task: Task) -> DataReport:
    pair = load_pair(task.folder, task.info, task.id)
    return DataReport(counts={"pairs": len(pair.sentences)}, sha256=pair.sha256)
