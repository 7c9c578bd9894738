"""Server-rendered pages. Read-only: nothing here runs a model.

Every page reads the cached snapshot (see :mod:`web.cache`) or one small query, so a page costs
the same with 5 models or 1,000.  Tables take ``sort``/``order``/``page``/``per_page`` and the
filters of :mod:`web.filters` from the URL, and ``format=csv|json`` downloads exactly the table
shown (all pages).
"""

from __future__ import annotations

import logging
import threading

import yaml
from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from markupsafe import Markup, escape

from benchmarks.zero_shot import UNKNOWN, training_match
from leaderboard import queries
from leaderboard.queries import BoardRow, BoardTable, ModelInfo, Snapshot, TaskInfo
from leaderboard.serialize import dumps
from web import cellinfo, confidence
from web.cache import cached_response, db_session, memo, run_stats, snapshot
from web.filters import FAMILIES, SIZE_BUCKETS, SIZE_UNKNOWN, Filters, request_filters, size_bucket
from web.formatting import human_count
from web.labels import (
    benchmark_blurb,
    benchmark_name,
    metric_definition,
    metric_label,
    metric_specific,
    spec_common,
    task_metrics,
)
from web.tables import ColumnBands, board_records, download, model_records, paginate, sort_rows

pages = Blueprint("pages", __name__)
UNKNOWN_BADGE = '<span class="badge zs-unknown" title="lists no training data: zero-shot unknown">zero-shot?</span>'
log = logging.getLogger(__name__)


# ------------------------------------------------------------------ registry (metadata only)
def registered_benchmarks() -> tuple[str, ...]:
    from benchmarks.registry import benchmark_ids

    return benchmark_ids()


def registered_tasks() -> dict[str, TaskInfo]:
    """Tasks the code knows (even without results), as TaskInfo; empty if a benchmark fails to load."""
    try:
        from benchmarks.registry import all_tasks

        return {t.id: queries.task_info(t) for t in all_tasks().values()}
    except Exception:  # a half-built benchmark package must not take the site down
        log.exception("could not load the task registry")
        return {}


def known_benchmarks(snap: Snapshot) -> list[str]:
    return snap.benchmarks(registered_benchmarks())


# ------------------------------------------------------------------ shared helpers
def board(benchmark: str, filters: Filters) -> BoardTable:
    snap = snapshot()
    return memo(
        ("board", benchmark, filters.key()),
        lambda: queries.board_table(snap, benchmark, filters.model_filter(), zero_shot_only=filters.zero_shot),
    )


def reproduce_commands(model: ModelInfo, task_id: str | None) -> dict[str, str]:
    """The exact commands that rerun a score locally (reference models run by name)."""
    target = model.name if model.is_reference else f"{model.name}.yaml"
    tasks = f" --tasks {task_id}" if task_id else ""
    commands = {"run": f"leaderboard run {target}{tasks}"}
    if model.is_reference:
        commands["reproduce"] = f"leaderboard reproduce {model.name}{tasks}"
    return commands


def _sort_args() -> tuple[str, str]:
    sort = request.args.get("sort", "")
    order = request.args.get("order", "asc" if sort == "model" else "desc")
    return sort, ("asc" if order == "asc" else "desc")


