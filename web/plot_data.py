"""What each figure plots, and the sentence a page shows instead of a figure that would say nothing.

The pages ask :func:`note` before they put an ``<img>`` in (so a plot of nothing costs no image
request); :mod:`web.plots` draws from the same functions, so the two can never disagree about
what a figure holds.
"""

from __future__ import annotations

import statistics

from leaderboard.views.labels import benchmark_name
from leaderboard.views.runs import dimension_scores, throughputs
from web.cache import db_session, memo, snapshot
from web.filters import Filters
from web.views import board

MIN_POINTS = 3  # fewer points than this say nothing a table does not: the page shows a sentence instead
BARS_KEEP = 20  # a per-dataset chart of more than 2 × BARS_KEEP datasets shows the top and bottom 20, the rest as one bar


def params_rows(benchmark: str, filters: Filters):
    table = board(benchmark, filters)
    return table, [r for r in table.rows if r.complete and r.model.parameters]


def throughput_points(benchmark: str, filters: Filters):
    """(median documents/s, mean, model, devices) of each complete row with a measured throughput."""
    snap = snapshot()
    table = board(benchmark, filters)
    means = {r.model.id: r for r in table.rows}
    speeds: dict[int, list[float]] = {}
    devices: dict[int, set[str]] = {}
    for model_id, _task, per_s, device in throughputs(db_session(), benchmark):
        speeds.setdefault(model_id, []).append(per_s)
        devices.setdefault(model_id, set()).add(device)
    points = []
    for model_id, values in speeds.items():
        row = means.get(model_id)
        if row is None or not row.complete:
            continue
        points.append((statistics.median(values), row.mean, snap.models[model_id], sorted(devices[model_id])))
    return table, points


def dims_lines(benchmark: str, filters: Filters):
    """Per model: (model, [(dim, mean)], tasks) over the tasks where it has every one of its sizes."""
    snap = snapshot()
    lines = []
    for model_id, tasks in dimension_scores(db_session(), snap, benchmark).items():
        model = snap.models.get(model_id)
        if model is None or not filters.keeps(model):
            continue
        dim_sets = [frozenset(d) for d in tasks.values()]
        common = frozenset.intersection(*dim_sets) if dim_sets else frozenset()
        usable = [d for d in tasks.values() if common <= frozenset(d)]
        if not common:
            continue
        points = sorted((dim, statistics.fmean(d[dim] for d in usable)) for dim in common)
        lines.append((model, points, len(usable)))
    return lines


def bar_rows(benchmark: str, names: list[str]):
    table = board(benchmark, Filters())
    by_name = {r.model.name: r for r in table.rows}
    return table, [by_name[n] for n in names if n in by_name]


def note(kind: str, benchmark: str, filters: Filters | None = None, names: tuple[str, ...] = ()) -> str | None:
    """The one line a page shows instead of a figure that would say nothing; None when the figure is worth drawing.

    A scatter or line plot of fewer than :data:`MIN_POINTS` points, and a per-dataset chart of
    one dataset, are read better in the table beside them.  Cached per data version, so pages
    decide without drawing.
    """
    filters = filters or Filters()
    return memo(("plot-note", kind, benchmark, filters.key(), names), lambda: _note(kind, benchmark, filters, list(names)))


def _note(kind: str, benchmark: str, filters: Filters, names: list[str]) -> str | None:
    name = benchmark_name(benchmark)
    if kind == "params":
        _table, rows = params_rows(benchmark, filters)
        n = len(rows)
        what = ("complete row with a parameter count", "complete rows with a parameter count")
    elif kind == "throughput":
        _table, points = throughput_points(benchmark, filters)
        n = len(points)
        what = ("complete row with a measured encoding throughput", "complete rows with a measured encoding throughput")
    elif kind == "dims":
        n = sum(len(points) for _model, points, _n in dims_lines(benchmark, filters))
        what = ("embedding-size score (dim=N)", "embedding-size scores (dim=N)")
    elif kind == "bars":
        table, rows = bar_rows(benchmark, names)
        if not rows or not table.columns:
            return f"No {name} scores for these models yet."
        scored = [task for j, task in enumerate(table.columns) if any(row.values[j] is not None for row in rows)]
        if len(scored) == 1:
            who = "these models have" if len(rows) > 1 else f"{rows[0].model.name} has"
            return f"On {name}, {who} results on one dataset only ({scored[0].dataset}): the table gives the score."
        return None
    else:
        raise ValueError(kind)
    if n >= MIN_POINTS:
        return None
    have = "no" if n == 0 else f"only {n}"
    return f"No plot yet: {have} {what[0] if n == 1 else what[1]} on {name} (a plot needs {MIN_POINTS}); the table gives the numbers."


def bar_columns(table, rows) -> tuple[list[str], list[list[float | None]], str]:
    """Labels and per-row values of the bars: every dataset, or the top and bottom :data:`BARS_KEEP` and one bar for the rest.

    Tatoeba has 112 pairs: 112 bars per model made a chart taller than any screen with its axis
    out of sight.  Datasets are ordered by the chosen models' mean; the middle ones are one bar,
    each model's mean over them (only over the ones it has).
    """
    labels = [t.dataset for t in table.columns]
    values = [list(r.values) for r in rows]
    if len(labels) <= 2 * BARS_KEEP:
        return labels, values, ""
    present = [[v[j] for v in values if v[j] is not None] for j in range(len(labels))]
    order = sorted(range(len(labels)), key=lambda j: -(statistics.fmean(present[j]) if present[j] else -1.0))
    top, middle, bottom = order[:BARS_KEEP], order[BARS_KEEP:-BARS_KEEP], order[-BARS_KEEP:]

    def rest(v: list[float | None]) -> float | None:
        have = [v[j] for j in middle if v[j] is not None]
        return statistics.fmean(have) if have else None

    kept_labels = [labels[j] for j in top] + [f"{len(middle)} others (mean)"] + [labels[j] for j in bottom]
    kept = [[v[j] for j in top] + [rest(v)] + [v[j] for j in bottom] for v in values]
    return kept_labels, kept, f"\nthe top and bottom {BARS_KEEP} of {len(labels)} datasets by the models' mean; the rest as one bar"
