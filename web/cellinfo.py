"""What a cell says besides its value: its confidence interval, its reproduction grade, and
whether its row's rank is separable from the row above.

Pages and the API call these so that the HTML tooltips and the JSON fields say the same thing.
Grades are read once per data version (:func:`web.views.grades`); intervals and paired tests are
:mod:`leaderboard.stats`'s, cached by run id by :mod:`web.confidence`
(:attr:`web.cache.VersionedCache.run_stats`).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence

from markupsafe import escape

from leaderboard.stats import CellInterval
from leaderboard.views.board import BoardRow, BoardTable
from leaderboard.views.reproductions import GradeInfo, Reproduction
from web import confidence
from web.cache import db_session, run_stats

NOT_REPRODUCED = "not reproduced yet"


# ------------------------------------------------------------------ grades
def fused_badge_html(model) -> str:
    """The "fused" badge of a fusion model's row (``backend: fusion``), naming its sources; "" for any other model."""
    sources = model.fusion_sources
    if not sources:
        return ""
    return f' <span class="badge fused" title="computed from the stored runs of {escape(", ".join(sources))}">fused</span>'


def tolerance_text(graded: GradeInfo) -> str:
    """``tolerance ±0.02 (rule aro-order-published)``: the value a grade used and the rule it came from."""
    rule = f" (rule {graded.tolerance_rule})" if graded.tolerance_rule else ""
    return f"tolerance ±{graded.tolerance:g}{rule}"


def grade_title(entry: Reproduction, current_run_id: int | None = None) -> str:
    """The badge's tooltip: the grade against the board run and against each reported number, the
    tolerance each used with its rule and reason, and how often the cell was reproduced."""
    parts = [f"reproduced {entry.grade}"]
    board = entry.grades.get("board")
    reported = entry.reported or ([entry.grades["reported"]] if "reported" in entry.grades else [])
    graded_list = [("board", board)] if board is not None else []
    graded_list += [("reported", graded) for graded in reported]
    reasons: dict[str, str] = {}
    for against, graded in graded_list:
        if against == "board":
            what = f"the board run #{entry.reproduces_run_id}" if entry.reproduces_run_id else "the board run"
        else:
            what = f"the reported number ({graded.source})" if graded.source else "the reported number"
        parts.append(f"vs {what}: expected {graded.expected!r}, got {graded.got:.6f}, {tolerance_text(graded)}: {graded.grade}")
        if graded.tolerance_rule and graded.tolerance_reason:
            reasons.setdefault(graded.tolerance_rule, graded.tolerance_reason)
    parts.extend(f"rule {name}: {reason}" for name, reason in reasons.items())
    times = "once" if entry.count == 1 else f"{entry.count} times"
    parts.append(f"reproduced {times}, latest: run #{entry.last_run_id}")
    if current_run_id is not None and entry.reproduces_run_id and entry.reproduces_run_id != current_run_id:
        parts.append(f"graded against run #{entry.reproduces_run_id}, not the current run #{current_run_id}")
    return "; ".join(parts)


def badge_html(entry: Reproduction | None, current_run_id: int | None = None) -> str:
    """``<span class="rg OK" title="reproduced OK; …">OK</span>``, or the not-reproduced marker."""
    if entry is None or entry.grade is None:
        return f'<span class="rg none" title="{NOT_REPRODUCED}">◦</span>'
    return f'<span class="rg {entry.grade}" title="{escape(grade_title(entry, current_run_id))}">{entry.grade}</span>'


def summary(entry: Reproduction | None) -> str:
    """``reproduced 3 times, last grade OK`` (the model page), or ``not reproduced yet``."""
    if entry is None or entry.grade is None:
        return NOT_REPRODUCED
    times = "once" if entry.count == 1 else f"{entry.count} times"
    return f"reproduced {times}, last grade {entry.grade}"


# ------------------------------------------------------------------ intervals
def intervals(run_ids: Iterable[int | None]) -> dict[int, CellInterval]:
    """The interval of each run's main score (computed now for those not cached yet)."""
    wanted = [r for r in run_ids if r is not None]
    cache = run_stats()
    confidence.ensure(db_session(), cache, intervals=wanted)
    return {r: cache.intervals.get(r) for r in wanted}


