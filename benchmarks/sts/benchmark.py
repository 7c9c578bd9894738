"""STS: one task per test set, cosine Spearman over the pooled gold-scored pairs, as MTEB (the contract's ``BENCHMARK``).

Gold scores are not a metric: :meth:`StsBenchmark.evaluate` returns the normalised gold per pair
as item data (``{"gold": {pair id: gold}}``), which the run stores beside its scores (table
``run_items``) and a correlation's confidence interval and paired test read.  Runs stored before
revision 0005 held it as the score row ``gold_score``; the migration moved those.
:func:`gold_score_row` rebuilds that old row from the item data, bit for bit, for a runner that
still returns it (``leaderboard.store`` takes such a row out of the scores and stores it as item data).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from benchmarks.contract import Capability, Evaluation, LoadedData, MetricDefinition, Task, relative_files, verify_counts
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


@dataclass(frozen=True)
class PairPredictions:
    """What a sentence encoder gives STS: both sides' embeddings, pair by pair, and the model's similarity.

    ``own_similarity``: the model's similarity per pair as the runner computed it (torch, in
    MTEB's float32 order); None lets the evaluator compute its numpy equivalent.
    """

    embeddings1: np.ndarray
    embeddings2: np.ndarray
    similarity: str = "cosine"
    own_similarity: np.ndarray | None = None


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

    def evaluate(self, task: Task[StsDataset], data: StsData, predictions: PairPredictions) -> Evaluation:
        """Every correlation of :func:`evaluate_sts`; the gold per pair as item data; the pairs read per subset as spec."""
        scores = evaluate_sts(
            predictions.embeddings1,
            predictions.embeddings2,
            [pair.score for pair in data.pairs],
            [pair.id for pair in data.pairs],
            similarity=predictions.similarity,
            min_score=STS_MIN_SCORE,
            max_score=STS_MAX_SCORE,
            own_similarity=predictions.own_similarity,
        )
        gold = scores.pop(GOLD_SCORE)
        return Evaluation(scores, {"gold": gold.per_query}, {"subsets": data.subsets or task.metric_spec.get("subsets", [])})


BENCHMARK = StsBenchmark()
