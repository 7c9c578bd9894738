"""BEIR tasks: one per catalogue entry, scored with trec_eval semantics."""

from __future__ import annotations

import yaml

from benchmarks.beir.catalog import BEIR_DATASETS
from benchmarks.beir.catalog_types import BeirDataset
from benchmarks.beir.loader import load_split, required_files
from benchmarks.metrics.retrieval import MAIN_RETRIEVAL_METRIC, RETRIEVAL_METRICS, count_not_relevant, metric_spec
from benchmarks.tasks import DataReport, Task
from common.errors import UserError
from common.settings import settings


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


def extra_datasets() -> list[BeirDataset]:
    """Private BEIR-format datasets listed in the YAML file named by ``LEADERBOARD_BEIR_EXTRA``.

    Each entry: ``name`` (task ``beir/<name>``, data in ``<data dir>/beir/<name>/``), ``docs`` and
    ``queries`` (the counts the files must hold), and optionally ``split`` (default test),
    ``license`` and ``remove_identical_ids`` (default true).  This is how a team evaluates on
    its own data without code changes; the counts play the part of BEIR's published ones.
    """
    extra = settings().beir_extra
    if extra is None:
        return []
    try:
        path = str(extra)
        entries = yaml.safe_load(extra.read_text(encoding="utf-8")) or []
        return [
            BeirDataset(
                name=str(e["name"]),
                zip_name="",
                url="",
                md5="",
                license=str(e.get("license", "")),
                splits=(str(e.get("split", "test")),),
                test_split=str(e.get("split", "test")),
                num_docs=int(e["docs"]),
                num_queries=int(e["queries"]),
                remove_identical_ids=bool(e.get("remove_identical_ids", True)),
                notes=f"from {path}",
            )
            for e in entries
        ]
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError) as err:
        raise UserError(f"LEADERBOARD_BEIR_EXTRA={path}: cannot read the extra datasets ({err}); each needs name, docs, queries") from err


def tasks() -> list[Task]:
    return [beir_task(entry) for entry in (*BEIR_DATASETS, *extra_datasets())]


def missing_files(task: Task) -> list[str]:
    return [role for role, path in required_files(task.folder, task.split).items() if path is None]


def inspect(task: Task) -> DataReport:
    data = load_split(task.folder, task.split, task.id)
    not_relevant = count_not_relevant(data.qrels)
    note = f"{not_relevant:,} judgements with grade <= 0, treated as not relevant" if not_relevant else ""
    return DataReport(counts={"docs": len(data.corpus), "queries": len(data.queries)}, sha256=data.sha256, note=note)
