"""MTEB result files in and out.

Export writes what MTEB's own tooling reads: ``<org>__<model>/<revision>/<Task>.json`` (a
``mteb.TaskResult``) plus ``model_meta.json`` beside them.  Task results are built with
``TaskResult.from_task_results`` on mteb's own task object, so languages, split names and
field names are mteb's, and every file validates with ``TaskResult.from_disk``.  MTEB task names
come from the task records (``Task.mteb``, the benchmark catalogues), never from a table here.  Tatoeba's 112
pair tasks become the subsets of MTEB's one ``Tatoeba`` task.

Import reads such a folder (ours or the ``embeddings-benchmark/results`` repository) and stores
every main and secondary score as a *reported* number of the matching model, with the folder,
revision and mteb version as its source.  A model matches by its Hub id (``weights.hf``).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from benchmarks.registry import find_task, task_for_mteb
from common.errors import UserError
from leaderboard import schema
from leaderboard.serialize import dumps

log = logging.getLogger(__name__)


def mteb_name(task_id: str) -> tuple[str, str] | None:
    """(MTEB task name, hf_subset) of one of our task ids (``Task.mteb``), or None when MTEB has no such task."""
    task = find_task(task_id)
    return task.mteb if task is not None else None


def our_task_id(task_name: str, subset: str) -> str | None:
    """Our task id for an MTEB task name and subset (:func:`benchmarks.registry.task_for_mteb`), or None."""
    task = task_for_mteb(task_name, subset)
    return task.id if task is not None else None


def model_folder_name(model: schema.Model) -> tuple[str, str]:
    """``org__name`` and revision as MTEB names a model's result folder."""
    weights = (model.config or {}).get("weights") or {}
    hf = weights.get("hf")
    folder = hf.replace("/", "__") if hf else f"leaderboard__{model.name}"
    return folder, weights.get("revision") or "no_revision_available"


def _model_meta(model: schema.Model, revision: str, manifest: dict | None = None) -> dict:
    """MTEB's ``model_meta.json``; ``max_tokens`` is the max length the model ran with, as the run ``manifest`` resolved it.

    The config's ``max_length`` is often left out (the model's own files decide), so it is read
    from the manifest's ``model.max_length`` (:func:`runners.model_loading.resolve_max_length`),
    never from the raw config.
    """
    config = model.config or {}
    metadata = config.get("metadata") or {}
    weights = config.get("weights") or {}
    training = metadata.get("training_datasets")
    return {
        "name": weights.get("hf") or model.name,
        "revision": revision,
        "n_parameters": metadata.get("parameters"),
        "embed_dim": metadata.get("embedding_dim"),
        "max_tokens": ((manifest or {}).get("model") or {}).get("max_length"),
        "license": (metadata.get("license") or "").lower() or None,
        "open_weights": metadata.get("open_weights"),
        "similarity_fn_name": config.get("similarity"),
        "reference": metadata.get("url"),
        # MTEB reads None as "unknown" and {} as "none", as we do (benchmarks/zero_shot.py)
        "training_datasets": None if training is None else {name: [] for name in training},
        "framework": ["PyTorch"],
        "exported_by": "leaderboard export --format mteb",
    }


