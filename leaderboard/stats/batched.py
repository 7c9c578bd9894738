"""Batched kernels: the reference statistics for thousands of cells at once (the site's board).

Why not simply call :func:`~leaderboard.stats.reference.bootstrap_ci` /
:func:`~leaderboard.stats.reference.paired_randomization_test` per cell: they compute one
interval or test per call, with a Python-level statistic and freshly drawn resamples or sign
patterns.  A board has thousands of cells; here the same draws (same seed, same calls to the
generator) are computed once per item count and applied to many cells with a matrix product.
The results equal the reference functions' to floating-point rounding; the unit tests check it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from scipy.stats import rankdata

from common.lru import LRU
from leaderboard.stats.reference import (
    BOOTSTRAP_RESAMPLES,
    LEVEL,
    MATCH,
    PERMUTATIONS,
    SEED,
    Statistic,
    effect_size,
    paired_randomization_test,
    statistic_for,
)


class Items(Protocol):
    """A run's main score and its per-item values (:class:`leaderboard.views.items.ItemValues`)."""

    task_id: str
    metric: str
    value: float
    per_query: Mapping[str, float]
    gold: Mapping[str, float] | None


@dataclass(frozen=True)
class CellInterval:
    low: float | None
    high: float | None
    statistic: str  # "mean" | "spearman" | "pearson" | "" (none)
    note: str = ""  # why there is no interval

    @property
    def ok(self) -> bool:
        return self.low is not None and self.high is not None


NO_VALUES = CellInterval(None, None, "", "no per-item values stored")


@dataclass(frozen=True)
class PairEffect:
    effect: float  # Cohen's d_z of lower − upper
    items: int


_COUNTS = LRU(16)


def resample_counts(n: int) -> np.ndarray:
    """How often each item is drawn in each resample: :func:`bootstrap_ci`'s draws (seed 0), as a (resamples × n) count matrix."""
    hit = _COUNTS.get(n)
    if hit is None:
        draws = np.random.default_rng(SEED).integers(0, n, size=(BOOTSTRAP_RESAMPLES, n))
        offsets = (np.arange(BOOTSTRAP_RESAMPLES, dtype=np.int64)[:, None] * n + draws).ravel()
        hit = np.bincount(offsets, minlength=BOOTSTRAP_RESAMPLES * n).reshape(BOOTSTRAP_RESAMPLES, n).astype(np.uint32)
        if hit.nbytes <= 64 * 1024 * 1024:
            _COUNTS.put(n, hit)
    return hit


