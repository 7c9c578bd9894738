"""Confidence intervals and paired significance tests on stored per-query values.

Which statistic a score takes is read from its declaration (:func:`statistic_for`: the metric's
``MetricDefinition.aggregation`` in :mod:`benchmarks.registry`), never from a task id: the mean
of the per-item values, a correlation recomputed from the per-item predictions and the run's
item data ``gold``, or none for a macro average over groups.  ``leaderboard compare`` and the
site's intervals and rank tests all call these functions.

The single-call functions of :mod:`~leaderboard.stats.reference` (:func:`bootstrap_ci`,
:func:`paired_randomization_test`, :func:`random_effects_meta`) define the numbers; the batched
kernels of :mod:`~leaderboard.stats.batched` (:func:`mean_intervals`, :func:`correlation_interval`,
:func:`randomization_p_values`, :func:`pair_effect`, :func:`compute_intervals`) compute the same
draws for thousands of cells at once (a board has thousands: same seed, same calls to the
generator, applied with a matrix product), equal to the single-call ones to floating-point
rounding (the unit tests check it).  Caching them per run is the site's job (:mod:`web.confidence`).

Choices (fixed so that numbers on the board are reproducible):
- Bootstrap: 1,000 resamples of the queries (items) with replacement, seed 0, percentile
  interval at 95%.  The statistic is the mean of the per-query values, which is exactly the
  main score for every mean-based metric (nDCG@10, Recall, accuracy, F1 per pair…).  A
  correlation (STS Spearman) is recomputed on each resample of the pairs, with the run's gold.
- Paired test: paired randomisation (sign-flip) test on per-query differences, two-sided
  (Smucker et al., 2007 recommend randomisation tests for IR).  With at most 2^13 sign
  patterns every pattern is enumerated and p is exact; otherwise 10,000 random patterns,
  seed 0, p = (extreme + 1) / (permutations + 1).  Effect size: mean difference and Cohen's d_z
  (mean / sd of the differences).
- Across tasks: random-effects meta-analysis (DerSimonian–Laird) of the per-task d_z, as in the
  "Brewing BEIR" style of summarising many datasets: pooled effect, 95% CI and p-value.
"""

from __future__ import annotations

from leaderboard.stats.batched import (
    NO_VALUES,
    CellInterval,
    Items,
    PairEffect,
    compute_intervals,
    correlation_interval,
    difference,
    mean_intervals,
    pair_effect,
    randomization_p_values,
    resample_counts,
)
from leaderboard.stats.reference import (
    BOOTSTRAP_RESAMPLES,
    LEVEL,
    MATCH,
    NO_SPREAD_EFFECT,
    PERMUTATIONS,
    SEED,
    Interval,
    MetaAnalysis,
    PairedTest,
    Statistic,
    bootstrap_ci,
    correlation_contributions,
    paired_randomization_test,
    paired_values,
    random_effects_meta,
    spearman_contributions,
    statistic_for,
)

__all__ = [
    "BOOTSTRAP_RESAMPLES", "LEVEL", "MATCH", "NO_SPREAD_EFFECT", "NO_VALUES", "PERMUTATIONS", "SEED",
    "CellInterval", "Interval", "Items", "MetaAnalysis", "PairEffect", "PairedTest", "Statistic",
    "bootstrap_ci", "compute_intervals", "correlation_contributions", "correlation_interval", "difference",
    "mean_intervals", "pair_effect", "paired_randomization_test", "paired_values", "random_effects_meta",
    "randomization_p_values", "resample_counts", "spearman_contributions", "statistic_for",
]  # fmt: skip
