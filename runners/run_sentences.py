"""The sentence-encoder runner: every benchmark whose capability is ``sentence_encoder`` (STS, Tatoeba, …).

One template for all of them (:class:`benchmarks.contract.SentenceBenchmark`): the benchmark
says which texts to embed (``texts``); each distinct text is encoded once, in first-seen order,
through the session's sentence encoder (no retriever is built); the benchmark scores the
embeddings (``evaluate``), and again for each Matryoshka size (:mod:`common.variants`) on
the first ``d`` coordinates of the same embeddings.

Prompt: these tasks are symmetric, so every text gets the same treatment: the config's
``query_prompt``, which is what MTEB does for models with query/passage prefixes (e5-style
models embed symmetric tasks as queries); for models without prompts it is "".

The model's own pairwise similarity that STS correlates (:func:`mteb_pairwise_similarity`,
torch in MTEB's float32 order) is computed here and handed to ``evaluate`` inside the
predictions, since benchmarks do not import torch.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np

from benchmarks.contract import BatchOrder, SentenceBenchmark, SentenceEmbeddings, Task
from benchmarks.registry import get_benchmark
from common import rankings
from common.variants import variant_dims, variant_name
from runners.manifest import build_manifest, precision_record
from runners.outcome import RunOutcome
from runners.protocols import BatchOrdered, MeasuredPasses, SentenceEncoder
from runners.session import ModelSession

log = logging.getLogger(__name__)


def encode_unique(encoder: SentenceEncoder, texts: Sequence[str], prompt: str, desc: str) -> tuple[np.ndarray, dict[str, int]]:
    """Embeddings of the distinct texts (first-seen order) and text -> row; no text is encoded twice."""
    matrix, row, _ = encode_unique_pass(encoder, texts, prompt, desc)
    return matrix, row


def encode_unique_pass(encoder: SentenceEncoder, texts: Sequence[str], prompt: str, desc: str) -> tuple[np.ndarray, dict[str, int], dict]:
    """:func:`encode_unique`, and the pass's record (docs/s, tokens/s, peak memory) where the encoder measures one."""
    unique = list(dict.fromkeys(texts))
    rows = {text: row for row, text in enumerate(unique)}
    if not isinstance(encoder, MeasuredPasses):  # a stand-in need not measure its pass
        return encoder.encode(unique, prompt, desc), rows, {}
    embeddings, stats = encoder.encode_pass(unique, prompt, desc)
    return embeddings, rows, stats.summary()


def in_batch_order(encoder: SentenceEncoder, order: BatchOrder) -> SentenceEncoder:
    """``encoder`` batching in the benchmark's ``order``; a stand-in that has no batches is used as it is."""
    return encoder.ordered_by(order) if isinstance(encoder, BatchOrdered) else encoder


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


def run_sentences(session: ModelSession, task: Task) -> RunOutcome:
    benchmark: SentenceBenchmark = get_benchmark(task.benchmark)  # type: ignore[assignment]  # capability sentence_encoder
    started = datetime.now(UTC)
    # BM25 & co. stop here with TaskNotSupported, before the data is read
    encoder = in_batch_order(session.sentence_encoder, benchmark.batch_order)
    phases: dict[str, float] = dict(session.take_load_time())
    config = session.config

    t0 = time.perf_counter()
    loaded = benchmark.load(task)  # parsed, hashed, counts checked
    data = loaded.data
    phases["load_data"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    texts = benchmark.texts(task, data)
    matrix, row, encode_pass = encode_unique_pass(encoder, texts, config.query_prompt, f"encoding {task.id}")
    phases["encode"] = time.perf_counter() - t0
    log.info("%s: %s, %d distinct sentences", task.id, ", ".join(f"{n:,} {what}" for what, n in loaded.counts.items()), len(row))

    t0 = time.perf_counter()
    embeddings = SentenceEmbeddings(matrix, row, encoder.similarity, mteb_pairwise_similarity)
    evaluation = benchmark.evaluate(task, data, embeddings)
    dims = variant_dims(config.dims, int(matrix.shape[1]), config.name)
    variants = {variant_name(dim): benchmark.evaluate(task, data, embeddings.truncated(dim)).scores for dim in dims}
    phases["evaluate"] = time.perf_counter() - t0
    non_finite = int(matrix.size - np.isfinite(matrix).sum())

    # precision variants (``precisions:``): each its own encoding pass, its sizes from that pass
    precision_variants: dict[str, dict] = {}
    for precision in config.precisions or []:
        t0 = time.perf_counter()
        precise = in_batch_order(session.sentence_encoder_at(precision), benchmark.batch_order)
        at_matrix, at_row, at_pass = encode_unique_pass(precise, texts, config.query_prompt, f"encoding {task.id} ({precision})")
        at = SentenceEmbeddings(at_matrix, at_row, precise.similarity, mteb_pairwise_similarity)
        variants[variant_name(precision=precision)] = benchmark.evaluate(task, data, at).scores
        for dim in dims:
            variants[variant_name(dim, precision=precision)] = benchmark.evaluate(task, data, at.truncated(dim)).scores
        phases[f"encode_evaluate_{precision}"] = time.perf_counter() - t0
        non_finite += int(at_matrix.size - np.isfinite(at_matrix).sum())
        precision_variants[precision] = precision_record(
            precise.numerics(),
            {  # type: ignore[attr-defined]
                "encode_pass": at_pass,
                "matryoshka_dims": dims,
            },
        )

    # ranked lists the benchmark keeps with the run (Tatoeba: each sentence's neighbour), as configured only
    artifacts = {kind: rankings.encode(kind, ranked) for kind, ranked in evaluation.rankings.items()}  # type: ignore[arg-type]
    finished = datetime.now(UTC)
    manifest = build_manifest(
        config,
        described={**encoder.describe(), "embedding_dim": int(matrix.shape[1])},
        data_sha256=loaded.sha256,
        data_files=loaded.files,
        phases=phases,
        started=started,
        finished=finished,
        counts={**loaded.counts, "sentences_encoded": len(row)},
        extra={
            "prompt": {"both_sides": config.query_prompt},
            **benchmark.run_notes(task, data),
            "sentences_per_s": round(len(row) / max(phases["encode"], 1e-9), 1),
            "matryoshka_dims": dims,
            **({"artifacts": {kind: a.manifest_entry() for kind, a in artifacts.items()}} if artifacts else {}),
            **({"encode_pass": encode_pass} if encode_pass else {}),
            **({"precision_variants": precision_variants} if precision_variants else {}),
        },
    )
    return RunOutcome(
        config.name,
        task.id,
        evaluation.scores,
        manifest,
        started,
        finished,
        {**task.metric_spec, **evaluation.spec},
        variant_scores=variants,
        non_finite_outputs=non_finite,
        item_data=evaluation.item_data,
        artifacts=artifacts,
    )