class RowRenderer:
    """HTML of benchmark-table rows, built in Python and cached per (data version, filters).

    A 1,000 × 112 table has 112,000 cells; rendering each through Jinja (escaping, url_for)
    costs ~0.4 s per page.  A row's HTML depends only on the row and the column bands of its
    filtered table, so it is built once and reused by every sort order and page.  Every piece
    of text from the database goes through :func:`markupsafe.escape`.
    """

    def __init__(self, table: BoardTable, bands: ColumnBands, grades: dict | None = None) -> None:
        self.table = table
        self.bands = bands
        self.grades = grades or {}  # (model id, task id) -> Reproduction of the main score
        self.rows: dict[int, Markup] = {}
        self.run_prefix = url_for("pages.run_page", run_id=0)[:-1]
        self.labels = [escape(task.dataset) for task in table.columns]
        self.above = cellinfo.rows_above(table)
        self._lock = threading.Lock()

    def prepare(self, rows: list[BoardRow]) -> None:
        """Compute the intervals and rank tests the rows not built yet need (cached by run id, so mostly found)."""
        missing = [row for row in rows if row.model.id not in self.rows]
        if missing:
            cellinfo.prepare_board(self.table, missing, self.above)

    def html(self, row: BoardRow) -> Markup:
        cached = self.rows.get(row.model.id)
        if cached is None:
            cached = self._build(row)
            with self._lock:
                self.rows[row.model.id] = cached
        return cached

    def _build(self, row: BoardRow) -> Markup:
        model = row.model
        name = escape(model.name)
        origin = "reference" if model.is_reference else "community"
        if model.is_reference:
            badge = '<span class="badge ref" title="registered by the project in submissions/reference/">reference</span>'
        else:
            by = escape(model.submitter or "")
            badge = f'<span class="badge community" title="submitted by {by or "a user"}">community{f" · {by}" if by else ""}</span>'
        intervals = run_stats().intervals
        unknown = "" if row.training_known else f" {UNKNOWN_BADGE}"
        parts = [
            f'<tr data-model="{name}">',
            cellinfo.rank_html(row.rank, cellinfo.separation(self.table, row, self.above) if row.rank is not None else None),
            f'<th scope="row" class="model" title="{escape(", ".join(model.families))} · {origin}">'
            f'<a href="{escape(url_for("pages.model_page", name=model.name))}">{name}</a> {badge}{unknown}</th>',
            f'<td class="meta">{human_count(model.parameters)}</td>',
        ]
        n_columns = len(self.table.columns)
        for i, (value, run_id) in enumerate(zip(row.values, row.run_ids, strict=True)):
            trained = row.trained.get(i)
            if value is None:
                note = f"; in the model&#39;s training data ({escape(trained)})" if trained else ""
                parts.append(f'<td class="missing" title="not run{note}">–</td>')
                continue
            href = f"{self.run_prefix}{run_id}"
            if i in row.excluded:
                parts.append(
                    f'<td class="num excluded" title="{value:.4f} on training data ({escape(trained)}): '
                    f'not zero-shot, hidden by the filter"><a href="{href}">†</a></td>'
                )
                continue
            css = self.bands.css(i, value)
            ci = escape(confidence.interval_text(value, intervals.get(run_id)))
            title = f"{self.labels[i]}: {ci} · {value!r}, run {run_id}"
            if trained:
                css += " trained"
                title += f" · not zero-shot: trained on {escape(trained)}"
            elif not row.training_known:
                title += " · zero-shot unknown: the model lists no training data"
            reproduction = self.grades.get((model.id, self.table.columns[i].id))
            if reproduction is None or reproduction.grade is None:
                # the not-reproduced marker is drawn by the stylesheet (td.nr), to keep big tables small
                parts.append(f'<td class="num {css} nr" title="{title} · {cellinfo.NOT_REPRODUCED}"><a href="{href}">{value:.4f}</a></td>')
            else:
                badge = cellinfo.badge_html(reproduction, run_id)
                parts.append(f'<td class="num {css} graded" title="{title}"><a href="{href}">{value:.4f}</a>{badge}</td>')
        covers = escape(", ".join(row.covers))
        if row.complete:
            parts.append(f'<td class="mean" title="mean over {len(row.covers)} datasets ({covers}): {row.mean!r}">{row.mean:.4f}</td>')
        else:
            over = f"; mean over those: {row.partial_mean:.4f}" if row.partial_mean is not None else ""
            parts.append(
                f'<td class="mean partial" title="{row.n_present} of {n_columns} tasks{over} — not comparable, not ranked">'
                f"partial {row.n_present}/{n_columns}</td>"
            )
        parts.append("</tr>")
        return Markup("".join(parts))


# ------------------------------------------------------------------ home
def overall_table(snap: Snapshot, benchmarks: list[str]) -> tuple[list[str], list[dict]]:
    """One row per model: its mean on each benchmark and the mean of those means.

    A benchmark mean is shown only for a model with every task of that benchmark; the overall
    mean only for a model complete on every benchmark that has results (a mean of benchmark
    means, so Tatoeba's 112 pairs weigh as much as ARO's 4 tasks).
    """
    tables = {b: board(b, Filters()) for b in benchmarks}
    active = [b for b in benchmarks if tables[b].columns]
    rows: dict[int, dict] = {}
    for b in active:
        for row in tables[b].rows:
            entry = rows.setdefault(row.model.id, {"model": row.model, "cells": {}, "n_scores": 0})
            entry["cells"][b] = row
            entry["n_scores"] += row.n_present
    out = []
    for entry in rows.values():
        means = [entry["cells"][b].mean for b in active if b in entry["cells"]]
        complete = len(means) == len(active) and all(m is not None for m in means)
        entry["overall"] = sum(means) / len(means) if complete and means else None
        entry["n_complete"] = sum(1 for m in means if m is not None)
        out.append(entry)
    out.sort(key=lambda e: (e["overall"] is None, -(e["overall"] or 0.0), -e["n_complete"], -e["n_scores"], e["model"].name))
    return active, out


