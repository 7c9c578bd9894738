"""Figures, drawn with matplotlib on the server (Agg, no display) and cached per data version.

``/plots/params.png``      benchmark mean vs parameters (complete rows only, log x)
``/plots/bars.png``        per-dataset main scores of one or more models (``model=`` repeated)
``/plots/dims.png``        quality vs embedding dimension, from Matryoshka ``dim=N`` score variants
``/plots/throughput.png``  quality vs encode throughput (documents encoded per second); precision variants
                           (``int8``, ``bf16``) as hollow points joined to their fp32 parent

All take ``benchmark=`` and the table filters.  A figure is rendered once per (data version,
canonical filters) and served with an ETag, so browsers revalidate cheaply.

Anyone can ask for a figure, and drawing one costs ~0.1–0.3 s of CPU under a process-wide
lock (matplotlib is not thread-safe), so:

- filter values are checked against the known ones before any work (``Filters.from_args``
  drops an unknown family, size, licence or origin, and ``bars`` an unknown model): a random
  ``?license=…`` is the same figure, and the same cache entry, as no licence filter;
- figures live in their own bounded cache (``VersionedCache.plots``, LRU by bytes), so they
  can never push the board's tables out;
- at most :data:`MAX_RENDERING` uncached figures per process are being drawn or waiting their
  turn (each waits up to :data:`RENDER_WAIT_S`); a further one is answered ``503`` with
  ``Retry-After`` at once, so figures can never take every server thread, and page requests
  (which never take the lock) stay fast.
"""

from __future__ import annotations

import hashlib
import io
import threading

from flask import Blueprint, Response, abort, request

from leaderboard.views.labels import benchmark_name
from leaderboard.views.precision import precision_points
from leaderboard.views.snapshot import ModelInfo
from web.cache import cache, db_session, snapshot, version
from web.filters import Filters, request_filters
from web.plot_data import bar_columns, bar_rows, dims_lines, params_rows, throughput_points
from web.views import benchmarks

plots = Blueprint("plots", __name__, url_prefix="/plots")

_LOCK = threading.Lock()  # matplotlib's font cache and text layout are not thread-safe; only figures take it
# Uncached figures being drawn or waiting their turn, per process.  A page asks for up to 4 at once
# and a first visit of a busy board queues behind other visitors' figures, so requests wait their
# turn (up to RENDER_WAIT_S) rather than fail.  The slots are per process, and a production worker
# is one process with 16 threads (web/gunicorn.conf.py): 8 waiting figures hold at most half of a
# worker's threads, so pages always have threads left; a figure asked for beyond that is a 503.
MAX_RENDERING = 8
RENDER_WAIT_S = 20.0
_RENDER_SLOTS = threading.BoundedSemaphore(MAX_RENDERING)
FAMILY_COLORS = {"dense": "#1f6feb", "sparse": "#d1242f", "contrastive": "#8250df", "distilled": "#1a7f37"}
MAX_LABELS = 12


def _figure(width: float, height: float):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=110, layout="constrained")
    return fig


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def _style(ax, title: str, xlabel: str, ylabel: str) -> None:
    ax.set_title(title, fontsize=10, loc="left")
    ax.set_xlabel(xlabel, fontsize=9)
    ax.set_ylabel(ylabel, fontsize=9)
    ax.tick_params(labelsize=8)
    ax.grid(True, color="#e5e7eb", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _empty(message: str, width: float = 6.4, height: float = 3.6) -> bytes:
    fig = _figure(width, height)
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=10, color="#57606a", wrap=True)
    return _png(fig)


def _color(model: ModelInfo) -> str:
    return FAMILY_COLORS.get(model.families[0] if model.families else "", "#57606a")


def _main_label(table) -> str:
    """The main scores' names, as the home page's cards give them (at most two, else "N main scores (one per task)").

    ARO's three long labels joined made a title and an axis label wider than the figure.
    """
    labels = table.main_scores()
    return " / ".join(labels) if labels else "main score"


