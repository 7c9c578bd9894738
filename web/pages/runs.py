"""``/runs/<id>``: a run's scores per variant, grades, manifest and metric spec; ``format=json`` downloads them."""

from __future__ import annotations

from flask import Response, abort, render_template, request

from leaderboard.serialize import dumps
from leaderboard.views.artifacts import NO_RANKING_NOTE, artifact_info
from web import views
from web.cache import cached_response, db_session
from web.pages import pages
from web.tables import download

MANIFEST_SECTIONS = (
    ("Hashes", ("config_sha256", "weights_sha256", "data_sha256", "data_files", "git_commit")),
    ("Versions", ("versions",)),
    ("Hardware", ("hardware", "peak_memory_mb")),
    ("Timings (seconds)", ("timings_s", "total_s")),
    ("Model as run", ("model", "dtype", "batch_size", "seed")),
    ("Data", ("counts", "search", "artifacts")),
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


SCORE_COLUMNS = ["run_id", "model", "task", "metric", "label", "variant", "value", "main"]


def score_records(view) -> list[dict]:
    """Every score of the run, one record per (metric, variant), as the page's scores table lists them."""
    summary = view.summary
    main = view.task.main_score if view.task else None
    return [
        {
            "run_id": summary.id,
            "model": view.model.name if view.model else None,
            "task": summary.task_id,
            "metric": m.name,
            "label": m.label,
            "variant": variant,
            "value": summary.scores[(variant, m.name)],
            "main": m.name == main,
        }
        for m in view.metrics
        for variant in view.variants
        if (variant, m.name) in summary.scores
    ]


@pages.get("/runs/<id:run_id>")
@cached_response
def run_page(run_id: int):
    view = views.run(run_id)
    if view is None:  # unknown, or of an unpublished submission (those stay private)
        abort(404, description=f"There is no run {run_id}.")
    summary = view.summary
    fmt = request.args.get("format")
    if fmt == "json":
        body = {
            "id": summary.id,
            "model": view.model.name if view.model else None,
            "task": summary.task_id,
            "kind": summary.kind,
            "current": summary.current,
            "scores": score_records(view),
            "manifest": summary.manifest,
            "metric_spec": view.metric_spec,
        }
        response = Response(dumps(body, indent=1, default=str), mimetype="application/json")
        response.headers["Content-Disposition"] = f'attachment; filename="run-{run_id}.json"'
        return response
    if fmt:  # csv: the scores table; the manifest is nested, so it is in the JSON only
        response = download(fmt, f"run-{run_id}", SCORE_COLUMNS, score_records(view))
        if response is not None:
            return response
    return render_template(
        "run.html",
        run=summary,
        view=view,
        model=view.model,
        task=view.task,
        variants=view.variants,
        metrics=[(m.name, m.label, m.definition) for m in view.metrics],
        sections=manifest_sections(summary.manifest or {}),
        commands=view.commands,
        ranking=artifact_info(db_session(), run_id),
        ranking_expected=_retrieval(view.task),
        no_ranking_note=NO_RANKING_NOTE,
    )


def _retrieval(task) -> bool:
    """Whether runs of the task keep a ranking (its benchmark's capability is retrieval)."""
    from common.errors import UserError
    from leaderboard.views.explorer import capability_kind

    try:
        return task is not None and capability_kind(task) == "retrieval"
    except UserError:
        return False