def _main_score_summary(table: BoardTable) -> list[str]:
    labels = sorted({metric_label(t.main_score, t) for t in table.columns})
    return labels if len(labels) <= 2 else [f"{len(labels)} main scores (one per task)"]


@pages.get("/")
@cached_response
def home():
    snap = snapshot()
    benchmarks = known_benchmarks(snap)
    registry = registered_tasks()
    cards = []
    for b in benchmarks:
        table = board(b, Filters())
        complete = [r for r in table.rows if r.complete]
        cards.append(
            {
                "id": b,
                "name": benchmark_name(b),
                "blurb": benchmark_blurb(b),
                "tasks_with_results": len(table.columns),
                "tasks_registered": sum(1 for t in registry.values() if t.benchmark == b),
                "models": len(table.rows),
                "complete": len(complete),
                "leaders": complete[:5],
                "main_scores": _main_score_summary(table),
            }
        )
    active, overall = memo(("overall",), lambda: overall_table(snap, benchmarks))
    fmt = request.args.get("format")
    if fmt:
        columns = ["model", *active, "overall", "n_complete_benchmarks", "n_scores"]
        records = [
            {
                "model": e["model"].name,
                **{b: (e["cells"][b].mean if b in e["cells"] else None) for b in active},
                "overall": e["overall"],
                "n_complete_benchmarks": e["n_complete"],
                "n_scores": e["n_scores"],
            }
            for e in overall
        ]
        response = download(fmt, "leaderboard-overall", columns, records)
        if response is not None:
            return response
    page = paginate(overall, request.args.get("page"), request.args.get("per_page"))
    return render_template(
        "home.html", cards=cards, active=active, overall=page, n_tasks=len(snap.tasks), n_models=len(snap.models), n_cells=snap.n_cells
    )


# ------------------------------------------------------------------ benchmark
def _filter_choices(snap: Snapshot) -> dict:
    licenses = sorted({m.license or "unknown" for m in snap.models.values()}, key=str.casefold)
    return {
        "families": FAMILIES,
        "sizes": [(key, label) for key, label, *_ in SIZE_BUCKETS] + [SIZE_UNKNOWN],
        "licenses": licenses,
    }


@pages.get("/benchmarks/<benchmark>")
@cached_response
def benchmark_page(benchmark: str):
    snap = snapshot()
    if benchmark not in known_benchmarks(snap):
        abort(404, description=f"There is no benchmark called “{benchmark}”.")
    filters = request_filters()
    table = board(benchmark, filters)
    sort, order = _sort_args()
    rows = memo(("sorted", benchmark, filters.key(), sort, order), lambda: sort_rows(table, sort, order))
    fmt = request.args.get("format")
    if fmt:
        columns, records = board_records(table, rows)
        meta = {"benchmark": benchmark, "filters": dict(filters.params()), "sort": sort or "mean", "order": order}
        response = download(fmt, f"leaderboard-{benchmark}", columns, records, meta)
        if response is not None:
            return response
    page = paginate(rows, request.args.get("page"), request.args.get("per_page"))
    renderer = memo(
        ("rows", benchmark, filters.key()), lambda: RowRenderer(table, ColumnBands.of(table, table.rows), cellinfo.reproductions())
    )
    renderer.prepare(page.items)
    registry = registered_tasks()
    without = [t for t in registry.values() if t.benchmark == benchmark and t.id not in {c.id for c in table.columns}]
    headers = [
        {
            "task": task,
            "label": task.dataset,
            "metric": metric_label(task.main_score, task),
            "title": f"{task.id} ({task.split}) — " + metric_definition(task.main_score, task),
        }
        for task in table.columns
    ]
    top_models = [r.model.name for r in rows if r.complete][:5] or [r.model.name for r in rows][:5]
    return render_template(
        "benchmark.html",
        benchmark=benchmark,
        name=benchmark_name(benchmark),
        blurb=benchmark_blurb(benchmark),
        table=table,
        headers=headers,
        page=page,
        row_html=[renderer.html(row) for row in page.items],
        filters=filters,
        choices=_filter_choices(snap),
        sort=sort,
        order=order,
        without_results=without,
        top_models=top_models,
        has_dims=memo(("has_dims", benchmark), lambda: _has_dim_variants(benchmark)),
        has_throughput=memo(("has_tp", benchmark), lambda: bool(queries.throughputs(db_session(), benchmark))),
        plot_query=filters.query(benchmark=benchmark),
    )