def _benchmark_arg() -> str:
    benchmark = request.args.get("benchmark") or "beir"
    if benchmark not in benchmarks():
        abort(404, description=f"unknown benchmark {benchmark!r}")
    return benchmark


MIN_SPAN = 0.05  # a score axis spans at least this much, so 0.0015 of noise never fills the height


def _annotate(ax, points: list[tuple[float, float, str]], log_x: bool = True) -> None:
    """Label the best few points (by y) so the plot stays readable with hundreds of models.

    Labels of points in the right third of the x range go to the left of the point, so they stay
    inside the axes.
    """
    import math

    xs = [math.log10(p[0]) if log_x else p[0] for p in points]
    low, high = min(xs), max(xs)
    best = {id(p) for p in sorted(points, key=lambda p: -p[1])[:MAX_LABELS]}
    for point, position in zip(points, xs, strict=True):
        if id(point) not in best:
            continue
        x, y, name = point
        right_side = high > low and (position - low) / (high - low) > 0.66
        ax.annotate(
            name,
            (x, y),
            xytext=(-5 if right_side else 5, 3),
            textcoords="offset points",
            ha="right" if right_side else "left",
            fontsize=7,
            color="#24292f",
        )


def _human(value: float) -> str:
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if value >= limit:
            return f"{value / limit:g}{suffix}"
    return f"{value:g}"


def _human_log_axis(axis, values: list[float]) -> None:
    """Tick labels on a log axis whatever its range.

    Matplotlib labels only whole decades; 95–180 documents/s holds none, and the throughput
    plot's x-axis had no label at all.  Within a decade, ticks at 1-2-5 and, if still fewer
    than two fall in the data's range, at four evenly spaced (in log) values rounded to two
    significant digits.
    """
    import math

    from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, NullFormatter

    low, high = min(values), max(values)
    ticks = LogLocator(base=10, subs=(1.0, 2.0, 5.0)).tick_values(low, high)
    inside = [t for t in ticks if low <= t <= high]
    if len(inside) < 2:
        if high <= low:
            inside = [low]
        else:
            step = (math.log10(high) - math.log10(low)) / 3
            inside = sorted({float(f"{10 ** (math.log10(low) + i * step):.2g}") for i in range(4)})
        axis.set_major_locator(FixedLocator(inside))
    else:
        axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    axis.set_major_formatter(FuncFormatter(lambda value, _pos: _human(value)))
    axis.set_minor_formatter(NullFormatter())


def _score_axis(ax, values: list[float]) -> None:
    """A score axis that spans at least :data:`MIN_SPAN` around the data, inside [0, 1] when the scores are."""
    low, high = min(values), max(values)
    span = max(MIN_SPAN, (high - low) * 1.25)
    middle = (low + high) / 2
    bottom, top = middle - span / 2, middle + span / 2
    if low >= 0 and bottom < 0:
        bottom, top = 0.0, span
    if high <= 1 and top > 1 and low >= 0:
        bottom, top = max(0.0, 1 - span), 1.0
    ax.set_ylim(bottom, top)


def _legend(ax, models) -> None:
    """A family legend outside the axes, at the right, so it never hides a point."""
    from matplotlib.lines import Line2D

    families = sorted({m.families[0] for m in models if m.families})
    handles = [Line2D([], [], marker="o", linestyle="", color=FAMILY_COLORS.get(f, "#57606a"), label=f) for f in families]
    if handles:
        ax.legend(
            handles=handles, fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0), title="family", title_fontsize=7
        )