def export_mteb(session: Session, out_dir: Path, *, include_unpublished: bool = False) -> list[Path]:
    """Write every current result of published models (all models with ``include_unpublished``) as MTEB result files."""
    import mteb
    from mteb.results import TaskResult

    stmt = (
        select(schema.Model, schema.Run)
        .join(schema.CurrentResult, schema.CurrentResult.model_id == schema.Model.id)
        .join(schema.Run, schema.Run.id == schema.CurrentResult.run_id)
    )
    if not include_unpublished:
        stmt = stmt.where(schema.Model.published.is_(True))
    rows = session.execute(stmt).all()
    grouped: dict[tuple[int, str], dict[str, dict]] = defaultdict(dict)  # (model, mteb task) -> subset -> scores
    models: dict[int, schema.Model] = {}
    manifests: dict[int, dict] = {}  # one run manifest per model: where its resolved max length is recorded
    times: dict[tuple[int, str], float] = defaultdict(float)
    for model, run in rows:
        mapped = mteb_name(run.task_id)
        if mapped is None:
            continue
        name, subset = mapped
        models[model.id] = model
        if not ((manifests.get(model.id) or {}).get("model") or {}).get("max_length"):
            manifests[model.id] = run.manifest or {}
        scores = {score.metric: score.value for score in run.scores if score.variant == "" and score.value is not None}
        main = (run.metric_spec or {}).get("main_score") or run.task.main_score
        scores["main_score"] = scores.get(main)
        grouped[(model.id, name)][subset] = scores
        times[(model.id, name)] += float((run.manifest or {}).get("total_s") or 0.0)
    written: list[Path] = []
    for (model_id, name), subsets in grouped.items():
        model = models[model_id]
        folder_name, revision = model_folder_name(model)
        folder = out_dir / folder_name / revision
        folder.mkdir(parents=True, exist_ok=True)
        task = mteb.get_task(name)
        split = task.metadata.eval_splits[0]
        result = TaskResult.from_task_results(task, {split: subsets}, evaluation_time=times[(model_id, name)])
        path = folder / f"{name}.json"
        result.to_disk(path)
        written.append(path)
        meta = folder / "model_meta.json"
        meta.write_text(dumps(_model_meta(model, revision, manifests.get(model_id)), indent=2))
    return written


def _reportable(task_id: str, metric: str, value: float, source: str) -> bool:
    """Whether a number from a result file passes the rule every reported number passes (the config schema's)."""
    from pydantic import ValidationError

    from submissions.schema import ReportedScore

    try:
        ReportedScore(task=task_id, metric=metric, value=value, source=source)
    except ValidationError:
        return False
    return True


def import_mteb(session: Session, in_dir: Path, *, source_label: str | None = None) -> int:
    """Store the scores of MTEB result files under ``in_dir`` as reported numbers; returns how many."""
    from mteb.results import TaskResult

    if not in_dir.is_dir():
        raise UserError(f"{in_dir}: not a folder of MTEB results (<org>__<model>/<revision>/<Task>.json)")
    models_by_hf = {
        (m.config.get("weights") or {}).get("hf"): m for m in session.scalars(select(schema.Model)) if (m.config or {}).get("weights")
    }
    stored = skipped = 0
    unknown: set[str] = set()
    for path in sorted(in_dir.glob("*/*/*.json")):
        if path.name == "model_meta.json":
            continue
        org_model, revision = path.parent.parent.name, path.parent.name
        hf_id = org_model.replace("__", "/", 1)
        model = models_by_hf.get(hf_id)
        if model is None:
            unknown.add(hf_id)
            continue
        try:
            result = TaskResult.from_disk(path)
        except Exception as err:  # mteb raises ValueError/ValidationError/KeyError on bad files
            raise UserError(f"{path}: not a valid MTEB result file ({type(err).__name__}); fix or remove it") from err
        source = f"{source_label or 'MTEB results'} {org_model}/{revision}, mteb {result.mteb_version}"
        for split_scores in result.scores.values():
            for entry in split_scores:
                task_id = our_task_id(result.task_name, entry.get("hf_subset", "default"))
                if task_id is None:
                    continue
                for metric, value in entry.items():
                    if metric in {"hf_subset", "languages", "main_score"} or not isinstance(value, int | float):
                        continue
                    if not _reportable(task_id, metric, value, source):  # NaN, inf or not a share/correlation
                        skipped += 1
                        continue
                    existing = session.scalar(
                        select(schema.ReportedScore).where(
                            schema.ReportedScore.model_id == model.id,
                            schema.ReportedScore.task_id == task_id,
                            schema.ReportedScore.metric == metric,
                            schema.ReportedScore.source == source,
                        )
                    )
                    if existing is None:
                        session.add(
                            schema.ReportedScore(
                                model_id=model.id, task_id=task_id, metric=metric, value=float(value), source=source, origin="import"
                            )
                        )
                    else:
                        existing.value = float(value)
                    stored += 1
    if unknown and not stored:
        raise UserError(
            f"{in_dir}: no result folder matches a model on the board (found {', '.join(sorted(unknown)[:3])}); "
            "register the model first (its config's weights.hf must equal the folder's org/name)"
        )
    if skipped:
        log.warning("left out %d numbers that are not finite shares or correlations in [-1, 1] (NaN, inf, percentages)", skipped)
    return stored
