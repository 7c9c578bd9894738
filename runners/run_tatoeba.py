"""Tatoeba: encode a pair's distinct sentences once, search xxx -> eng, score as MTEB.

Both sides are encoded with the config's ``query_prompt`` (MTEB encodes both sides of bitext
mining alike; see runners/run_sts.py for why query_prompt).
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

import numpy as np

from benchmarks.contract import Task
from benchmarks.metrics.bitext import evaluate_bitext, nearest_neighbours
from benchmarks.metrics.retrieval import MetricResult
from benchmarks.tatoeba.benchmark import BENCHMARK
from runners.execute import RunOutcome, build_manifest
from runners.run_sts import encode_unique, matryoshka_dims, sentence_encoder
from runners.session import ModelSession

log = logging.getLogger(__name__)


def run_tatoeba(session: ModelSession, task: Task) -> RunOutcome:
    started = datetime.now(UTC)
    phases: dict[str, float] = {}
    encoder, described = sentence_encoder(session, phases)
    config = session.config

    t0 = time.perf_counter()
    loaded = BENCHMARK.load(task)  # parsed, hashed, counts checked
    pair = loaded.data
    phases["load_data"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    embeddings, row = encode_unique(encoder, pair.sentences + pair.english, config.query_prompt, f"encoding {task.id}")
    phases["encode"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    queries = np.array([row[text] for text in pair.sentences])
    english = np.array([row[text] for text in pair.english])

    def score(matrix: np.ndarray) -> dict[str, MetricResult]:
        return evaluate_bitext(nearest_neighbours(matrix[queries], matrix[english], similarity=config.similarity))

    scores = score(embeddings)
    dims = matryoshka_dims(config.dims, embeddings.shape[1], config.name)
    variants = {f"dim={dim}": score(embeddings[:, :dim]) for dim in dims}
    phases["evaluate"] = time.perf_counter() - t0
    log.info("%s: %d pairs, %d distinct sentences", task.id, len(pair.sentences), len(row))

    finished = datetime.now(UTC)
    manifest = build_manifest(
        config,
        described={**described, "embedding_dim": int(embeddings.shape[1]), "search": "exact top-1, numpy float32"},
        data_sha256=pair.sha256,
        data_files=loaded.files,
        phases=phases,
        started=started,
        finished=finished,
        counts={"pairs": len(pair.sentences), "sentences_encoded": len(row)},
        extra={
            "prompt": {"both_sides": config.query_prompt},
            "direction": f"{pair.language} -> eng",
            "sentences_per_s": round(len(row) / max(phases["encode"], 1e-9), 1),
            "matryoshka_dims": dims,
        },
    )
    non_finite = int(embeddings.size - np.isfinite(embeddings).sum())
    return RunOutcome(
        config.name, task.id, scores, manifest, started, finished, task.metric_spec, variant_scores=variants, non_finite_outputs=non_finite
    )
