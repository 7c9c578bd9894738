"""STS tasks: one per test set, cosine Spearman over the pooled gold-scored pairs (MTEB)."""

from __future__ import annotations

from benchmarks.metrics.sts import GOLD_SCORE, MAIN_STS_METRIC, STS_METRICS, metric_spec
from benchmarks.sts.catalog import STS_DATASETS, StsDataset
from benchmarks.sts.loader import load_sts
from benchmarks.sts.loader import missing_files as _missing_files
from benchmarks.tasks import DataReport, Task


def sts_task(entry: StsDataset) -> Task:
    split = "all" if entry.layout == "sick" else "test"
    return Task(
        id=f"sts/{entry.name}",
        benchmark="sts",
        dataset=entry.name,
        split=split,
        main_score=MAIN_STS_METRIC,
        metrics=(*STS_METRICS, GOLD_SCORE),
        metric_spec={
            **metric_spec(
                split="all pairs of SICK.txt (TRAIN+TRIAL+TEST), as MTEB's SICK-R 'test'" if split == "all" else split,
                pairs=entry.num_pairs,
                subsets=list(entry.subsets),
                data_note=entry.data_note,
            ),
            "mteb_task": entry.mteb_name,
        },
        license=entry.license,
        source_url=entry.source_url,
        relative_folder=entry.folder,
        expected_counts={"pairs": entry.num_pairs},
        info=entry,
    )


def tasks() -> list[Task]:
    return [sts_task(entry) for entry in STS_DATASETS]


def missing_files(task: Task) -> list[str]:
    return _missing_files(task.info, task.folder)


def inspect(task: Task) -> DataReport:
    data = load_sts(task.info, task.folder, task.id)
    return DataReport(counts={"pairs": len(data.pairs)}, sha256=data.sha256)
