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
import statistics
import threading

from flask import Blueprint, Response, abort, request

from leaderboard.views.labels import benchmark_name
from leaderboard.views.precision import precision_points
from leaderboard.views.runs import dimension_scores, throughputs
from leaderboard.views.snapshot import ModelInfo
from web.cache import cache, db_session, snapshot, version
from web.filters import Filters, request_filters
from web.views import benchmarks, board

plots = Blueprint("plots", __name__, url_prefix="/plots")

_LOCK = threading.Lock()  # matplotlib's font cache and text layout are not thread-safe; only figures take it
# Uncached figures being drawn or waiting their turn, per process.  A page asks for up to 4 at once
# and a first visit of a busy board queues behind other visitors' figures, so requests wait their
# turn (up to RENDER_WAIT_S) rather than fail; 32 waiting hold at most half of the production
# recipe's 64 threads (web/gunicorn.conf.py), and a figure asked for beyond that is answered 503.
MAX_RENDERING = 32
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
    labels = sorted({header.metric_label for header in table.headers})
    return " / ".join(labels) if labels else "main score"


def _benchmark_arg() -> str:
    benchmark = request.args.get("benchmark") or "beir"
    if benchmark not in benchmarks():
        abort(404, description=f"unknown benchmark {benchmark!r}")
    return benchmark


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


def _human_axis(axis) -> None:
    from matplotlib.ticker import FuncFormatter, NullFormatter

    def label(value, _pos):
        for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
            if value >= limit:
                return f"{value / limit:g}{suffix}"
        return f"{value:g}"

    axis.set_major_formatter(FuncFormatter(label))
    axis.set_minor_formatter(NullFormatter())


def _legend(ax, models) -> None:
    from matplotlib.lines import Line2D

    families = sorted({m.families[0] for m in models if m.families})
    handles = [Line2D([], [], marker="o", linestyle="", color=FAMILY_COLORS.get(f, "#57606a"), label=f) for f in families]
    if handles:
        ax.legend(handles=handles, fontsize=7, frameon=False, loc="best")


def render_params(benchmark: str, filters: Filters) -> bytes:
    table = board(benchmark, filters)
    rows = [r for r in table.rows if r.complete and r.model.parameters]
    if not rows:
        return _empty(f"No {benchmark_name(benchmark)} model has both every task and a parameter count yet.")
    fig = _figure(6.4, 3.8)
    ax = fig.add_subplot()
    xs = [r.model.parameters for r in rows]
    ys = [r.mean for r in rows]
    ax.scatter(xs, ys, c=[_color(r.model) for r in rows], s=28, alpha=0.85, edgecolors="white", linewidths=0.5)
    ax.set_xscale("log")
    _human_axis(ax.xaxis)
    ax.margins(x=0.12, y=0.1)
    _annotate(ax, [(r.model.parameters, r.mean, r.model.name) for r in rows])
    _legend(ax, [r.model for r in rows])
    skipped = sum(1 for r in table.rows if r.complete and not r.model.parameters)
    xlabel = "parameters (log scale)" + (f"; {skipped} complete rows without a parameter count not shown" if skipped else "")
    _style(ax, f"{benchmark_name(benchmark)}: mean {_main_label(table)} vs model size", xlabel, f"mean {_main_label(table)}")
    return _png(fig)


def render_bars(benchmark: str, names: list[str]) -> bytes:
    table = board(benchmark, Filters())
    by_name = {r.model.name: r for r in table.rows}
    rows = [by_name[n] for n in names if n in by_name]
    if not rows or not table.columns:
        return _empty("No scores for these models on this benchmark yet.")
    n_tasks = len(table.columns)
    fig = _figure(6.8, min(40.0, 1.1 + n_tasks * (0.12 + 0.1 * len(rows))))
    ax = fig.add_subplot()
    height = 0.8 / len(rows)
    palette = ["#1f6feb", "#d1242f", "#1a7f37", "#8250df", "#bf8700", "#0598bc", "#cf222e", "#57606a"]
    for i, row in enumerate(rows):
        ys, xs, missing = [], [], []
        for j, cell in enumerate(row.cells):
            y = j + (i - (len(rows) - 1) / 2) * height
            if cell.value is None:
                missing.append(y)
            else:
                ys.append(y)
                xs.append(cell.value)
        ax.barh(ys, xs, height=height * 0.92, color=palette[i % len(palette)], label=row.model.name)
        for y in missing:
            ax.text(0.005, y, "–", va="center", fontsize=7, color="#8c959f")
    ax.set_yticks(range(n_tasks), [t.dataset for t in table.columns], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlim(0, max(1e-9, max((c.value or 0.0) for r in rows for c in r.cells)) * 1.05)
    ax.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    _style(ax, f"{benchmark_name(benchmark)}: {_main_label(table)} per dataset  (– = not run)", _main_label(table), "")
    return _png(fig)


def render_dims(benchmark: str, filters: Filters) -> bytes:
    """Per model: mean main score over the tasks where it has every one of its sizes (the run's own full size included)."""
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
    if not lines:
        return _empty(f"No Matryoshka (dim=N) scores on {benchmark_name(benchmark)} yet.")
    fig = _figure(6.4, 3.8)
    ax = fig.add_subplot()
    for model, points, n in sorted(lines, key=lambda line: -line[1][-1][1])[:15]:
        label = f"{model.name} ({n} tasks)"
        ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", markersize=3.5, linewidth=1.2, label=label)
    ax.set_xscale("log", base=2)
    dims = sorted({p[0] for _m, points, _n in lines for p in points})
    ax.set_xticks(dims, [str(d) for d in dims])
    ax.minorticks_off()
    ax.legend(fontsize=7, frameon=False, loc="lower right")
    _style(ax, f"{benchmark_name(benchmark)}: quality vs embedding dimension", "embedding dimension", "mean main score")
    return _png(fig)


def render_throughput(benchmark: str, filters: Filters) -> bytes:
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
    if not points:
        return _empty(f"No complete {benchmark_name(benchmark)} row with a measured encode throughput yet.")
    fig = _figure(6.4, 3.8)
    ax = fig.add_subplot()
    ax.scatter([p[0] for p in points], [p[1] for p in points], c=[_color(p[2]) for p in points], s=28, edgecolors="white", linewidths=0.5)
    # precision variants (int8, bf16, …): hollow points joined to their fp32 parent by a thin line
    variants = precision_points(db_session(), table)
    for x, y, model, _devices in points:
        for point in variants.get(model.id, []):
            ax.plot([x, point.docs_per_s], [y, point.mean], color=_color(model), linewidth=0.8, alpha=0.7)
            ax.scatter([point.docs_per_s], [point.mean], s=22, facecolors="white", edgecolors=_color(model), linewidths=1.0)
            ax.annotate(point.precision, (point.docs_per_s, point.mean), fontsize=6.5, xytext=(3, -8), textcoords="offset points")
    ax.set_xscale("log")
    _human_axis(ax.xaxis)
    ax.margins(x=0.12, y=0.1)
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
