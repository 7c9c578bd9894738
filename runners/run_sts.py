"""STS: encode every distinct sentence once, score the pairs as MTEB does.

Prompt: STS is symmetric, so both sides get the same text treatment.  We use the config's
``query_prompt`` for both, which is what MTEB does for models with query/passage prefixes
(e5-style models embed symmetric tasks as queries); for models without prompts it is "".
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np

from benchmarks.contract import Task
from benchmarks.metrics.retrieval import MetricResult
from benchmarks.metrics.sts import evaluate_sts
from benchmarks.sts.benchmark import BENCHMARK
from benchmarks.sts.catalog import STS_MAX_SCORE, STS_MIN_SCORE
from common.errors import UserError
from runners.execute import RunOutcome, build_manifest
from runners.session import ModelSession

log = logging.getLogger(__name__)


def sentence_encoder(session: ModelSession, phases: dict[str, float]):
    """The session's text encoder (``TaskNotSupported`` for BM25 & co.) and its manifest description.

    The model load time is recorded only by the task during which the model was loaded.
    """
    loaded_before = "retriever" in vars(session) or "text_encoder" in vars(session)
    start = time.perf_counter()
    encoder = session.text_encoder
    if not loaded_before:
        phases["load_model"] = time.perf_counter() - start
    retriever = vars(session).get("retriever")
    described = dict(retriever.describe()) if retriever is not None and hasattr(retriever, "describe") else {}
    for key in ("search", "corpus_docs_per_s", "embedding_dim"):  # BEIR retrieval counters, not ours
        described.pop(key, None)
    return encoder, described


def encode_unique(encoder, texts: Sequence[str], prompt: str, desc: str) -> tuple[np.ndarray, dict[str, int]]:
    """Embeddings of the distinct texts (first-seen order) and text -> row; no sentence is encoded twice."""
    unique = list(dict.fromkeys(texts))
    embeddings = encoder.encode(unique, prompt, desc)
    return embeddings, {text: row for row, text in enumerate(unique)}


def matryoshka_dims(dims: list[int] | None, size: int, model: str) -> list[int]:
    """The truncated sizes to score as variants ("dim=64"), checked against the embedding size."""
    for dim in dims or []:
        if dim > size:
            raise UserError(f"model {model}: dims lists {dim}, but the model's embeddings have {size} dimensions")
    return [dim for dim in dims or [] if dim != size]


def mteb_pairwise_similarity(embeddings1: np.ndarray, embeddings2: np.ndarray, similarity: str) -> np.ndarray:
    """The model's own similarity per pair, computed as MTEB's ``similarity_pairwise`` does.

    torch, float32: ``normalize(p=2, dim=1)`` for cosine, then ``(a * b).sum(-1)``.  Same values
    as :func:`benchmarks.metrics.sts.model_similarity` up to the order of float32 additions,
    which is enough to move a Spearman by 1e-6; the runner has torch loaded anyway.
    """
    import torch

    a = torch.from_numpy(np.ascontiguousarray(embeddings1, dtype=np.float32))
    b = torch.from_numpy(np.ascontiguousarray(embeddings2, dtype=np.float32))
    if similarity == "cosine":
        a = torch.nn.functional.normalize(a, p=2, dim=1)
        b = torch.nn.functional.normalize(b, p=2, dim=1)
    return (a * b).sum(dim=-1).numpy()


def run_sts(session: ModelSession, task: Task) -> RunOutcome:
    started = datetime.now(UTC)
    phases: dict[str, float] = {}
    encoder, described = sentence_encoder(session, phases)
    config = session.config

    t0 = time.perf_counter()
    loaded = BENCHMARK.load(task)  # parsed, hashed, counts checked
    data = loaded.data
    phases["load_data"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    texts = [pair.sentence1 for pair in data.pairs] + [pair.sentence2 for pair in data.pairs]
    embeddings, row = encode_unique(encoder, texts, config.query_prompt, f"encoding {task.id}")
    phases["encode"] = time.perf_counter() - t0
    log.info("%s: %d pairs, %d distinct sentences", task.id, len(data.pairs), len(row))

    t0 = time.perf_counter()
    left = np.array([row[pair.sentence1] for pair in data.pairs])
    right = np.array([row[pair.sentence2] for pair in data.pairs])
    gold = [pair.score for pair in data.pairs]
    ids = [pair.id for pair in data.pairs]

    def score(matrix: np.ndarray) -> dict[str, MetricResult]:
        first, second = matrix[left], matrix[right]
        return evaluate_sts(
            first,
            second,
            gold,
            ids,
            similarity=config.similarity,
            min_score=STS_MIN_SCORE,
            max_score=STS_MAX_SCORE,
            own_similarity=mteb_pairwise_similarity(first, second, config.similarity),
        )

    scores = score(embeddings)
    dims = matryoshka_dims(config.dims, embeddings.shape[1], config.name)
    variants = {f"dim={dim}": score(embeddings[:, :dim]) for dim in dims}
    phases["evaluate"] = time.perf_counter() - t0

    finished = datetime.now(UTC)
    manifest = build_manifest(
        config,
        described={**described, "embedding_dim": int(embeddings.shape[1])},
        data_sha256=data.sha256,
        data_files=loaded.files,
        phases=phases,
        started=started,
        finished=finished,
        counts={"pairs": len(data.pairs), "sentences_encoded": len(row)},
        extra={
            "prompt": {"both_sides": config.query_prompt},
            "sentences_per_s": round(len(row) / max(phases["encode"], 1e-9), 1),
            "matryoshka_dims": dims,
        },
    )
    spec = {**task.metric_spec, "subsets": data.subsets or task.metric_spec.get("subsets", [])}
    non_finite = int(embeddings.size - np.isfinite(embeddings).sum())
    return RunOutcome(
        config.name, task.id, scores, manifest, started, finished, spec, variant_scores=variants, non_finite_outputs=non_finite
    )
