"""The definitions: one interval, one paired test, one meta-analysis per call, and which statistic a score takes.

These fix every number the site and ``leaderboard compare`` show (:mod:`leaderboard.stats`
describes the choices); :mod:`leaderboard.stats.batched` computes the same draws for many
cells at once.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats as scipy_stats
from scipy.stats import rankdata

from benchmarks.registry import metric as declared_metric

BOOTSTRAP_RESAMPLES = 1000
PERMUTATIONS = 10_000
SEED = 0
LEVEL = 0.95
MATCH = 1e-6  # the statistic recomputed on all items must reproduce the stored score this closely
NO_SPREAD_EFFECT = 1e6  # d_z of a difference that is the same non-zero number on every item (sd 0)
NO_SPREAD = 1e-9  # a difference whose sd is below this fraction of its largest |value| is the same on every item, up to rounding


def effect_size(diff: np.ndarray) -> float:
    """Cohen's d_z of a paired difference: mean / sd (ddof 1).

    A difference that is the same on every item has no spread and no finite d_z: it counts as
    ±:data:`NO_SPREAD_EFFECT` (a huge effect, not none), and 0 when that difference is 0.
    "The same" allows float rounding (:data:`NO_SPREAD`): thirty differences 0.4 − 0.3 and
    0.2 − 0.1 are 0.1 give or take 3e-17, and mean / sd would print d_z = 3.5e15.
    The one rule for the CLI's test and the site's cells.
    """
    mean = float(diff.mean())
    sd = float(diff.std(ddof=1)) if diff.size > 1 else 0.0
    if sd <= NO_SPREAD * float(np.abs(diff).max(initial=0.0)):
        return 0.0 if mean == 0 else math.copysign(NO_SPREAD_EFFECT, mean)
    return mean / sd


Statistic = Literal["mean", "spearman", "pearson", "macro"]


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
    return PairedTest(
        queries=len(shared),
        mean_a=float(np.mean([a[q] for q in shared])),
        mean_b=float(np.mean([b[q] for q in shared])),
        mean_difference=float(diff.mean()),
        effect_size=effect_size(diff),
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


def correlation_contributions(values: Mapping[str, float], gold: Mapping[str, float], kind: str) -> dict[str, float]:
    """Per-pair terms whose mean is the correlation: z(x) × z(gold), of the ranks for Spearman.

    Population z-scores, in ``values``' order, over the pairs that have a gold value.  Paired
    tests on a correlation compare these per pair (same gold for both models), so the mean
    difference is exactly the difference of the two correlations with each pair's ranks held
    fixed.  Empty when fewer than two pairs, or when either side is constant.
    """
    ids = [i for i in values if i in gold]
    if len(ids) < 2:
        return {}
    x = np.fromiter((float(values[i]) for i in ids), dtype=float, count=len(ids))
    g = np.fromiter((float(gold[i]) for i in ids), dtype=float, count=len(ids))
    if kind == "spearman":
        x, g = rankdata(x), rankdata(g)
    sx, sg = x.std(), g.std()
    if sx == 0 or sg == 0:
        return {}
    return dict(zip(ids, (((x - x.mean()) / sx) * ((g - g.mean()) / sg)).tolist(), strict=True))


def spearman_contributions(similarity: Mapping[str, float], gold: Mapping[str, float]) -> dict[str, float]:
    """:func:`correlation_contributions` for Spearman's rho (STS)."""
    return correlation_contributions(similarity, gold, "spearman")


# ------------------------------------------------------------------ which statistic a score takes
def statistic_for(task_id: str, metric: str) -> Statistic:
    """How ``metric`` of ``task_id`` relates to its per-item values, from the metric's declaration.

    ``mean`` for a metric nobody declares (an imported or retired one): its interval is then
    given only if the mean of the per-item values reproduces the stored score (:data:`MATCH`).
    """
    definition = declared_metric(task_id, metric)
    if definition is None or definition.aggregation == "mean":
        return "mean"
    if definition.aggregation == "correlation":
        return "spearman" if definition.correlation == "spearman" else "pearson"
    return "macro"


def paired_values(statistic: Statistic, per_query: Mapping[str, float], gold: Mapping[str, float] | None) -> dict[str, float] | None:
    """The per-item values a paired test compares for a score of this statistic; None when there are none.

    A mean (or a macro average: its items are what it is averaged from) compares the per-item
    values; a correlation compares :func:`correlation_contributions`, which needs the run's gold.
    """
    if statistic in ("mean", "macro"):
        return {k: float(v) for k, v in per_query.items()} or None
    return correlation_contributions(per_query, gold or {}, statistic) or None