# ------------------------------------------------------------------ tasks
@pages.get("/tasks/")
@cached_response
def tasks_index():
    snap = snapshot()
    registry = registered_tasks()
    counts = snap.task_counts
    everything = {**registry, **snap.tasks}
    groups = []
    for b in known_benchmarks(snap):
        tasks = sorted((t for t in everything.values() if t.benchmark == b), key=lambda t: (counts.get(t.id, 0) == 0, t.id))
        groups.append({"id": b, "name": benchmark_name(b), "tasks": [(t, counts.get(t.id, 0)) for t in tasks]})
    fmt = request.args.get("format")
    if fmt:
        columns = ["task", "benchmark", "dataset", "split", "main_score", "models", "license", "source_url"]
        records = [
            {
                "task": t.id,
                "benchmark": t.benchmark,
                "dataset": t.dataset,
                "split": t.split,
                "main_score": t.main_score,
                "models": n,
                "license": t.license,
                "source_url": t.source_url,
            }
            for g in groups
            for t, n in g["tasks"]
        ]
        response = download(fmt, "leaderboard-tasks", columns, records)
        if response is not None:
            return response
    return render_template("tasks.html", groups=groups, metric_label=metric_label)


def _all_reported() -> list[tuple]:
    return [(r.model_id, r.task_id, r.metric, r.value, r.source) for r in queries.reported_scores(db_session())]


@pages.get("/tasks/<path:task_id>")
@cached_response
def task_page(task_id: str):
    snap = snapshot()
    task = snap.tasks.get(task_id) or registered_tasks().get(task_id)
    if task is None:
        abort(404, description=f"There is no task called “{task_id}”.")
    results = memo(("task", task_id), lambda: queries.task_results(db_session(), task_id))
    seen = {metric for r in results for metric in r["scores"]} - {queries.GOLD_SCORE}  # STS's per-pair gold is not a metric
    metrics = [m for m in task_metrics(task, seen) if m in seen] or [task.main_score]
    sort, order = _sort_args()
    sort = sort or task.main_score
    rows = []
    for r in results:
        model = snap.models.get(r["model_id"])
        if model is not None:
            match = training_match(model.training_datasets, task)
            rows.append({**r, "model": model, "trained": match.matched, "zero_shot": match.state})
    filters = request_filters()
    rows = [r for r in rows if filters.keeps(r["model"]) and not (filters.zero_shot and r["trained"])]
    sign = 1 if order == "asc" else -1
    if sort == "model":
        rows.sort(key=lambda r: r["model"].name.casefold(), reverse=order == "desc")
    else:
        key = sort if sort in metrics else task.main_score
        rows.sort(key=lambda r: (r["scores"].get(key) is None, sign * (r["scores"].get(key) or 0.0), r["model"].name))
    fmt = request.args.get("format")
    if fmt:
        columns = ["model", *metrics, "run_id", "finished_at", "zero_shot", "trained_on"]
        records = [
            {
                "model": r["model"].name,
                **{m: r["scores"].get(m) for m in metrics},
                "run_id": r["run_id"],
                "finished_at": r["finished_at"].isoformat() if r["finished_at"] else None,
                "zero_shot": r["zero_shot"],
                "trained_on": r["trained"],
            }
            for r in rows
        ]
        response = download(fmt, f"leaderboard-{task_id.replace('/', '-')}", columns, records, {"task": task_id})
        if response is not None:
            return response
    reported = memo(("reported_all",), _all_reported)
    reported_here = {}
    for model_id, t_id, metric, value, source in reported:
        if t_id == task_id and metric == task.main_score:
            reported_here.setdefault(model_id, (value, source))  # several sources: the config's first
    spec = task.metric_spec or {}
    page = paginate(rows, request.args.get("page"), request.args.get("per_page"))
    return render_template(
        "task.html",
        page=page,
        cells=_task_cells(task, rows, page.items),
        task=task,
        name=benchmark_name(task.benchmark),
        metrics=[(m, metric_label(m, task), metric_definition(m, task)) for m in metrics],
        specific={m: metric_specific(m, task) for m in metrics},
        common=spec_common(task),
        rows=rows,
        sort=sort,
        order=order,
        filters=filters,
        reported=reported_here,
        spec_json=dumps(spec, indent=2, sort_keys=True, default=str),
        has_results=bool(results),
    )


