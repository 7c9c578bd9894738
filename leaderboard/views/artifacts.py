"""A run's stored ranked lists (``run_artifacts``, ``common/rankings.py``) read back: metadata, decoded rankings, TREC lines.

``leaderboard export-run``, the API's ``/runs/<id>/run.trec`` and ``/runs/<id>/ranking``, the
run page, the explorer and the fusion backend's inputs all read rankings through here.
Decoded rankings are cached by content (sha256) in a bounded LRU: a ranking never changes once
stored, and one SciFact run decodes to ~2.4 MB of arrays.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from common import rankings
from common.errors import UserError
from common.lru import LRU
from leaderboard import schema

_DECODED = LRU(32)

# what a run stored before revision 0006 (2026-12-02) says instead of its ranking
NO_RANKING_NOTE = "no ranking stored: the run was stored before rankings were kept (schema revision 0006, 2026-12-02); rerun it to keep one"


@dataclass(frozen=True)
class ArtifactInfo:
    """One stored artifact without its bytes (the column is deferred)."""

    run_id: int
    kind: str
    format_version: int
    sha256: str
    size: int
    queries: int
    hits: int


def artifact_info(session: Session, run_id: int, kind: str = "ranking") -> ArtifactInfo | None:
    row = session.execute(
        select(
            schema.RunArtifact.run_id,
            schema.RunArtifact.kind,
            schema.RunArtifact.format_version,
            schema.RunArtifact.sha256,
            schema.RunArtifact.size,
            schema.RunArtifact.queries,
            schema.RunArtifact.hits,
        ).where(schema.RunArtifact.run_id == run_id, schema.RunArtifact.kind == kind)
    ).first()
    return ArtifactInfo(*row) if row is not None else None


def load_artifact(session: Session, run_id: int, kind: str = "ranking") -> rankings.Ranking | None:
    """The decoded artifact of the run (checked against its sha256), or None when the run has none."""
    info = artifact_info(session, run_id, kind)
    if info is None:
        return None
    cached = _DECODED.get(info.sha256)
    if cached is not None:
        return cached  # type: ignore[return-value]
    data = session.scalar(select(schema.RunArtifact.data).where(schema.RunArtifact.run_id == run_id, schema.RunArtifact.kind == kind))
    decoded = rankings.decode(bytes(data), sha256=info.sha256, what=f"the {kind} of run {run_id}")
    _DECODED.put(info.sha256, decoded)
    return decoded


@dataclass(frozen=True)
class RunHeader:
    id: int
    model: str
    task_id: str
    finished_at: datetime


def run_header(session: Session, run_id: int) -> RunHeader | None:
    row = session.execute(
        select(schema.Run.id, schema.Model.name, schema.Run.task_id, schema.Run.finished_at)
        .join(schema.Model, schema.Model.id == schema.Run.model_id)
        .where(schema.Run.id == run_id)
    ).first()
    return RunHeader(*row) if row is not None else None


def trec_tag(model: str, run_id: int) -> str:
    """The run tag of an exported TREC file: the model name and the run id (model names have no spaces)."""
    return f"{model}.run{run_id}"


def check_trec_ids(ranking: rankings.Ranking) -> None:
    """A query or doc id with white space cannot be written as a TREC line: a one-line error naming it (before any line)."""
    for what, ids in (("query", ranking.queries), ("doc", ranking.docs)):
        for name in ids:
            if not name or any(c.isspace() for c in name):
                raise UserError(f"{what} id {name!r} is empty or contains white space; it cannot be written as a TREC run line")


def trec_lines(ranking: rankings.Ranking, tag: str) -> Iterator[str]:
    """Standard TREC run lines ``qid Q0 docid rank score tag`` (ranks from 1), queries in id order.

    Scores are written with ``repr()``, the shortest text that parses back to the same double,
    so trec_eval (and pytrec_eval) rank the file exactly as the stored scores were ranked.
    Call :func:`check_trec_ids` first (a generator raises only when first read).
    """
    check_trec_ids(ranking)
    for query_id in ranking.queries:
        for rank, (doc_id, score) in enumerate(ranking.hits(query_id), start=1):
            yield f"{query_id} Q0 {doc_id} {rank} {score!r} {tag}\n"


def ranking_page(ranking: rankings.Ranking, *, limit: int, offset: int, depth: int | None = None) -> list[dict]:
    """Queries ``offset .. offset+limit`` (id order), each with its hits as ``{rank, doc_id, score}``."""
    return [
        {
            "query_id": query_id,
            "hits": [{"rank": r, "doc_id": d, "score": s} for r, (d, s) in enumerate(ranking.hits(query_id, depth), start=1)],
        }
        for query_id in ranking.queries[offset : offset + limit]
    ]


def storage_cost(session: Session) -> dict[str, float]:
    """Bytes the stored rankings take, in all and per 1,000 queries (what ``run_artifacts`` costs)."""
    rows = session.execute(select(schema.RunArtifact.size, schema.RunArtifact.queries).where(schema.RunArtifact.kind == "ranking")).all()
    size, queries = sum(r[0] for r in rows), sum(r[1] for r in rows)
    return {"runs": len(rows), "bytes": size, "queries": queries, "bytes_per_1000_queries": 1000 * size / queries if queries else 0.0}