# ------------------------------------------------------------------ drawing
def render_params(benchmark: str, filters: Filters) -> bytes:
    table, rows = params_rows(benchmark, filters)
    if not rows:
        return _empty(f"No {benchmark_name(benchmark)} model has both every task and a parameter count yet.")
    fig = _figure(6.4, 3.8)
    ax = fig.add_subplot()
    xs = [r.model.parameters for r in rows]
    ys = [r.mean for r in rows]
    ax.scatter(xs, ys, c=[_color(r.model) for r in rows], s=28, alpha=0.85, edgecolors="white", linewidths=0.5)
    ax.set_xscale("log")
    _human_log_axis(ax.xaxis, xs)
    ax.margins(x=0.12)
    _score_axis(ax, ys)
    _annotate(ax, [(r.model.parameters, r.mean, r.model.name) for r in rows])
    _legend(ax, [r.model for r in rows])
    skipped = sum(1 for r in table.rows if r.complete and not r.model.parameters)
    xlabel = "parameters (log scale)" + (f"; {skipped} complete rows without a parameter count not shown" if skipped else "")
    _style(ax, f"{benchmark_name(benchmark)}: mean {_main_label(table)} vs model size", xlabel, f"mean {_main_label(table)}")
    return _png(fig)


def render_bars(benchmark: str, names: list[str]) -> bytes:
    table, rows = bar_rows(benchmark, names)
    if not rows or not table.columns:
        return _empty("No scores for these models on this benchmark yet.")
    labels, values, capped = bar_columns(table, rows)
    n_bars = len(labels)
    fig = _figure(6.8, min(40.0, 1.4 + n_bars * (0.08 + 0.08 * len(rows))))
    ax = fig.add_subplot()
    height = 0.8 / len(rows)
    palette = ["#1f6feb", "#d1242f", "#1a7f37", "#8250df", "#bf8700", "#0598bc", "#cf222e", "#57606a"]
    for i, (row, row_values) in enumerate(zip(rows, values, strict=True)):
        ys, xs, missing = [], [], []
        for j, value in enumerate(row_values):
            y = j + (i - (len(rows) - 1) / 2) * height
            if value is None:
                missing.append(y)
            else:
                ys.append(y)
                xs.append(value)
        ax.barh(ys, xs, height=height * 0.92, color=palette[i % len(palette)], label=row.model.name)
        for y in missing:
            ax.text(0.005, y, "–", va="center", fontsize=7, color="#8c959f")
    ax.set_yticks(range(n_bars), labels, fontsize=7)
    ax.set_ylim(n_bars - 0.5, -0.5)  # first dataset at the top, no empty band above or below
    ax.set_xlim(0, max(1e-9, max((v or 0.0) for vs in values for v in vs)) * 1.05)
    if n_bars > 12:  # a tall chart: the score axis at the top too, so it is in view wherever one looks
        ax.tick_params(axis="x", labeltop=True, top=True)
    ax.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    _style(ax, f"{benchmark_name(benchmark)}: {_main_label(table)} per dataset  (– = not run){capped}", _main_label(table), "")
    return _png(fig)


def render_dims(benchmark: str, filters: Filters) -> bytes:
    """Per model: mean main score over the tasks where it has every one of its sizes (the run's own full size included)."""
    lines = dims_lines(benchmark, filters)
    if not lines:
        return _empty(f"No Matryoshka (dim=N) scores on {benchmark_name(benchmark)} yet.")
    fig = _figure(6.4, 3.8)
    ax = fig.add_subplot()
    shown = sorted(lines, key=lambda line: -line[1][-1][1])[:15]
    for model, points, n in shown:
        label = f"{model.name} ({n} tasks)"
        ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", markersize=3.5, linewidth=1.2, label=label)
    ax.set_xscale("log", base=2)
    dims = sorted({p[0] for _m, points, _n in lines for p in points})
    ax.set_xticks(dims, [str(d) for d in dims])
    ax.minorticks_off()
    _score_axis(ax, [p[1] for _m, points, _n in shown for p in points])
    ax.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    _style(ax, f"{benchmark_name(benchmark)}: quality vs embedding dimension", "embedding dimension", "mean main score")
    return _png(fig)