def task_ranks(task: TaskInfo, rows: list[dict]) -> dict[int, tuple[int, confidence.Separation | None]]:
    """model id -> (rank by the main score, the paired test against the row ranked above) for rows with a main score.

    Ranked in descending main-score order whatever order the page is sorted in (as on a
    benchmark page); equal scores share a rank.
    """
    scored = [r for r in rows if r["scores"].get(task.main_score) is not None]
    scored.sort(key=lambda r: (-r["scores"][task.main_score], r["model"].name))
    separations = cellinfo.task_separations([r["run_id"] for r in scored], [r["model"].name for r in scored])
    out: dict[int, tuple[int, confidence.Separation | None]] = {}
    rank, previous = 0, None
    for position, (r, sep) in enumerate(zip(scored, separations, strict=True), start=1):
        value = r["scores"][task.main_score]
        if value != previous:
            rank, previous = position, value
        out[r["model_id"]] = (rank, sep)
    return out


def _task_cells(task: TaskInfo, rows: list[dict], shown: list[dict]) -> dict[int, dict]:
    """Per shown row: the main score's CI tooltip, its grade badge and the rank cell."""
    grades = cellinfo.reproductions()
    intervals = cellinfo.intervals(r["run_id"] for r in shown)
    ranks = task_ranks(task, rows)
    cells = {}
    for r in shown:
        value = r["scores"].get(task.main_score)
        reproduction = grades.get((r["model_id"], task.id))
        rank, sep = ranks.get(r["model_id"], (None, None))
        cells[r["model_id"]] = {
            "title": confidence.interval_text(value, intervals.get(r["run_id"])) + f" · {value!r}" if value is not None else "",
            "badge": Markup(cellinfo.badge_html(reproduction, r["run_id"])),
            "rank": Markup(cellinfo.rank_html(rank, sep)),
        }
    return cells


# ------------------------------------------------------------------ models
@pages.get("/models/")
@cached_response
def models_index():
    snap = snapshot()
    filters = request_filters()
    coverage = memo(("coverage",), lambda: {model_id: snap.benchmark_counts(model_id) for model_id in snap.cells})
    models = sorted((m for m in snap.models.values() if filters.keeps(m)), key=lambda m: m.name.casefold())
    fmt = request.args.get("format")
    if fmt:
        records = model_records(models)
        for record, model in zip(records, models, strict=True):
            record["scores"] = sum(coverage.get(model.id, {}).values())
        columns = list(records[0]) if records else ["name", "backend", "families", "parameters", "scores"]
        response = download(fmt, "leaderboard-models", columns, records)
        if response is not None:
            return response
    page = paginate(models, request.args.get("page"), request.args.get("per_page"))
    return render_template(
        "models.html",
        page=page,
        coverage=coverage,
        benchmarks=known_benchmarks(snap),
        filters=filters,
        choices=_filter_choices(snap),
    )


def _has_dim_variants(benchmark: str) -> bool:
    """Whether the dims plot has anything to show: Matryoshka variants, not others such as ARO's "fp16-aro"."""
    from web.plots import is_dim_variant  # web.plots imports this module

    return any(is_dim_variant(variant) for _model, _task, variant, _value in queries.variant_main_scores(db_session(), benchmark))


