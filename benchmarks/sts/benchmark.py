"""STS: one task per test set, cosine Spearman over the pooled gold-scored pairs, as MTEB (the contract's ``BENCHMARK``).

Predictions: the sentence-encoder runner's :class:`~benchmarks.contract.SentenceEmbeddings`;
:meth:`StsBenchmark.texts` tells it what to embed (both sides of every pair, first sides first).

Gold scores are not a metric: :meth:`StsBenchmark.evaluate` returns the normalised gold per pair
as item data (``{"gold": {pair id: gold}}``), which the run stores beside its scores (table
``run_items``) and a correlation's confidence interval and paired test read.  Runs stored before
revision 0005 held it as the score row ``gold_score``; the migration moved those.
:func:`gold_score_row` rebuilds that old row from the item data, bit for bit, for a runner that
still returns it (``leaderboard.store`` takes such a row out of the scores and stores it as item data).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from benchmarks.contract import (
    BatchOrder,
    Capability,
    Evaluation,
    LoadedData,
    MetricDefinition,
    SentenceEmbeddings,
    Task,
    relative_files,
    verify_counts,
)
from benchmarks.metrics.retrieval import MetricResult
from benchmarks.metrics.sts import GOLD_SCORE, MAIN_STS_METRIC, STS_DEFINITIONS, STS_METRICS, evaluate_sts, metric_spec
from benchmarks.sts.catalog import MTEB_SIMILAR, STS_DATASETS, STS_MAX_SCORE, STS_MIN_SCORE, StsDataset
from benchmarks.sts.loader import StsData, load_sts
from benchmarks.sts.loader import missing_files as _missing_files


def sts_task(entry: StsDataset) -> Task[StsDataset]:
    split = "all" if entry.layout == "sick" else "test"
    return Task(
        id=f"sts/{entry.name}",
        benchmark="sts",
        dataset=entry.name,
        split=split,
        main_score=MAIN_STS_METRIC,
        metrics=STS_METRICS,
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
        aliases=tuple(dict.fromkeys((entry.mteb_name, *MTEB_SIMILAR.get(entry.mteb_name, ()), *entry.spellings))),
        mteb=(entry.mteb_name, "default"),
    )


def gold_score_row(evaluation: Evaluation) -> MetricResult:
    """The ``gold_score`` row of runs before revision 0005: the mean normalised gold, and the gold per pair.

    ``np.mean`` over the values in pair order, as :func:`benchmarks.metrics.sts.evaluate_sts` takes it: the same bits.
    """
    gold = evaluation.item_data["gold"]
    return MetricResult(float(np.asarray(list(gold.values()), dtype=np.float64).mean()), dict(gold))


class StsBenchmark:
    """Semantic textual similarity: a sentence encoder's pair similarities, correlated with the gold scores."""

    id = "sts"
    name = "STS"
    description = "semantic textual similarity"
    capability: Capability = "sentence_encoder"
    batch_order: BatchOrder = "characters"  # sentence-transformers' batches: a Spearman over near-ties feels float rounding
    metrics: Mapping[str, MetricDefinition] = STS_DEFINITIONS
    main_metric = MAIN_STS_METRIC
    fetch = None

    def tasks(self) -> list[Task[StsDataset]]:
        return [sts_task(entry) for entry in STS_DATASETS]

    def missing_files(self, task: Task[StsDataset]) -> list[str]:
        return _missing_files(task.info, task.folder)

    def load(self, task: Task[StsDataset]) -> LoadedData[StsData]:
        data = load_sts(task.info, task.folder, task.id)
        counts = {"pairs": len(data.pairs)}
        verify_counts(task, counts, sha256=data.sha256)
        return LoadedData(data, counts, data.sha256, relative_files(data.files))

    def texts(self, task: Task[StsDataset], data: StsData) -> list[str]:
        """First sides, then second sides: a sentence in several pairs is embedded once."""
        return [pair.sentence1 for pair in data.pairs] + [pair.sentence2 for pair in data.pairs]

    def run_notes(self, task: Task[StsDataset], data: StsData) -> dict[str, Any]:
        return {}

    def evaluate(self, task: Task[StsDataset], data: StsData, predictions: SentenceEmbeddings) -> Evaluation:
        """Every correlation of :func:`evaluate_sts`; the gold per pair as item data; the pairs read per subset as spec.

        The model's own similarity per pair is ``predictions.pairwise`` when the runner gives it
        (torch, in MTEB's float32 order), else :func:`benchmarks.metrics.sts.model_similarity`.
        """
        first = predictions.of([pair.sentence1 for pair in data.pairs])
        second = predictions.of([pair.sentence2 for pair in data.pairs])
        own = predictions.pairwise(first, second, predictions.similarity) if predictions.pairwise is not None else None
        scores = evaluate_sts(
            first,
            second,
            [pair.score for pair in data.pairs],
            [pair.id for pair in data.pairs],
            similarity=predictions.similarity,
            min_score=STS_MIN_SCORE,
            max_score=STS_MAX_SCORE,
            own_similarity=own,
        )
        gold = scores.pop(GOLD_SCORE)
        return Evaluation(scores, {"gold": gold.per_query}, {"subsets": data.subsets or task.metric_spec.get("subsets", [])})


BENCHMARK = StsBenchmark()