def render_throughput(benchmark: str, filters: Filters) -> bytes:
    table, points = throughput_points(benchmark, filters)
    if not points:
        return _empty(f"No complete {benchmark_name(benchmark)} row with a measured encode throughput yet.")
    fig = _figure(6.4, 3.8)
    ax = fig.add_subplot()
    xs = [p[0] for p in points]
    ax.scatter(xs, [p[1] for p in points], c=[_color(p[2]) for p in points], s=28, edgecolors="white", linewidths=0.5)
    # precision variants (int8, bf16, …): hollow points joined to their fp32 parent by a thin line
    variants = precision_points(db_session(), table)
    for x, y, model, _devices in points:
        for point in variants.get(model.id, []):
            xs.append(point.docs_per_s)
            ax.plot([x, point.docs_per_s], [y, point.mean], color=_color(model), linewidth=0.8, alpha=0.7)
            ax.scatter([point.docs_per_s], [point.mean], s=22, facecolors="white", edgecolors=_color(model), linewidths=1.0)
            ax.annotate(point.precision, (point.docs_per_s, point.mean), fontsize=6.5, xytext=(3, -8), textcoords="offset points")
    ax.set_xscale("log")
    ax.margins(x=0.12)
    _human_log_axis(ax.xaxis, xs)
    _score_axis(ax, [p[1] for p in points])
    _annotate(ax, [(p[0], p[1], f"{p[2].name} [{','.join(p[3])}]") for p in points])
    _legend(ax, [p[2] for p in points])
    _style(
        ax,
        f"{benchmark_name(benchmark)}: quality vs encode speed",
        "documents encoded per second (log scale)",
        f"mean {_main_label(table)}",
    )
    return _png(fig)


def _serve(key: tuple, render) -> Response:
    current = version()
    etag = hashlib.sha256(repr((current, key)).encode()).hexdigest()[:32]
    if request.if_none_match and etag in request.if_none_match:
        return Response(status=304, headers={"ETag": f'"{etag}"'})
    body = cache().get_plot(current, key)
    if body is None:
        if not _RENDER_SLOTS.acquire(blocking=False):
            abort(503, description="Figures are being drawn for other visitors right now; try again in a moment.")
        try:
            body = cache().get_plot(current, key)  # drawn by the request this one waited behind
            if body is None:
                if not _LOCK.acquire(timeout=RENDER_WAIT_S):
                    abort(503, description="Figures are being drawn for other visitors right now; try again in a moment.")
                try:
                    body = render()
                finally:
                    _LOCK.release()
                cache().put_plot(current, key, body)
        finally:
            _RENDER_SLOTS.release()
    response = Response(body, mimetype="image/png")
    response.set_etag(etag)
    response.headers["Cache-Control"] = "no-cache"  # revalidate: the ETag changes with the data
    return response


@plots.errorhandler(503)
def busy(err):
    response = Response(str(err.description), status=503, mimetype="text/plain")
    response.headers["Retry-After"] = "2"
    return response


@plots.get("/params.png")
def params_plot():
    benchmark = _benchmark_arg()
    filters = request_filters()
    return _serve(("params", benchmark, filters.key()), lambda: render_params(benchmark, filters))


@plots.get("/bars.png")
def bars_plot():
    benchmark = _benchmark_arg()
    known = snapshot().by_name
    names = [name for name in dict.fromkeys(request.args.getlist("model")) if name in known][:8]
    return _serve(("bars", benchmark, tuple(names)), lambda: render_bars(benchmark, names))


@plots.get("/dims.png")
def dims_plot():
    benchmark = _benchmark_arg()
    filters = request_filters()
    return _serve(("dims", benchmark, filters.key()), lambda: render_dims(benchmark, filters))


@plots.get("/throughput.png")
def throughput_plot():
    benchmark = _benchmark_arg()
    filters = request_filters()
    return _serve(("throughput", benchmark, filters.key()), lambda: render_throughput(benchmark, filters))