def _reported_rows(model: ModelInfo, runs, snap: Snapshot) -> list[dict]:
    """Each published number of the model next to ours, with Δ and the 2CR-style grade.

    A number reported for a whole benchmark (``task: tatoeba``) is compared with our mean of
    that metric over every registered task of the benchmark, only when all of them were run.
    """
    from leaderboard.grading import Numerics, grade, tolerance_rule

    current = {r.task_id: r for r in runs if r.current}
    benchmarks = set(known_benchmarks(snap))
    registry = None
    rows = []
    reproduced = model_reproductions(model.id)
    for reported in queries.reported_scores(db_session(), model.id):
        task = snap.tasks.get(reported.task_id)
        run = current.get(reported.task_id)
        ours, run_id, note, scope = None, None, "", "task"
        numerics = Numerics.of_run(model.config)
        if run is not None:
            ours, run_id = run.scores.get(("", reported.metric)), run.id
            numerics = Numerics.of_run(model.config, run.manifest)
        elif reported.task_id in benchmarks:
            scope = "benchmark"
            registry = registry if registry is not None else registered_tasks()
            members = {t.id for t in registry.values() if t.benchmark == reported.task_id} | {
                t.id for t in snap.tasks.values() if t.benchmark == reported.task_id
            }
            values = [current[t].scores.get(("", reported.metric)) for t in members if t in current]
            values = [v for v in values if v is not None]
            if members and len(values) == len(members):
                ours = sum(values) / len(values)
            note = f"mean over the benchmark's {len(members)} tasks; {len(values)} run"
        tolerance = tolerance_rule(reported.metric, task=reported.task_id, against="reported", numerics=numerics)
        rows.append(
            {
                "task": reported.task_id,
                "scope": scope,
                "metric": reported.metric,
                "label": metric_label(reported.metric, task),
                "reported": reported.value,
                "source": reported.source,
                "ours": ours,
                "run_id": run_id,
                "note": note,
                "delta": None if ours is None else ours - reported.value,
                "grade": None if ours is None else grade(reported.value, ours, tolerance=tolerance),
                "tolerance": tolerance.value,
                "tolerance_rule": tolerance.rule,
                "tolerance_reason": tolerance.reason,
                **_reproduced_fields(reproduced.get((model.id, reported.task_id, reported.metric)), reported),
            }
        )
    return rows


def model_reproductions(model_id: int) -> dict[tuple[int, str, str], queries.Reproduction]:
    """(model id, task id, metric) -> reproductions of every graded metric of one model, per data version."""
    return memo(("model_reproductions", model_id), lambda: queries.reproductions(db_session(), model_id=model_id, main_only=False))


def _reproduced_fields(entry: queries.Reproduction | None, reported) -> dict:
    """The latest reproduction's number and grade for one reported number (None when never reproduced).

    The grade is the one stored by ``leaderboard reproduce`` against this reported number (its
    source and value); it is left out when that reproduction was graded against another value
    (the config's number changed since).
    """
    candidates: list[queries.GradeInfo] = []
    if entry is not None:
        candidates = entry.reported or ([entry.grades["reported"]] if "reported" in entry.grades else [])
    graded = next((g for g in candidates if g.expected == reported.value and g.source in ("", reported.source)), None)
    return {
        "reproduced": graded.got if graded else None,
        "reproduced_grade": graded.grade if graded else None,
        "reproduction_run_id": entry.last_run_id if entry is not None else None,
        "reproductions": entry.count if entry is not None else 0,
    }


@pages.get("/models/<path:name>")
@cached_response
def model_page(name: str):
    snap = snapshot()
    model = snap.by_name.get(name)
    if model is None:
        abort(404, description=f"There is no model called “{name}”.")
    fmt = request.args.get("format")
    if fmt == "yaml":
        body = yaml.safe_dump(model.config, sort_keys=False, allow_unicode=True)
        response = Response(body, mimetype="application/yaml")
        response.headers["Content-Disposition"] = 'attachment; filename="model.yaml"'
        return response
    runs = memo(("model_runs", model.id), lambda: queries.model_runs(db_session(), model.id))
    current = sorted((r for r in runs if r.current), key=lambda r: r.task_id)
    rows = []
    all_metrics: list[str] = []
    for run in current:
        task = snap.tasks.get(run.task_id)
        metrics = task_metrics(task, {m for (v, m) in run.scores if v == ""}) if task else sorted({m for (v, m) in run.scores})
        metrics = [m for m in metrics if ("", m) in run.scores and m != queries.GOLD_SCORE]
        all_metrics.extend(m for m in metrics if m not in all_metrics)
        match = training_match(model.training_datasets, task) if task else UNKNOWN
        rows.append({"run": run, "task": task, "metrics": metrics, "trained": match.matched, "zero_shot": match.state})
    if not fmt:
        _add_cell_info(model, rows)
    if fmt:
        columns = ["task", "benchmark", "main_score", *all_metrics, "run_id", "finished_at", "zero_shot"]
        records = [
            {
                "task": r["run"].task_id,
                "benchmark": r["task"].benchmark if r["task"] else None,
                "main_score": r["task"].main_score if r["task"] else None,
                **{m: r["run"].scores.get(("", m)) for m in all_metrics},
                "run_id": r["run"].id,
                "finished_at": r["run"].finished_at.isoformat() if r["run"].finished_at else None,
                "zero_shot": r["zero_shot"],
            }
            for r in rows
        ]
        response = download(fmt, f"leaderboard-{model.name}", columns, records, {"model": model.name})
        if response is not None:
            return response
    reported = _reported_rows(model, runs, snap)
    reported_main: dict[str, dict] = {}
    for r in reported:  # several sources for one main score: the config's first is the one beside the score
        if r["task"] in snap.tasks and r["metric"] == snap.tasks[r["task"]].main_score:
            reported_main.setdefault(r["task"], r)
    order = known_benchmarks(snap)
    benchmarks_run = sorted({r["task"].benchmark for r in rows if r["task"]}, key=order.index)
    score_tables = [_score_table(b, [r for r in rows if r["task"] and r["task"].benchmark == b]) for b in benchmarks_run]
    return render_template(
        "model.html",
        model=model,
        rows=rows,
        runs=runs,
        reported=reported,
        reported_main=reported_main,
        metric_label=metric_label,
        metric_definition=metric_definition,
        commands={r["run"].task_id: reproduce_commands(model, r["run"].task_id) for r in rows},
        all_commands=reproduce_commands(model, ",".join(r["run"].task_id for r in rows) or None),
        config_yaml=yaml.safe_dump(model.config, sort_keys=False, allow_unicode=True) if model.config else "",
        score_tables=score_tables,
        size_label=_size_label(model.parameters),
        tasks=snap.tasks,
        manifest_sections=manifest_sections,
    )


