"""Fusion as a model (``backend: fusion``): a ranking computed from other models' stored rankings, nothing encoded.

Pure: the leaderboard service loads the source runs' rankings from the database
(``leaderboard/fusion_sources.py``; runners never import it) and hands them to
:class:`FusionRetriever`, which implements the :class:`~runners.protocols.Retriever` protocol, so
the fused run is evaluated, stored, graded and ranked exactly like any retrieval run.

Definitions (``submissions.schema.FusionSettings``):

- **RRF** (Cormack, Clarke & Büttcher, SIGIR 2009; Pyserini's ``pyserini.fusion``):
  ``score(d) = sum_i 1 / (k + rank_i(d))`` over the sources that rank ``d`` within their top
  ``depth``, ranks from 1 in the source's stored order (trec_eval order, identical ids already
  removed).  Summed in the config's source order.
- **interpolation**: ``score(d) = sum_i w_i * norm_i(d)`` with each source's scores normalised per
  query over its top ``depth``: ``minmax`` ``(s - min) / (max - min)`` (all 1.0 when max = min,
  as Pyserini's ``RescoreMethod.NORMALIZE``) or ``zscore`` ``(s - mean) / std`` (population std;
  all 0.0 when std = 0); a document a source does not rank adds 0.  Weights default to 1 each.

The fused list holds the union of the sources' top ``depth``; the runner cuts it to 1,000 in
trec_eval order (score descending, ties by doc id descending), like every other run.  Sources
already had identical ids removed, so fusion asks for no extra hit.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from benchmarks.metrics.retrieval import trec_eval_order
from common.errors import UserError
from runners.protocols import Corpus, RetrievalResult
from submissions.schema import FusionSettings, ModelConfig

Hits = Sequence[tuple[str, float]]  # one query's hits in rank order
Ranked = Mapping[str, Hits]  # query id -> hits


@dataclass(frozen=True)
class SourceRun:
    """One source model's stored run of a task, as the service loaded it."""

    model: str
    task_id: str
    run_id: int
    ranking_sha256: str
    data_sha256: str
    ranking: Ranked

    def manifest_entry(self) -> dict:
        return {"model": self.model, "run_id": self.run_id, "ranking_sha256": self.ranking_sha256, "data_sha256": self.data_sha256}


def rrf(sources: Sequence[Ranked], *, k: float, depth: int) -> dict[str, dict[str, float]]:
    """Reciprocal rank fusion of ``sources`` (see the module docstring)."""
    fused: dict[str, dict[str, float]] = {}
    for ranked in sources:
        for query_id, hits in ranked.items():
            scores = fused.setdefault(query_id, {})
            for rank, (doc, _) in enumerate(hits[:depth], start=1):
                scores[doc] = scores.get(doc, 0.0) + 1.0 / (k + rank)
    return fused


def _normalised(hits: Hits, how: str) -> list[tuple[str, float]]:
    values = np.array([score for _, score in hits], dtype=np.float64)
    if how == "minmax":
        low, high = values.min(), values.max()
        norm = np.ones_like(values) if high == low else (values - low) / (high - low)
    else:
        std = values.std()
        norm = np.zeros_like(values) if std == 0 else (values - values.mean()) / std
    return [(doc, float(value)) for (doc, _), value in zip(hits, norm, strict=True)]


def interpolate(sources: Sequence[Ranked], *, weights: Sequence[float], normalization: str, depth: int) -> dict[str, dict[str, float]]:
    """Weighted sum of per-query normalised scores (see the module docstring)."""
    fused: dict[str, dict[str, float]] = {}
    for ranked, weight in zip(sources, weights, strict=True):
        for query_id, hits in ranked.items():
            scores = fused.setdefault(query_id, {})
            if not hits[:depth]:
                continue
            for doc, value in _normalised(hits[:depth], normalization):
                scores[doc] = scores.get(doc, 0.0) + weight * value
    return fused


def fuse(settings: FusionSettings, sources: Sequence[Ranked]) -> dict[str, dict[str, float]]:
    if settings.method == "rrf":
        return rrf(sources, k=settings.k, depth=settings.depth)
    weights = settings.weights or [1.0] * len(sources)
    return interpolate(sources, weights=weights, normalization=settings.normalization, depth=settings.depth)


def make_command(model: str, task_id: str) -> str:
    return f"leaderboard run {model} --tasks {task_id}"


class FusionRetriever:
    """The retriever of a fusion config over the source runs the service loaded (any number of tasks).

    ``retrieve`` picks the source runs made on the data it is given (by the data's sha256), so a
    source run on another version of the data is never fused: it is a one-line error naming the
    command that makes a current one.
    """

    extra_hit_for_identical_ids = False  # the sources' stored rankings have identical ids removed already

    def __init__(self, config: ModelConfig, sources: Sequence[SourceRun]) -> None:
        if config.fusion is None:
            raise UserError(f"{config.name}: backend fusion needs a 'fusion:' section")
        self.config = config
        self.settings = config.fusion
        self.sources = list(sources)

    def _sources_for(self, corpus_sha256: str) -> list[SourceRun]:
        chosen = []
        for model in self.settings.runs:
            mine = [s for s in self.sources if s.model == model]
            match = next((s for s in mine if s.data_sha256 == corpus_sha256), None)
            if match is None:
                if mine:
                    raise UserError(
                        f"{mine[0].task_id}: the stored run {mine[0].run_id} of {model} was made on other data "
                        f"(sha256 {mine[0].data_sha256[:12]}…, here {corpus_sha256[:12]}…); "
                        f"rerun it: {make_command(model, mine[0].task_id)}"
                    )
                raise UserError(f"no stored run of {model} on this task to fuse; make it with '{make_command(model, '<task>')}'")
            chosen.append(match)
        return chosen

    def retrieve(self, corpus: Corpus, queries: Mapping[str, str], k: int, corpus_sha256: str) -> RetrievalResult:
        t0 = time.perf_counter()
        chosen = self._sources_for(corpus_sha256)
        fused = fuse(self.settings, [source.ranking for source in chosen])
        run = {query_id: dict(trec_eval_order(fused.get(query_id, {}))[:k]) for query_id in queries}
        counters = {"fusion": {**self.describe()["fusion"], "sources": [source.manifest_entry() for source in chosen]}}
        return RetrievalResult(run, phase_times={"fuse": time.perf_counter() - t0}, counters=counters)

    def describe(self) -> dict:
        settings = self.settings
        described: dict = {"method": settings.method, "depth": settings.depth, "runs": list(settings.runs)}
        if settings.method == "rrf":
            described["k"] = settings.k
        else:
            described["weights"] = list(settings.weights or [1.0] * len(settings.runs))
            described["normalization"] = settings.normalization
        return {"fusion": described}
