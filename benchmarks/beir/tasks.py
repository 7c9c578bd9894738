"""BEIR tasks: one per catalogue entry, scored with trec_eval semantics."""

from __future__ import annotations

from benchmarks.beir.catalog import BEIR_DATASETS
from benchmarks.beir.catalog_types import BeirDataset
from benchmarks.beir.loader import load_split, required_files
from benchmarks.metrics.retrieval import MAIN_RETRIEVAL_METRIC, RETRIEVAL_METRICS, metric_spec
from benchmarks.tasks import DataReport, Task


def beir_task(entry: BeirDataset) -> Task:
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
        relative_folder=f"beir/{entry.subdir or entry.name}",
        expected_counts={"docs": entry.num_docs, "queries": entry.num_queries},
        info=entry,
    )


def tasks() -> list[Task]:
    return [beir_task(entry) for entry in BEIR_DATASETS]


def missing_files(task: Task) -> list[str]:
    return [role for role, path in required_files(task.folder, task.split).items() if path is None]


def inspect(task: Task) -> DataReport:
    data = load_split(task.folder, task.split, task.id)
    return DataReport(counts={"docs": len(data.corpus), "queries": len(data.queries)}, sha256=data.sha256)