def _add_cell_info(model: ModelInfo, rows: list[dict]) -> None:
    """Each current run's main-score CI tooltip, grade badge and "reproduced N times, last grade X"."""
    grades = cellinfo.reproductions()
    intervals = cellinfo.intervals(r["run"].id for r in rows)
    for r in rows:
        main = r["run"].scores.get(("", r["task"].main_score)) if r["task"] else None
        reproduction = grades.get((model.id, r["run"].task_id))
        r["ci_title"] = confidence.interval_text(main, intervals.get(r["run"].id)) + f" · {main!r}" if main is not None else ""
        r["badge"] = Markup(cellinfo.badge_html(reproduction, r["run"].id))
        r["reproduced"] = cellinfo.summary(reproduction)
        r["reproduced_title"] = cellinfo.grade_title(reproduction, r["run"].id) if reproduction and reproduction.grade else ""
        r["reproduced_grade"] = reproduction.grade if reproduction else None


def _score_table(benchmark: str, rows: list[dict]) -> dict:
    """One benchmark's block on a model page: the main score first (next to the published number), then the rest."""
    mains = {r["task"].main_score for r in rows}
    first = rows[0]["task"]
    main_metric = next(iter(mains)) if len(mains) == 1 else None
    others: list[str] = []
    for r in rows:
        others.extend(m for m in r["metrics"] if m != main_metric and m not in others)
    return {
        "benchmark": benchmark,
        "rows": rows,
        "main_label": metric_label(main_metric, first) if main_metric else "Main score",
        "main_title": metric_definition(main_metric, first) if main_metric else "each task's main score",
        "others": [(m, metric_label(m, first), metric_definition(m, first)) for m in others],
    }


def _size_label(parameters: int | None) -> str:
    bucket = size_bucket(parameters)
    return dict((key, label) for key, label, *_ in SIZE_BUCKETS).get(bucket, SIZE_UNKNOWN[1])


# ------------------------------------------------------------------ runs
MANIFEST_SECTIONS = (
    ("Hashes", ("config_sha256", "weights_sha256", "data_sha256", "data_files", "git_commit")),
    ("Versions", ("versions",)),
    ("Hardware", ("hardware", "peak_memory_mb")),
    ("Timings (seconds)", ("timings_s", "total_s")),
    ("Model as run", ("model", "dtype", "batch_size", "seed")),
    ("Data", ("counts", "search")),
)


def manifest_sections(manifest: dict) -> list[tuple[str, dict]]:
    """The manifest split into the sections shown on run and model pages; unknown keys go to "Other"."""
    manifest = manifest if isinstance(manifest, dict) else {}
    used: set[str] = set()
    sections = []
    for title, keys in MANIFEST_SECTIONS:
        part = {k: manifest[k] for k in keys if k in manifest}
        used.update(part)
        if len(part) == 1 and isinstance(next(iter(part.values())), dict) and title in ("Versions",):
            part = next(iter(part.values()))
        if part:
            sections.append((title, part))
    rest = {k: v for k, v in manifest.items() if k not in used}
    if rest:
        sections.append(("Other", rest))
    return sections


