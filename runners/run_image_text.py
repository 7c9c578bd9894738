"""The image-text runner: every benchmark whose capability is ``image_text_scorer`` (ARO).

Score every (image, caption option) pair of each test case in each of the benchmark's views
(:meth:`benchmarks.contract.ImageTextBenchmark.views`), then let the benchmark evaluate them.
Each distinct image (crop) and each distinct caption *token sequence* is embedded once; a
case's option scores are the cosines between its image and its options, each distinct
(image, token sequence) pair computed once, so options that tokenise alike tie exactly, as in
ARO (see :mod:`runners.clip`).  Scores are plain cosines, as ARO's
``get_retrieval_scores_batched`` computes them: multiplying by the logit scale is monotone, but
in floating point it can merge two cosines one unit in the last place apart into a tie, and
ties decide items here.

ARO's views: for the VG sets the whole images are embedded too (a few thousand): ARO's paper
scores the bounding-box crops, while MTEB's copy of these sets holds whole images, so
``text_acc`` uses those (and ``text_acc_cropped`` gives MTEB's rule on ARO's crops).

With ``aro_fp16: true`` the same cases are scored a second time with ARO's own GPU arithmetic
(:func:`aro_fp16_scores`) and stored as the score variant :data:`ARO_FP16_VARIANT`; the
float32 scores stay the run's main scores.
"""

from __future__ import annotations

import functools
import itertools
import logging
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from benchmarks.aro.loader import AroCase
from benchmarks.contract import SHOWN, WHOLE, CaptionScores, ImageKey, ImageTextBenchmark, Task
from benchmarks.registry import get_benchmark
from common.errors import UserError
from runners.manifest import build_manifest
from runners.outcome import RunOutcome
from runners.session import ModelSession

log = logging.getLogger(__name__)

ARO_FP16_VARIANT = "fp16-aro"  # the score variant of ARO's float16 arithmetic (config aro_fp16)
# main_aro.py's --batch-size default: the test cases per np.einsum call.  Each score's value does not
# depend on it (tests/unit/test_aro_metrics.py checks that batches of 1, 7, 16 and 32 give the same bits).
ARO_SCORE_BATCH = 32


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


def caption_rows(token_ids: Sequence[tuple[int, ...]], captions: Sequence[str]) -> tuple[list[tuple[int, ...]], dict[str, int]]:
    """The distinct token sequences to embed, and each caption's row among them."""
    distinct = sorted(set(token_ids))
    row = {ids: i for i, ids in enumerate(distinct)}
    return distinct, {caption: row[ids] for caption, ids in zip(captions, token_ids, strict=True)}


def cosine_scores(
    cases: Sequence[AroCase],
    image_row: Mapping[ImageKey, int],
    text_row: Mapping[str, int],
    image_emb: np.ndarray,
    text_emb: np.ndarray,
    *,
    whole_image: bool = False,
) -> list[np.ndarray]:
    """One row of option cosines per case (unit float32 embeddings), in the case's caption order.

    Each distinct text row is scored once per case, so token-identical options get the same value.
    """
    out = []
    for case in cases:
        rows = [text_row[caption] for caption in case.captions]
        distinct = sorted(set(rows))
        values = text_emb[distinct] @ image_emb[image_row[_key(case, whole_image)]]
        value_of = dict(zip(distinct, values, strict=True))
        out.append(np.array([value_of[r] for r in rows], dtype=values.dtype))
    return out


def aro_fp16_scores(
    cases: Sequence[AroCase],
    image_row: Mapping[ImageKey, int],
    text_row: Mapping[str, int],
    image_features: np.ndarray,
    text_features: np.ndarray,
    *,
    whole_image: bool = False,
    batch: int = ARO_SCORE_BATCH,
) -> list[np.ndarray]:
    """ARO's ``get_retrieval_scores_batched`` arithmetic on float16 features.

    ARO (``model_zoo/clip_models.py``) takes the float16 outputs of ``encode_image`` /
    ``encode_text`` to numpy and does, per batch of test cases::

        emb = emb / np.linalg.norm(emb, axis=1, keepdims=True)        # float16
        np.einsum("nkd,nld->nkl", image_options, caption_options)      # float16, B x 1 x L

    Both are row-wise, so normalising every distinct embedding once gives the same bits as
    normalising per batch; the einsum runs on arrays of ARO's shapes, consecutive cases with the
    same number of options.  Scores stay float16, where ties are common: that is the point.
    """
    if image_features.dtype != np.float16 or text_features.dtype != np.float16:
        raise ValueError(f"ARO's arithmetic is float16; got {image_features.dtype} images, {text_features.dtype} captions")
    images = image_features / np.linalg.norm(image_features, axis=1, keepdims=True)
    texts = text_features / np.linalg.norm(text_features, axis=1, keepdims=True)
    out: list[np.ndarray] = []
    for start in range(0, len(cases), batch):
        for _size, group in itertools.groupby(cases[start : start + batch], key=lambda case: len(case.captions)):
            part = list(group)
            image_options = images[[image_row[_key(case, whole_image)] for case in part]][:, None, :]  # B x 1 x D
            caption_options = texts[[[text_row[caption] for caption in case.captions] for case in part]]  # B x L x D
            scores = np.einsum("nkd,nld->nkl", image_options, caption_options)  # B x 1 x L
            out.extend(scores[:, 0, :])
    return out


