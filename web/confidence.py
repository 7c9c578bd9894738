"""Confidence intervals of the board's cells, and whether adjacent ranks are separable.

Everything here is derived from a run's stored per-item values, which never change once the
run is stored, so results are cached by run id (an interval) or by pair of run ids (a paired
comparison) in :class:`RunStatsCache`.  That cache outlives data versions: when a run lands,
only its own cell and the pairs it enters are computed; everything else is reused.

**Confidence interval of a cell**: :func:`leaderboard.stats.bootstrap_ci`'s definition, fixed
so every interval on the site can be reproduced: 1,000 resamples of the items with
replacement, seed 0, 95 % percentile interval.

- Mean-based main scores (nDCG@10 and the other retrieval metrics, Tatoeba F1, ARO
  precision@1): the statistic is the mean of ``Score.per_query``, which is the score.
- Correlations (STS ``cosine_spearman``; any ``*spearman`` / ``*pearson`` main score of a run
  that stored a ``gold_score`` row): the correlation recomputed on the resampled pairs from the
  run's per-pair similarities (``per_query``) and per-pair gold (``gold_score``); Spearman
  with average ranks, as scipy.
- Tatoeba: ``per_query`` holds each sentence's own F1 (their mean is the score), so the
  interval is of that mean; the precision part of a sentence's F1 (1 / how many sentences
  picked its line) is taken as stored, not recomputed inside a resample.
- No interval when the statistic recomputed on all items is not the stored score (within
  1e-6): ARO's macro accuracy is a mean of per-relation accuracies whose grouping is not
  stored with the items, and runs stored without per-item values have nothing to resample.

**Separability of adjacent ranks.**  Two rows next to each other in rank order are compared
task by task on the items both runs have.  For mean-based scores the paired values are
``per_query``; for a correlation each pair's *contribution* ``z(rank gold) · z(rank
similarity)`` (population z-scores), whose mean is the Spearman coefficient exactly, so the
paired test compares the two coefficients with each pair's ranks held fixed.

- A benchmark table pools the per-task Cohen's d_z (``paired_randomization_test``'s effect
  size) with :func:`leaderboard.stats.random_effects_meta`.  The pooled p-value depends only
  on d_z and the number of items per task, so the per-task permutations are not run there.
  A one-task table uses the task's paired randomisation test instead.
- A task page uses :func:`leaderboard.stats.paired_randomization_test` on that task alone.
- p ≥ 0.05 marks the lower row's rank "≈": not separable from the row above.
- A difference that is the same on every item (sd 0) has no finite d_z; it is entered as
  ±1e6, where the meta-analysis's z saturates at √(2n), instead of
  ``paired_randomization_test``'s 0, which would call two clearly different runs equal.

Why not simply call ``bootstrap_ci`` / ``paired_randomization_test`` per cell: they compute
one interval or test per call, with a Python-level statistic and freshly drawn resamples or
sign patterns.  A board has thousands of cells; here the same draws (same seed, same calls to
the generator) are computed once per item count and applied to many cells with a matrix
product.  The results equal the library's to floating-point rounding; the unit tests check it.
"""

from __future__ import annotations

import functools
import math
import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from scipy.stats import rankdata

from leaderboard import queries, stats

RESAMPLES = stats.BOOTSTRAP_RESAMPLES
PERMUTATIONS = stats.PERMUTATIONS
SEED = stats.SEED
LEVEL = 0.95
ALPHA = 0.05  # p ≥ ALPHA: not separable
MATCH = 1e-6  # the statistic on all items must reproduce the stored score this closely
NO_SPREAD_EFFECT = 1e6  # d_z entered for a constant non-zero difference (see the module docstring)
CI_TEXT = f"{LEVEL:.0%} bootstrap CI, {RESAMPLES:,} resamples"


