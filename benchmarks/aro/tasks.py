"""ARO tasks: one per test set, scored under the ARO paper's definition (main) and MTEB's."""

from __future__ import annotations

from benchmarks.aro.catalog import ARO_DATASETS, AroDataset
from benchmarks.aro.loader import load_aro, missing
from benchmarks.aro.metrics import main_metric, metric_names, metric_spec
from benchmarks.tasks import DataReport, Task


def aro_task(entry: AroDataset) -> Task:
    counts = {"items": entry.num_items}
    if entry.num_images is not None:
        counts["images"] = entry.num_images
    return Task(
        id=f"aro/{entry.name}",
        benchmark="aro",
        dataset=entry.name,
        split="test",
        main_score=main_metric(entry.kind),
        metrics=metric_names(entry.kind),
        metric_spec=metric_spec(entry.kind, num_items=entry.num_items),
        license=entry.license,
        source_url=entry.cases_url if entry.kind != "order" else entry.source_annotation_url,
        relative_folder=f"aro/{entry.name}",
        expected_counts=counts,
        info=entry,
    )


def tasks() -> list[Task]:
    return [aro_task(entry) for entry in ARO_DATASETS]


def missing_files(task: Task) -> list[str]:
    return missing(task.info, task.folder)


def inspect(task: Task) -> DataReport:
    data = load_aro(task.info, task.folder, task.id)
    return DataReport(counts=data.counts, sha256=data.sha256)
