"""BEIR: one task per catalogue entry, scored with trec_eval semantics (the contract's ``BENCHMARK``)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import yaml

from benchmarks.beir.catalog import BEIR_DATASETS, COMMON_SPELLINGS, CQADUPSTACK_ALIASES, CQADUPSTACK_GROUP, MTEB_SIMILAR
from benchmarks.beir.catalog_types import BeirDataset
from benchmarks.beir.loader import BeirData, load_split, required_files
from benchmarks.contract import Capability, Evaluation, LoadedData, MetricDefinition, Task, relative_files, verify_counts
from benchmarks.metrics.retrieval import (
    DEFAULT_DEPTH,
    MAIN_RETRIEVAL_METRIC,
    RETRIEVAL_DEFINITIONS,
    RETRIEVAL_METRICS,
    Run,
    count_not_relevant,
    evaluate_retrieval,
    metric_spec,
)
from common.errors import UserError
from common.settings import data_dir, settings


def aliases(entry: BeirDataset) -> tuple[str, ...]:
    """Every other name of the dataset: MTEB's, mteb's similar tasks, the catalogue's, common spellings, its group's."""
    names = [entry.mteb_name, *MTEB_SIMILAR.get(entry.mteb_name, ()), *entry.aliases, *COMMON_SPELLINGS.get(entry.name, ())]
    if entry.group == CQADUPSTACK_GROUP:
        names.extend(CQADUPSTACK_ALIASES)
    return tuple(dict.fromkeys(name for name in names if name))


def beir_task(entry: BeirDataset) -> Task[BeirDataset]:
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
        aliases=aliases(entry),
        mteb=(entry.mteb_name, "default") if entry.mteb_name else None,
        group=entry.group or None,
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
    path = str(extra)
    try:
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


def fetch(task: Task[BeirDataset], *, url: str | None = None) -> Path:
    """Download, md5-check and unpack the task's official zip (``url``: a mirror); the folder it made."""
    from benchmarks.beir.fetch import fetch_beir

    if not task.info.url:  # a private extra dataset: no official zip to check a mirror against
        raise UserError(f"{task.id}: no automatic download; put its files in {task.folder} ('leaderboard data list --all' says which)")
    return fetch_beir(task.info, data_dir() / "beir", url=url)


class BeirBenchmark:
    """Zero-shot retrieval: a retriever's top hits per query, scored by pytrec_eval (benchmarks/metrics/retrieval.py)."""

    id = "beir"
    name = "BEIR"
    description = "zero-shot retrieval"
    capability: Capability = "retriever"
    metrics: Mapping[str, MetricDefinition] = RETRIEVAL_DEFINITIONS
    main_metric = MAIN_RETRIEVAL_METRIC
    fetch = staticmethod(fetch)

    def tasks(self) -> list[Task[BeirDataset]]:
        return [beir_task(entry) for entry in (*BEIR_DATASETS, *extra_datasets())]

    def missing_files(self, task: Task[BeirDataset]) -> list[str]:
        return [role for role, path in required_files(task.folder, task.split).items() if path is None]

    def load(self, task: Task[BeirDataset]) -> LoadedData[BeirData]:
        data = load_split(task.folder, task.split, task.id)
        not_relevant = count_not_relevant(data.qrels)
        note = f"{not_relevant:,} judgements with grade <= 0, treated as not relevant" if not_relevant else ""
        counts = {"docs": len(data.corpus), "queries": len(data.queries)}
        verify_counts(task, counts, sha256=data.sha256, note=note)
        return LoadedData(data, counts, data.sha256, relative_files(data.files), note)

    def evaluate(self, task: Task[BeirDataset], data: BeirData, predictions: Run) -> Evaluation:
        """``predictions``: query id -> doc id -> score (the retriever's run); depth 1,000, identical ids as the task says."""
        remove = bool(task.metric_spec.get("remove_identical_ids"))
        scores = evaluate_retrieval(data.qrels, predictions, task.metrics, depth=DEFAULT_DEPTH, remove_identical_ids=remove)
        return Evaluation(scores)


BENCHMARK = BeirBenchmark()