@pages.get("/runs/<id:run_id>")
@cached_response
def run_page(run_id: int):
    detail = memo(("run", run_id), lambda: queries.run_detail(db_session(), run_id))
    snap = snapshot()
    if detail is None or detail.summary.model_id not in snap.models:  # unpublished submissions stay private
        abort(404, description=f"There is no run {run_id}.")
    summary = detail.summary
    model = snap.models.get(summary.model_id)
    task = snap.tasks.get(summary.task_id)
    if request.args.get("format") == "json":
        body = {
            "id": summary.id,
            "model": model.name if model else None,
            "task": summary.task_id,
            "kind": summary.kind,
            "current": summary.current,
            "manifest": summary.manifest,
            "metric_spec": detail.run.metric_spec,
        }
        response = Response(dumps(body, indent=1, default=str), mimetype="application/json")
        response.headers["Content-Disposition"] = f'attachment; filename="run-{run_id}.json"'
        return response
    variants = sorted({v for (v, _) in summary.scores}, key=_variant_key)
    metrics = task_metrics(task, {m for (_, m) in summary.scores}) if task else sorted({m for (_, m) in summary.scores})
    metrics = [m for m in metrics if any((v, m) in summary.scores for v in variants)]
    return render_template(
        "run.html",
        run=summary,
        detail=detail,
        model=model,
        task=task,
        variants=variants,
        metrics=[(m, metric_label(m, task), metric_definition(m, task)) for m in metrics],
        sections=manifest_sections(summary.manifest or {}),
        commands=reproduce_commands(model, summary.task_id) if model else {},
    )


def _variant_key(variant: str) -> tuple:
    if variant == "":
        return (0, 0, "")
    if variant.startswith("dim="):
        try:
            return (1, -int(variant[4:]), variant)
        except ValueError:
            pass
    return (2, 0, variant)


# ------------------------------------------------------------------ compare
@pages.get("/compare")
@cached_response
def compare_page():
    snap = snapshot()
    benchmarks = known_benchmarks(snap)
    benchmark = request.args.get("benchmark") or (benchmarks[0] if benchmarks else "")
    if benchmark not in benchmarks:
        abort(404, description=f"There is no benchmark called “{benchmark}”.")
    names = [n for n in dict.fromkeys(request.args.getlist("model")) if n in snap.by_name][:8]
    table = board(benchmark, Filters())
    chosen = {row.model.name: row for row in table.rows if row.model.name in names}
    rows = [chosen[n] for n in names if n in chosen]
    grades = cellinfo.reproductions()
    intervals = cellinfo.intervals(c.run_id for r in rows for c in r.cells if c.value is not None)
    cells = {
        (r.model.id, i): {
            "title": confidence.interval_text(c.value, intervals.get(c.run_id)),
            "badge": Markup(cellinfo.badge_html(grades.get((r.model.id, table.columns[i].id)), c.run_id)),
        }
        for r in rows
        for i, c in enumerate(r.cells)
        if c.value is not None
    }
    return render_template(
        "compare.html",
        cells=cells,
        benchmark=benchmark,
        benchmarks=benchmarks,
        name=benchmark_name(benchmark),
        table=table,
        rows=rows,
        names=names,
        all_models=[r.model.name for r in table.rows],
        plot_query="&".join([f"benchmark={benchmark}"] + [f"model={url_quote(n)}" for n in names]),
    )


def url_quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


# ------------------------------------------------------------------ method and health
@pages.get("/about")
def about_page():
    from benchmarks.aro.metrics import RARE_RELATIONS_NOTE
    from leaderboard.grading import TOLERANCES
    from web.filters import SIZE_BUCKETS as buckets

    return render_template(
        "about.html",
        tolerances=TOLERANCES,
        rare_relations=RARE_RELATIONS_NOTE,
        buckets=buckets,
        unknown=SIZE_UNKNOWN,
        ci_resamples=f"{confidence.RESAMPLES:,}",
        ci_seed=confidence.SEED,
        permutations=f"{confidence.PERMUTATIONS:,}",
    )


@pages.get("/favicon.ico")
def favicon():
    return redirect(url_for("static", filename="favicon.svg"), code=301)


@pages.get("/healthz")
def healthz():
    return {"status": "ok"}
