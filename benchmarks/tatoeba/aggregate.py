"""The benchmark score ``tatoeba``: the mean over the 112 language pairs, as MTEB reports Tatoeba.

MTEB stores one result per pair (its Tatoeba task has 112 subsets); the figure papers and
leaderboards quote is the unweighted mean of those per-pair scores, each pair counting once
whatever its size (104 to 1,000 sentences).  We do the same from our 112 per-pair runs rather
than from a separate ``tatoeba/all`` task, which would encode everything a second time and could
disagree with the per-pair rows.  The mean exists only when every pair has a result: a partial
mean would not be comparable.
"""

from __future__ import annotations

from collections.abc import Mapping

from benchmarks.metrics.bitext import BITEXT_METRICS
from benchmarks.tatoeba.benchmark import task_id
from benchmarks.tatoeba.catalog import LANGUAGES

AGGREGATE_ID = "tatoeba"  # the task id used for the mean in reported scores (e.g. reported: {task: tatoeba, metric: f1})
PAIR_TASK_IDS: tuple[str, ...] = tuple(task_id(language) for language in LANGUAGES)


def missing_pairs(per_task: Mapping[str, object]) -> list[str]:
    return [tid for tid in PAIR_TASK_IDS if tid not in per_task]


def tatoeba_mean(per_task: Mapping[str, Mapping[str, float]], metrics: tuple[str, ...] = BITEXT_METRICS) -> dict[str, float] | None:
    """Mean of each metric over the 112 pairs, from ``{task id: {metric: value}}``; None unless all 112 are there."""
    if missing_pairs(per_task):
        return None
    return {metric: sum(float(per_task[tid][metric]) for tid in PAIR_TASK_IDS) / len(PAIR_TASK_IDS) for metric in metrics}
