"""ARO: score every (image, caption option) pair of each test case, then evaluate both definitions.

Each distinct image (crop) and each distinct caption is embedded once; a case's option scores
are the cosines between its image and its options, times the logit scale.  For the VG sets the
whole images are embedded too (a few thousand): ARO's paper scores the bounding-box crops, while
MTEB's copy of these sets holds whole images, so ``text_acc`` uses those (and
``text_acc_cropped`` gives MTEB's rule on ARO's crops).
"""

from __future__ import annotations

import functools
import logging
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from benchmarks.aro.loader import AroCase, load_aro
from benchmarks.aro.metrics import evaluate_aro
from benchmarks.errors import UserError
from benchmarks.tasks import Task
from runners.execute import RunOutcome, build_manifest, check_counts
from runners.session import ModelSession

log = logging.getLogger(__name__)

ImageKey = tuple[str, tuple[float, float, float, float] | None]  # (path under the image root, crop box or None)


def image_loader(root: Path):
    """``load((path, bbox))`` -> RGB PIL image, cropped like ARO: ``crop((x, y, x + w, y + h))``.

    Keys are encoded sorted by path, so the several crops of one VG image come one after the
    other: a small cache of decoded images saves decoding each image once per crop.
    """
    from PIL import Image, UnidentifiedImageError

    @functools.lru_cache(maxsize=32)
    def decode(name: str):
        path = root / name
        try:
            with Image.open(path) as handle:
                return handle.convert("RGB")
        except (OSError, UnidentifiedImageError) as err:
            raise UserError(f"cannot read image {path} ({type(err).__name__}: {err}); replace the file") from err

    def load(key: ImageKey):
        name, bbox = key
        image = decode(name)
        if bbox is None:
            return image.copy()
        x, y, w, h = bbox
        return image.crop((x, y, x + w, y + h))

    return load


def case_scores(
    cases: list[AroCase], keys: list[ImageKey], image_emb: np.ndarray, text_index: dict[str, int], text_emb: np.ndarray, scale: float
):
    """One row of option scores per case, in the case's caption order."""
    key_index = {key: i for i, key in enumerate(keys)}
    rows = []
    for case in cases:
        options = text_emb[[text_index[caption] for caption in case.captions]]
        rows.append(scale * (options @ image_emb[key_index[_key(case)]]))
    return rows


def _key(case: AroCase) -> ImageKey:
    return (case.image, case.bbox)


def run_aro(session: ModelSession, task: Task) -> RunOutcome:
    scorer = session.image_text_scorer  # a text-only model stops here with TaskNotSupported
    started = datetime.now(UTC)
    phases: dict[str, float] = {"load_model": getattr(scorer, "load_seconds", 0.0)}
    entry = task.info
    t0 = time.perf_counter()
    data = load_aro(entry, task.folder, task.id)
    check_counts(task, data.counts)
    phases["load_data"] = time.perf_counter() - t0
    cases = data.cases
    log.info("%s: %d cases, %d images", task.id, len(cases), data.counts["images"])

    t0 = time.perf_counter()
    captions = sorted({caption for case in cases for caption in case.captions})
    text_emb = scorer.encode_texts(captions, desc=f"{task.id} captions")
    text_index = {caption: i for i, caption in enumerate(captions)}
    phases["encode_captions"] = time.perf_counter() - t0

    load = image_loader(data.image_root)
    t0 = time.perf_counter()
    keys = sorted({_key(case) for case in cases}, key=lambda k: (k[0], k[1] or ()))
    image_emb = scorer.encode_images(keys, load, desc=f"{task.id} images")
    phases["encode_images"] = time.perf_counter() - t0
    scale = float(scorer.logit_scale)
    scores = case_scores(cases, keys, image_emb, text_index, text_emb, scale)

    whole_scores = None
    full_keys: list[ImageKey] = []
    if entry.kind != "order":
        t0 = time.perf_counter()
        full_keys = sorted({(case.image, None) for case in cases})
        full_emb = scorer.encode_images(full_keys, load, desc=f"{task.id} whole images")
        whole = [AroCase(c.id, c.image, None, c.captions, c.correct, c.group) for c in cases]
        whole_scores = case_scores(whole, full_keys, full_emb, text_index, text_emb, scale)
        phases["encode_whole_images"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    results = evaluate_aro(entry.kind, cases, scores, whole_scores)
    phases["evaluate"] = time.perf_counter() - t0
    finished = datetime.now(UTC)
    encoded_images = len(keys) + len(full_keys)
    described = scorer.describe()
    described["images_per_s"] = round(encoded_images / max(phases["encode_images"] + phases.get("encode_whole_images", 0.0), 1e-9), 2)
    manifest = build_manifest(
        session.config,
        described=described,
        data_sha256=data.sha256,
        data_files=data.files,
        phases=phases,
        started=started,
        finished=finished,
        counts={**data.counts, "captions": len(captions), "image_crops": len(keys), "whole_images": len(full_keys)},
    )
    non_finite = sum(int(np.size(row) - np.isfinite(row).sum()) for row in [*scores, *(whole_scores or [])])
    return RunOutcome(session.config.name, task.id, results, manifest, started, finished, task.metric_spec, non_finite_outputs=non_finite)
