"""Confidence intervals and paired significance tests on stored per-query values.

Choices (fixed so that numbers on the board are reproducible):
- Bootstrap: 1,000 resamples of the queries (items) with replacement, seed 0, percentile
  interval at 95%.  The statistic is the mean of the per-query values, which is exactly the
  main score for every mean-based metric (nDCG@10, Recall, accuracy, F1 per pair…).  Tasks
  whose score is not a mean (STS Spearman) pass their own ``statistic`` over item indices.
- Paired test: paired randomisation (sign-flip) test on per-query differences, two-sided
  (Smucker et al., 2007 recommend randomisation tests for IR).  With at most 2^13 sign
  patterns every pattern is enumerated and p is exact; otherwise 10,000 random patterns,
  seed 0, p = (extreme + 1) / (permutations + 1).  Effect size: mean difference and Cohen's d_z
  (mean / sd of the differences).
- Across tasks: random-effects meta-analysis (DerSimonian–Laird) of the per-task d_z, as in the
  "Brewing BEIR" style of summarising many datasets: pooled effect, 95% CI and p-value.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
from scipy import stats as scipy_stats

BOOTSTRAP_RESAMPLES = 1000
PERMUTATIONS = 10_000
SEED = 0


@dataclass(frozen=True)
class Interval:
    low: float
    high: float
    resamples: int = BOOTSTRAP_RESAMPLES
    level: float = 0.95


def bootstrap_ci(
    values: Mapping[str, float] | np.ndarray,
    statistic: Callable[[np.ndarray], float] | None = None,
    *,
    resamples: int = BOOTSTRAP_RESAMPLES,
    level: float = 0.95,
    seed: int = SEED,
) -> Interval:
    """Percentile bootstrap interval of ``statistic`` (default: mean of the values).

    With a custom ``statistic`` it receives the resampled *indices* into ``values``' order.
    """
    array = np.asarray(list(values.values()) if isinstance(values, Mapping) else values, dtype=float)
    if array.size == 0:
        return Interval(math.nan, math.nan, resamples, level)
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, array.size, size=(resamples, array.size))
    estimates = array[draws].mean(axis=1) if statistic is None else np.array([statistic(row) for row in draws])
    alpha = (1 - level) / 2
    return Interval(float(np.quantile(estimates, alpha)), float(np.quantile(estimates, 1 - alpha)), resamples, level)


@dataclass(frozen=True)
class PairedTest:
    queries: int
    mean_a: float
    mean_b: float
    mean_difference: float  # b - a
    effect_size: float  # Cohen's d_z
    p_value: float
    permutations: int


def paired_randomization_test(
    a: Mapping[str, float], b: Mapping[str, float], *, permutations: int = PERMUTATIONS, seed: int = SEED
) -> PairedTest:
    """Two-sided sign-flip test of mean(b - a) over the queries both runs share."""
    shared = sorted(set(a) & set(b))
    if not shared:
        raise ValueError("the two runs share no queries")
    diff = np.array([b[q] - a[q] for q in shared], dtype=float)
    observed = abs(diff.mean())
    exact = 2**diff.size <= min(permutations, 2**13)
    if exact:
        patterns = np.array(np.meshgrid(*[[-1.0, 1.0]] * diff.size)).reshape(diff.size, -1).T
    else:
        patterns = np.random.default_rng(seed).choice(np.array([-1.0, 1.0]), size=(permutations, diff.size))
    permuted = np.abs((patterns * diff).mean(axis=1))
    extreme = int(np.count_nonzero(permuted >= observed - 1e-12))
    sd = diff.std(ddof=1) if diff.size > 1 else 0.0
    return PairedTest(
        queries=len(shared),
        mean_a=float(np.mean([a[q] for q in shared])),
        mean_b=float(np.mean([b[q] for q in shared])),
        mean_difference=float(diff.mean()),
        # a difference that is the same on every query has sd 0: call it a huge effect, not none
        effect_size=float(diff.mean() / sd) if sd > 0 else (0.0 if diff.mean() == 0 else math.copysign(1e6, diff.mean())),
        p_value=extreme / len(patterns) if exact else (extreme + 1) / (permutations + 1),
        permutations=len(patterns),
    )


@dataclass(frozen=True)
class MetaAnalysis:
    tasks: int
    pooled_effect: float
    ci_low: float
    ci_high: float
    p_value: float
    tau_squared: float


def random_effects_meta(effects: list[float], sizes: list[int]) -> MetaAnalysis:
    """DerSimonian–Laird pooling of per-task standardized paired effects d_z with n queries each."""
    d = np.asarray(effects, dtype=float)
    n = np.asarray(sizes, dtype=float)
    variances = 1.0 / n + d**2 / (2.0 * n)
    weights = 1.0 / variances
    fixed = float(np.sum(weights * d) / np.sum(weights))
    q = float(np.sum(weights * (d - fixed) ** 2))
    c = float(np.sum(weights) - np.sum(weights**2) / np.sum(weights))
    tau2 = max(0.0, (q - (len(d) - 1)) / c) if c > 0 else 0.0
    random_weights = 1.0 / (variances + tau2)
    pooled = float(np.sum(random_weights * d) / np.sum(random_weights))
    se = float(math.sqrt(1.0 / np.sum(random_weights)))
    z = pooled / se if se > 0 else 0.0
    return MetaAnalysis(
        tasks=len(d),
        pooled_effect=pooled,
        ci_low=pooled - 1.959964 * se,
        ci_high=pooled + 1.959964 * se,
        p_value=float(2 * scipy_stats.norm.sf(abs(z))),
        tau_squared=tau2,
    )


def spearman_contributions(similarity: Mapping[str, float], gold: Mapping[str, float]) -> dict[str, float]:
    """Per-pair terms whose mean is Spearman's rho: z(rank of similarity) × z(rank of gold).

    Paired tests on STS compare these per pair (same gold for both models), so the mean
    difference is exactly the difference of the two Spearman correlations.
    """
    ids = sorted(set(similarity) & set(gold))
    if len(ids) < 2:
        return {}
    x = scipy_stats.rankdata([similarity[i] for i in ids])
    g = scipy_stats.rankdata([gold[i] for i in ids])
    if x.std() == 0 or g.std() == 0:
        return {}
    terms = ((x - x.mean()) / x.std()) * ((g - g.mean()) / g.std())
    return dict(zip(ids, terms.tolist(), strict=True))