def ci_fields(interval: CellInterval | None) -> tuple[float | None, float | None]:
    if interval is None or not interval.ok:
        return None, None
    return interval.low, interval.high


# ------------------------------------------------------------------ separability on a benchmark table
def rows_above(table: BoardTable) -> dict[int, BoardRow]:
    """model id -> the complete row ranked directly above it (rank order: mean, descending)."""
    above: dict[int, BoardRow] = {}
    previous: BoardRow | None = None
    for row in table.rows:
        if not row.complete:
            break
        if previous is not None:
            above[row.model.id] = previous
        previous = row
    return above


def _shared_pairs(table: BoardTable, upper: BoardRow, lower: BoardRow) -> list[tuple[int, int]]:
    pairs = []
    for i in range(len(table.columns)):
        if upper.shown(i) is not None and lower.shown(i) is not None:
            a, b = upper.run_ids[i], lower.run_ids[i]
            if a is not None and b is not None:
                pairs.append((a, b))
    return pairs


def prepare_board(table: BoardTable, rows: Sequence[BoardRow], above: dict[int, BoardRow], *, block: int = 50) -> None:
    """Compute (or find cached) the intervals of the rows' cells and the paired tests against the rows above.

    In blocks of rows, so that the per-item values of a large table are never all in memory at once.
    """
    cache = run_stats()
    single = len(table.columns) == 1
    for start in range(0, len(rows), block):
        part = rows[start : start + block]
        cells: list[int] = []
        pairs: list[tuple[int, int]] = []
        for row in part:
            cells.extend(r for i, r in enumerate(row.run_ids) if r is not None and i not in row.excluded)
            upper = above.get(row.model.id)
            if upper is not None:
                pairs.extend(_shared_pairs(table, upper, row))
        confidence.ensure(db_session(), cache, intervals=cells, effects=() if single else pairs, p_values=pairs if single else ())


def separation(table: BoardTable, row: BoardRow, above: dict[int, BoardRow]) -> confidence.Separation | None:
    """The test of ``row`` against the row above it, from the cache (call :func:`prepare_board` first)."""
    upper = above.get(row.model.id)
    if upper is None:
        return None
    cache = run_stats()
    pairs = tuple(_shared_pairs(table, upper, row))
    single = len(table.columns) == 1
    key = (upper.model.name, single, pairs)
    if key in cache.separations:  # the meta-analysis is cheap, but a page has a hundred rows
        return cache.separations.get(key)
    if single:
        p = cache.p_values.get(pairs[0]) if pairs else None
        result = confidence.Separation(p, 1, "randomization", upper.model.name) if p is not None else None
    else:
        effects = [e for e in (cache.effects.get(pair) for pair in pairs) if e is not None]
        result = confidence.separation_from_effects(effects, upper.model.name)
    if pairs and all(pair in (cache.p_values if single else cache.effects) for pair in pairs):
        cache.separations.put(key, result)  # only once every test it needs was there
    return result


# ------------------------------------------------------------------ separability on a task table
def task_separations(run_ids: Sequence[int], names: Sequence[str]) -> list[confidence.Separation | None]:
    """For rows in descending main-score order: each row's paired randomisation test against the row above."""
    pairs = list(itertools.pairwise(run_ids))
    cache = run_stats()
    confidence.ensure(db_session(), cache, p_values=pairs)
    out: list[confidence.Separation | None] = [None]
    for (upper, lower), name in zip(pairs, names[:-1], strict=True):
        p = cache.p_values.get((upper, lower))
        out.append(confidence.Separation(p, 1, "randomization", name) if p is not None else None)
    return out[: len(run_ids)]


def rank_html(rank: int | None, sep: confidence.Separation | None) -> str:
    """A rank cell's content: ``≈3`` with the test in its tooltip when not separable from the row above."""
    if rank is None:
        return '<td class="rank"></td>'
    if sep is not None and not sep.separable:
        return f'<td class="rank tied" title="{escape(sep.describe())}">≈{rank}</td>'
    if sep is not None:
        return f'<td class="rank" title="{escape(sep.describe())}">{rank}</td>'
    return f'<td class="rank">{rank}</td>'