# ------------------------------------------------------------------ cache
class LRU:
    """A thread-safe least-recently-used map of bounded size."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._data: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._data

    def __len__(self) -> int:
        return len(self._data)

    def get(self, key: Hashable, default=None):
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]
            return default

    def put(self, key: Hashable, value: object) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.max_entries:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


class RunStatsCache:
    """Intervals by run id, paired comparisons by (run id, run id): valid for ever, bounded in size."""

    def __init__(self, max_entries: int = 400_000) -> None:
        self.intervals = LRU(max_entries)
        self.effects = LRU(max_entries)  # (upper run, lower run) -> PairEffect | None
        self.p_values = LRU(max_entries // 4)  # (upper run, lower run) -> randomisation p | None
        self.separations = LRU(max_entries // 8)  # (row above, its run pairs with the row) -> Separation | None

    def clear(self) -> None:
        for part in (self.intervals, self.effects, self.p_values, self.separations):
            part.clear()


# ------------------------------------------------------------------ results
@dataclass(frozen=True)
class CellInterval:
    low: float | None
    high: float | None
    statistic: str  # "mean" | "spearman" | "pearson" | "" (none)
    note: str = ""  # why there is no interval

    @property
    def ok(self) -> bool:
        return self.low is not None and self.high is not None


@dataclass(frozen=True)
class PairEffect:
    effect: float  # Cohen's d_z of lower − upper
    items: int


@dataclass(frozen=True)
class Separation:
    """The test of a row against the row ranked directly above it."""

    p_value: float
    tasks: int  # tasks that entered the test
    method: str  # "meta" | "randomization"
    above: str  # the name of the row above

    @property
    def separable(self) -> bool:
        return self.p_value < ALPHA

    def describe(self) -> str:
        if self.method == "meta":
            how = (
                f"paired per-item differences on {self.tasks} task{'s' if self.tasks != 1 else ''}, "
                "Cohen's d_z pooled by a random-effects meta-analysis (DerSimonian–Laird)"
            )
        else:
            how = f"two-sided paired randomisation test on per-item values, {PERMUTATIONS:,} sign flips, seed {SEED}"
        verdict = "not separable from" if not self.separable else "separable from"
        return f"{verdict} {self.above} (p = {self.p_value:.3g}; {how}; ≈ when p ≥ {ALPHA})"


NO_VALUES = CellInterval(None, None, "", "no per-item values stored")


# ------------------------------------------------------------------ per-run items
def statistic_of(values: queries.ItemValues) -> str:
    if values.gold:
        if values.metric.endswith("spearman"):
            return "spearman"
        if values.metric.endswith("pearson"):
            return "pearson"
    return "mean"


def _pairs(values: queries.ItemValues) -> tuple[list[str], np.ndarray, np.ndarray | None]:
    """Item ids (``per_query``'s order, as ``bootstrap_ci`` sees them), values, and gold for correlations."""
    if statistic_of(values) == "mean":
        ids = list(values.per_query)
        return ids, np.fromiter((float(values.per_query[i]) for i in ids), dtype=float, count=len(ids)), None
    gold = values.gold or {}
    ids = [i for i in values.per_query if i in gold]
    x = np.fromiter((float(values.per_query[i]) for i in ids), dtype=float, count=len(ids))
    g = np.fromiter((float(gold[i]) for i in ids), dtype=float, count=len(ids))
    return ids, x, g


def _correlation(x: np.ndarray, y: np.ndarray, kind: str) -> float:
    if kind == "spearman":
        x, y = rankdata(x), rankdata(y)
    dx, dy = x - x.mean(), y - y.mean()
    denominator = math.sqrt(float(dx @ dx) * float(dy @ dy))
    return float(dx @ dy) / denominator if denominator > 0 else math.nan


def paired_items(values: queries.ItemValues) -> dict[str, float] | None:
    """The per-item values a paired test compares (see the module docstring); None without any."""
    kind = statistic_of(values)
    if kind == "mean":
        return {k: float(v) for k, v in values.per_query.items()} or None
    ids, x, g = _pairs(values)
    if len(ids) < 2:
        return None
    if kind == "spearman":
        x, g = rankdata(x), rankdata(g)
    sx, sg = x.std(), g.std()
    if sx == 0 or sg == 0:
        return None
    return dict(zip(ids, (((x - x.mean()) / sx) * ((g - g.mean()) / sg)).tolist(), strict=True))


# ------------------------------------------------------------------ bootstrap
_COUNTS = LRU(16)


def resample_counts(n: int) -> np.ndarray:
    """How often each item is drawn in each resample: ``bootstrap_ci``'s draws (seed 0), as a (resamples × n) count matrix."""
    hit = _COUNTS.get(n)
    if hit is None:
        draws = np.random.default_rng(SEED).integers(0, n, size=(RESAMPLES, n))
        offsets = (np.arange(RESAMPLES, dtype=np.int64)[:, None] * n + draws).ravel()
        hit = np.bincount(offsets, minlength=RESAMPLES * n).reshape(RESAMPLES, n).astype(np.uint32)
        if hit.nbytes <= 64 * 1024 * 1024:
            _COUNTS.put(n, hit)
    return hit


def _interval(estimates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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
            low, high = _interval(estimates)
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
    estimates = np.empty(RESAMPLES)
    all_counts = resample_counts(n)
    for start in range(0, RESAMPLES, block):
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
    low, high = _interval(estimates)
    return float(low), float(high)


def compute_intervals(items: Mapping[int, queries.ItemValues]) -> dict[int, CellInterval]:
    """The interval of every run's main score (see the module docstring)."""
    out: dict[int, CellInterval] = {}
    means: list[tuple[int, np.ndarray]] = []
    for run_id, values in items.items():
        kind = statistic_of(values)
        ids, x, gold = _pairs(values)
        if len(ids) < 2 or not np.all(np.isfinite(x)) or (gold is not None and not np.all(np.isfinite(gold))):
            out[run_id] = NO_VALUES
            continue
        point = float(x.mean()) if kind == "mean" else _correlation(x, gold, kind)  # type: ignore[arg-type]
        if not math.isfinite(point) or abs(point - values.value) > MATCH:
            # e.g. ARO's macro accuracy: a mean of group means, the groups not stored with the items
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


# ------------------------------------------------------------------ paired comparisons
def _difference(upper: Mapping[str, float], lower: Mapping[str, float]) -> np.ndarray:
    """lower − upper over the items both have (sorted ids, as ``paired_randomization_test``)."""
    shared = sorted(upper.keys() & lower.keys())
    return np.fromiter((lower[q] - upper[q] for q in shared), dtype=float, count=len(shared))


def pair_effect(upper: Mapping[str, float], lower: Mapping[str, float]) -> PairEffect | None:
    """``paired_randomization_test(upper, lower).effect_size`` without the permutations; None under 2 shared items."""
    diff = _difference(upper, lower)
    if diff.size < 2:
        return None
    mean, sd = float(diff.mean()), float(diff.std(ddof=1))
    if sd == 0:
        return PairEffect(0.0 if mean == 0 else math.copysign(NO_SPREAD_EFFECT, mean), int(diff.size))
    effect = mean / sd
    return PairEffect(effect, int(diff.size))


def randomization_p_values(diffs: list[np.ndarray], *, chunk: int = 500) -> list[float | None]:
    """``paired_randomization_test``'s p-value for each difference vector, batched by length.

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
                result = stats.paired_randomization_test(dict.fromkeys(ids, 0.0), dict(zip(ids, diffs[i].tolist(), strict=True)))
                out[i] = result.p_value
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


# ------------------------------------------------------------------ filling the cache
@functools.cache
def _blas_controller():
    try:  # threadpoolctl comes with scikit-learn, a dependency of the project
        from threadpoolctl import ThreadpoolController

        return ThreadpoolController()
    except Exception:  # without it the products still run, only with BLAS's own thread count
        return None


@contextmanager
def single_threaded_blas() -> Iterator[None]:
    """The small matrix products here on one BLAS thread.

    A web worker shares its cores with other workers and requests; OpenBLAS's worker threads
    then spin against each other, and a 500 × 20 product measured 8 ms instead of 0.3 ms.
    """
    controller = _blas_controller()
    if controller is None:
        yield
        return
    with controller.limit(limits=1, user_api="blas"):
        yield


def ensure(
    session,
    cache: RunStatsCache,
    *,
    intervals: Iterable[int] = (),
    effects: Iterable[tuple[int, int]] = (),
    p_values: Iterable[tuple[int, int]] = (),
) -> None:
    """Compute whatever of these is not cached yet, reading each run's per-item values once."""
    need_intervals = sorted({r for r in intervals if r not in cache.intervals})
    need_effects = sorted({p for p in effects if p not in cache.effects})
    need_p = sorted({p for p in p_values if p not in cache.p_values})
    runs = set(need_intervals) | {r for pair in need_effects + need_p for r in pair}
    if not runs:
        return
    items = queries.main_item_values(session, sorted(runs))
    with single_threaded_blas():
        _compute(cache, items, need_intervals, need_effects, need_p)


def _compute(
    cache: RunStatsCache,
    items: dict[int, queries.ItemValues],
    need_intervals: list[int],
    need_effects: list[tuple[int, int]],
    need_p: list[tuple[int, int]],
) -> None:
    for run_id, interval in compute_intervals({r: items[r] for r in need_intervals if r in items}).items():
        cache.intervals.put(run_id, interval)
    for run_id in need_intervals:
        if run_id not in items:
            cache.intervals.put(run_id, NO_VALUES)
    paired: dict[int, dict[str, float] | None] = {}

    def paired_of(run_id: int) -> dict[str, float] | None:
        if run_id not in paired:
            paired[run_id] = paired_items(items[run_id]) if run_id in items else None
        return paired[run_id]

    for upper, lower in need_effects:
        a, b = paired_of(upper), paired_of(lower)
        cache.effects.put((upper, lower), pair_effect(a, b) if a and b else None)
    if need_p:
        diffs = []
        for upper, lower in need_p:
            a, b = paired_of(upper), paired_of(lower)
            diffs.append(_difference(a, b) if a and b else np.empty(0))
        for pair, p in zip(need_p, randomization_p_values(diffs), strict=True):
            cache.p_values.put(pair, p)


def separation_from_effects(effects: list[PairEffect], above: str) -> Separation | None:
    if not effects:
        return None
    meta = stats.random_effects_meta([e.effect for e in effects], [e.items for e in effects])
    return Separation(meta.p_value, len(effects), "meta", above)


def interval_text(value: float, interval: CellInterval | None) -> str:
    """``0.6789 [0.6512, 0.7051] 95% bootstrap CI, 1,000 resamples``, or why there is none."""
    if interval is None or not interval.ok:
        reason = interval.note if interval is not None and interval.note else "not computed"
        return f"{value:.4f} (no CI: {reason})"
    return f"{value:.4f} [{interval.low:.4f}, {interval.high:.4f}] {CI_TEXT}"