def _key(case: AroCase, whole_image: bool = False) -> ImageKey:
    return (WHOLE if whole_image else SHOWN).key(case)


def image_keys(cases: Sequence[AroCase], views) -> tuple[list[ImageKey], dict[str, int]]:
    """The distinct images to embed, view after view (each view's sorted by path, then crop box), and how many per view."""
    keys: list[ImageKey] = []
    per_view: dict[str, int] = {}
    for view in views:
        seen = set(keys)
        new = sorted({view.key(case) for case in cases} - seen, key=lambda k: (k[0], k[1] or ()))
        keys.extend(new)
        per_view[view.name] = len(new)
    return keys, per_view


def run_image_text(session: ModelSession, task: Task) -> RunOutcome:
    scorer = session.image_text_scorer  # a text-only model stops here with TaskNotSupported
    benchmark: ImageTextBenchmark = get_benchmark(task.benchmark)  # type: ignore[assignment]  # capability image_text_scorer
    config = session.config
    started = datetime.now(UTC)
    phases: dict[str, float] = dict(session.take_load_time())
    t0 = time.perf_counter()
    loaded = benchmark.load(task)  # parsed, hashed, counts checked
    data = loaded.data
    phases["load_data"] = time.perf_counter() - t0
    cases = data.cases
    views = benchmark.views(task)
    log.info("%s: %d cases, %d images", task.id, len(cases), loaded.counts.get("images", 0))

    t0 = time.perf_counter()
    captions = sorted({caption for case in cases for caption in case.captions})
    sequences, text_row = caption_rows(scorer.token_ids(captions), captions)
    text_emb = scorer.encode_token_ids(sequences, desc=f"{task.id} captions")
    phases["encode_captions"] = time.perf_counter() - t0

    load = image_loader(data.image_root)
    t0 = time.perf_counter()
    keys, per_view = image_keys(cases, views)
    image_row = {key: i for i, key in enumerate(keys)}
    image_emb = scorer.encode_images(keys, load, desc=f"{task.id} images")
    phases["encode_images"] = time.perf_counter() - t0

    by_view = {view.name: cosine_scores(cases, image_row, text_row, image_emb, text_emb, whole_image=view.whole_image) for view in views}
    t0 = time.perf_counter()
    results = benchmark.evaluate(task, data, CaptionScores.of_views(by_view)).scores
    phases["evaluate"] = time.perf_counter() - t0

    variant_scores = {}
    if config.aro_fp16:
        t0 = time.perf_counter()
        text16 = scorer.encode_token_ids(sequences, desc=f"{task.id} captions (fp16)", aro_fp16=True)
        image16 = scorer.encode_images(keys, load, desc=f"{task.id} images (fp16)", aro_fp16=True)
        by_view16 = {
            view.name: aro_fp16_scores(cases, image_row, text_row, image16, text16, whole_image=view.whole_image) for view in views
        }
        variant_scores[ARO_FP16_VARIANT] = benchmark.evaluate(task, data, CaptionScores.of_views(by_view16)).scores
        phases["aro_fp16"] = time.perf_counter() - t0

    finished = datetime.now(UTC)
    described = scorer.describe()
    described["images_per_s"] = round(len(image_row) / max(phases["encode_images"], 1e-9), 2)
    extra: dict = {}
    if data.provenance is not None:  # the order sets: how their frozen options were made
        extra["order_options"] = data.provenance
    if variant_scores:
        extra["variants"] = {
            ARO_FP16_VARIANT: "ARO's float16 arithmetic (config aro_fp16): float16 towers, numpy float16 normalisation and products"
        }
    manifest = build_manifest(
        config,
        described=described,
        data_sha256=loaded.sha256,
        data_files=loaded.files,
        phases=phases,
        started=started,
        finished=finished,
        counts={
            **loaded.counts,
            "captions": len(captions),
            "caption_token_sequences": len(sequences),
            "image_crops": per_view.get(SHOWN.name, 0),
            "whole_images": per_view.get(WHOLE.name, 0),
        },
        extra=extra,
    )
    non_finite = sum(int(np.size(row) - np.isfinite(row).sum()) for rows in by_view.values() for row in rows)
    return RunOutcome(
        config.name, task.id, results, manifest, started, finished, task.metric_spec, variant_scores, non_finite_outputs=non_finite
    )