def _percentiles(estimates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    alpha = (1 - LEVEL) / 2
    return np.quantile(estimates, alpha, axis=-1), np.quantile(estimates, 1 - alpha, axis=-1)


def mean_intervals(arrays: list[np.ndarray], *, block: int = 2000) -> list[tuple[float, float]]:
    """``bootstrap_ci(values)`` (the mean) of every array, batched by length: means = values @ countsᵀ / n."""
    out: list[tuple[float, float] | None] = [None] * len(arrays)
    by_length: dict[int, list[int]] = {}
    for index, array in enumerate(arrays):
        by_length.setdefault(array.size, []).append(index)
    for n, indices in by_length.items():
        counts = resample_counts(n).astype(float).T  # n × resamples
        for start in range(0, len(indices), block):
            part = indices[start : start + block]
            estimates = np.vstack([arrays[i] for i in part]) @ counts / n
            low, high = _percentiles(estimates)
            for i, lo, hi in zip(part, low.tolist(), high.tolist(), strict=True):
                out[i] = (lo, hi)
    return out  # type: ignore[return-value]


def _resampled_ranks(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Average ranks (scipy ``rankdata``) of every item within each resample, from the draw counts.

    In a resample an item whose value v is drawn alongside L smaller draws and m draws equal
    to v (itself and its ties, repeats included) has rank L + (m + 1) / 2.
    """
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    new_group = np.r_[True, ordered[1:] != ordered[:-1]]
    starts = np.flatnonzero(new_group)
    group_of = np.empty(values.size, dtype=np.int64)
    group_of[order] = np.cumsum(new_group) - 1
    per_group = np.add.reduceat(counts[:, order], starts, axis=1)
    ranks = np.cumsum(per_group, axis=1) - per_group + (per_group + 1) / 2
    return ranks[:, group_of]


def correlation_interval(x: np.ndarray, gold: np.ndarray, kind: str, *, block: int = 100) -> tuple[float, float]:
    """``bootstrap_ci`` with the correlation of gold and x recomputed on each resample of the pairs.

    A resample with repeats is the weighted data set (weights = draw counts), so each
    resample's correlation is a weighted Pearson, of the resample's average ranks for Spearman.
    """
    n = x.size
    estimates = np.empty(BOOTSTRAP_RESAMPLES)
    all_counts = resample_counts(n)
    for start in range(0, BOOTSTRAP_RESAMPLES, block):
        counts = all_counts[start : start + block].astype(float)
        if kind == "spearman":
            a, b = _resampled_ranks(x, counts), _resampled_ranks(gold, counts)
        else:
            a, b = np.broadcast_to(x, counts.shape), np.broadcast_to(gold, counts.shape)
        mean_a = (counts * a).sum(axis=1, keepdims=True) / n
        mean_b = (counts * b).sum(axis=1, keepdims=True) / n
        da, db = a - mean_a, b - mean_b
        covariance = (counts * da * db).sum(axis=1)
        spread = np.sqrt((counts * da * da).sum(axis=1) * (counts * db * db).sum(axis=1))
        with np.errstate(invalid="ignore", divide="ignore"):
            estimates[start : start + block] = covariance / spread
    low, high = _percentiles(estimates)
    return float(low), float(high)


def _correlation(x: np.ndarray, y: np.ndarray, kind: str) -> float:
    if kind == "spearman":
        x, y = rankdata(x), rankdata(y)
    dx, dy = x - x.mean(), y - y.mean()
    denominator = math.sqrt(float(dx @ dx) * float(dy @ dy))
    return float(dx @ dy) / denominator if denominator > 0 else math.nan


def _arrays(items: Items, statistic: Statistic) -> tuple[np.ndarray, np.ndarray | None]:
    """The per-item values (``per_query``'s order, as :func:`bootstrap_ci` sees them) and, for a correlation, the gold."""
    if statistic == "mean":
        values = list(items.per_query.values())
        return np.fromiter((float(v) for v in values), dtype=float, count=len(values)), None
    gold = items.gold or {}
    ids = [i for i in items.per_query if i in gold]
    x = np.fromiter((float(items.per_query[i]) for i in ids), dtype=float, count=len(ids))
    return x, np.fromiter((float(gold[i]) for i in ids), dtype=float, count=len(ids))


def compute_intervals(items: Mapping[int, Items]) -> dict[int, CellInterval]:
    """The 95% bootstrap interval of every run's main score, with the statistic its declaration names.

    None (with the reason) for a macro average (its groups are not stored with the items), for a
    correlation without the run's gold, and whenever the statistic recomputed on all items is not
    the stored score (within :data:`MATCH`): then the items are not what the score was computed from.
    """
    out: dict[int, CellInterval] = {}
    means: list[tuple[int, np.ndarray]] = []
    for run_id, values in items.items():
        kind = statistic_for(values.task_id, values.metric)
        if kind == "macro":
            out[run_id] = CellInterval(None, None, "", "a macro average over groups: the per-item values do not give it")
            continue
        if kind != "mean" and not values.gold:
            out[run_id] = CellInterval(None, None, "", "no per-item gold stored with the run")
            continue
        x, gold = _arrays(values, kind)
        if x.size < 2 or not np.all(np.isfinite(x)) or (gold is not None and not np.all(np.isfinite(gold))):
            out[run_id] = NO_VALUES
            continue
        point = float(x.mean()) if kind == "mean" else _correlation(x, gold, kind)  # type: ignore[arg-type]
        if not math.isfinite(point) or abs(point - values.value) > MATCH:
            out[run_id] = CellInterval(None, None, "", f"the {kind} of the per-item values is not this score")
            continue
        if kind == "mean":
            means.append((run_id, x))
        else:
            low, high = correlation_interval(x, gold, kind)  # type: ignore[arg-type]
            out[run_id] = CellInterval(low, high, kind) if math.isfinite(low) and math.isfinite(high) else NO_VALUES
    for (run_id, _), (low, high) in zip(means, mean_intervals([x for _, x in means]), strict=True):
        out[run_id] = CellInterval(low, high, "mean")
    return out


def difference(upper: Mapping[str, float], lower: Mapping[str, float]) -> np.ndarray:
    """lower − upper over the items both have (sorted ids, as :func:`paired_randomization_test`)."""
    shared = sorted(upper.keys() & lower.keys())
    return np.fromiter((lower[q] - upper[q] for q in shared), dtype=float, count=len(shared))


def pair_effect(upper: Mapping[str, float], lower: Mapping[str, float]) -> PairEffect | None:
    """``paired_randomization_test(upper, lower).effect_size`` without the permutations; None under 2 shared items.

    A difference that is the same on every item (sd 0) has no finite d_z; it is entered as
    ±:data:`NO_SPREAD_EFFECT`, where the meta-analysis's z saturates at √(2n).
    """
    diff = difference(upper, lower)
    if diff.size < 2:
        return None
    return PairEffect(effect_size(diff), int(diff.size))


def randomization_p_values(diffs: list[np.ndarray], *, chunk: int = 500) -> list[float | None]:
    """:func:`paired_randomization_test`'s p-value for each difference vector, batched by length.

    Up to 13 items the library enumerates every sign pattern and is called as it is.  Above,
    it draws 10,000 random patterns (seed 0) in one call; here they are drawn 500 rows at a
    time from the same generator, which gives the same patterns (each ±1 takes one 32-bit
    draw, so chunks of an even size continue the stream exactly; a unit test checks it), and
    applied to every difference vector of that length at once.
    """
    out: list[float | None] = [None] * len(diffs)
    by_length: dict[int, list[int]] = {}
    for index, diff in enumerate(diffs):
        if diff.size >= 1:
            by_length.setdefault(diff.size, []).append(index)
    signs = np.array([-1.0, 1.0])
    for n, indices in by_length.items():
        if 2**n <= min(PERMUTATIONS, 2**13):
            for i in indices:
                ids = [str(k) for k in range(n)]
                out[i] = paired_randomization_test(dict.fromkeys(ids, 0.0), dict(zip(ids, diffs[i].tolist(), strict=True))).p_value
            continue
        matrix = np.vstack([diffs[i] for i in indices])  # K × n
        observed = np.abs(matrix.mean(axis=1))
        extreme = np.zeros(len(indices), dtype=np.int64)
        rng = np.random.default_rng(SEED)
        for _ in range(PERMUTATIONS // chunk):
            patterns = rng.choice(signs, size=(chunk, n))
            permuted = np.abs(patterns @ matrix.T / n)
            extreme += np.count_nonzero(permuted >= observed - 1e-12, axis=0)
        for i, count in zip(indices, extreme.tolist(), strict=True):
            out[i] = (count + 1) / (PERMUTATIONS + 1)
    return out
