"""The board's cell statistics, cached: confidence intervals, and whether adjacent ranks are separable.

The statistics themselves are :mod:`leaderboard.stats` (which statistic a score takes comes from
its metric's declaration; the batched kernels equal the single-call definitions).  This module
only caches them and words them for tooltips.  Everything is derived from a run's stored per-item
values, which never change once the run is stored, so results are cached by run id (an interval)
or by pair of run ids (a paired comparison) in :class:`RunStatsCache`.  That cache outlives data
versions: when a run lands, only its own cell and the pairs it enters are computed.

**Confidence interval of a cell**: :func:`leaderboard.stats.bootstrap_ci`'s definition, fixed
so every interval on the site can be reproduced: 1,000 resamples of the items with
replacement, seed 0, 95 % percentile interval, of the mean of the per-item values (a mean
metric), of the correlation recomputed on the resampled pairs from the per-pair predictions and
the run's gold (a correlation: STS), and none for a macro average (ARO's relations) or when the
per-item values do not reproduce the stored score (:func:`leaderboard.stats.compute_intervals`).

**Separability of adjacent ranks.**  Two rows next to each other in rank order are compared
task by task on the items both runs have (:func:`leaderboard.stats.paired_values`: the per-item
values, or each pair's contribution to a correlation).

- A benchmark table pools the per-task Cohen's d_z with
  :func:`leaderboard.stats.random_effects_meta`.  The pooled p-value depends only on d_z and
  the number of items per task, so the per-task permutations are not run there.  A one-task
  table uses the task's paired randomisation test instead.
- A task page uses the paired randomisation test on that task alone.
- p ≥ 0.05 marks the lower row's rank "≈": not separable from the row above.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from common.lru import LRU
from leaderboard import stats
from leaderboard.stats import NO_VALUES, CellInterval, PairEffect
from leaderboard.views.items import ItemValues, main_item_values

RESAMPLES = stats.BOOTSTRAP_RESAMPLES
PERMUTATIONS = stats.PERMUTATIONS
SEED = stats.SEED
LEVEL = stats.LEVEL
ALPHA = 0.05  # p ≥ ALPHA: not separable
CI_TEXT = f"{LEVEL:.0%} bootstrap CI, {RESAMPLES:,} resamples"


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


def paired_items(values: ItemValues) -> dict[str, float] | None:
    """The per-item values a paired test compares for this run's main score (:func:`leaderboard.stats.paired_values`)."""
    return stats.paired_values(stats.statistic_for(values.task_id, values.metric), values.per_query, values.gold)


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
    items = main_item_values(session, sorted(runs))
    with single_threaded_blas():
        _compute(cache, items, need_intervals, need_effects, need_p)


def _compute(
    cache: RunStatsCache,
    items: dict[int, ItemValues],
    need_intervals: list[int],
    need_effects: list[tuple[int, int]],
    need_p: list[tuple[int, int]],
) -> None:
    for run_id, interval in stats.compute_intervals({r: items[r] for r in need_intervals if r in items}).items():
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
        cache.effects.put((upper, lower), stats.pair_effect(a, b) if a and b else None)
    if need_p:
        diffs = []
        for upper, lower in need_p:
            a, b = paired_of(upper), paired_of(lower)
            diffs.append(stats.difference(a, b) if a and b else np.empty(0))
        for pair, p in zip(need_p, stats.randomization_p_values(diffs), strict=True):
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
