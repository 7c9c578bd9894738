"""The one codec for a run's ranked lists (the ``run_artifacts`` rows): BEIR rankings and Tatoeba neighbours.

Runners encode (and put the sha256 in the run manifest), ``leaderboard/`` stores and decodes,
the site serves; all of them call this module, so the format is defined once.  It lives in
``common/`` because every layer reads it and none owns it.

What is kept, per query, is exactly what the metrics used: for a ranking (kind ``ranking``)
the hits after identical-id removal, cut to depth 1,000, in trec_eval order (score descending,
ties by doc id descending); for Tatoeba (kind ``neighbours``) each query sentence's single
nearest line.  Exporting it as a TREC run and running pytrec_eval on it gives every stored
score back exactly.

Format version 1 (``FORMAT_VERSION``), written as ``zlib(payload)`` where ``payload`` is

1. one line of ASCII JSON (``sort_keys``, no spaces): ``{"format": "leaderboard-ranking",
   "version": 1, "kind": …, "score_dtype": "float32"|"float64", "queries": [query ids, sorted],
   "docs": [the sorted vocabulary of every doc id that occurs]}`` and ``\\n``;
2. ``uint32`` little-endian hit counts, one per query (in the header's query order);
3. ``uint32`` little-endian indices into ``docs``, every query's hits in rank order;
4. the scores in the same order, ``float32`` when every score is exactly a float32 (the dense,
   SPLADE and bm25s backends score in float32; the bytes halve), else ``float64`` (Lucene's
   scores arrive as Python floats); little-endian.

Why hand-written rather than parquet/npz: the bytes must be deterministic so the sha256 is
content-addressed, and neither of those guarantees that across library versions.  The sha256
is taken over the uncompressed payload, so a ranking has one hash whatever zlib compressed it;
:func:`decode` checks it when given.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from common.errors import UserError

FORMAT = "leaderboard-ranking"
FORMAT_VERSION = 1
Kind = Literal["ranking", "neighbours"]
KINDS: tuple[Kind, ...] = ("ranking", "neighbours")
_LE_U32 = np.dtype("<u4")
_DTYPES = {"float32": np.dtype("<f4"), "float64": np.dtype("<f8")}


@dataclass(frozen=True)
class Encoded:
    """The stored bytes of one artifact and what the manifest says about it."""

    kind: Kind
    data: bytes  # zlib-compressed payload: what the database holds
    sha256: str  # of the uncompressed payload (content address)
    version: int
    queries: int
    hits: int

    def manifest_entry(self) -> dict:
        return {"sha256": self.sha256, "format_version": self.version, "bytes": len(self.data), "queries": self.queries, "hits": self.hits}


@dataclass(frozen=True)
class Ranking:
    """A decoded artifact: per query (sorted ids) its hits in rank order, as flat arrays (cheap to page)."""

    kind: Kind
    queries: tuple[str, ...]
    docs: tuple[str, ...]
    offsets: np.ndarray  # int64, len(queries) + 1: query i's hits are [offsets[i], offsets[i+1])
    doc_index: np.ndarray  # uint32 into docs
    scores: np.ndarray  # float32 or float64

    def __len__(self) -> int:
        return len(self.queries)

    def position(self, query_id: str) -> int | None:
        i = int(np.searchsorted(np.asarray(self.queries, dtype=object), query_id)) if self.queries else 0
        return i if i < len(self.queries) and self.queries[i] == query_id else None

    def hits(self, query_id: str, limit: int | None = None) -> list[tuple[str, float]]:
        """``[(doc id, score)]`` in rank order (empty for a query not in the artifact); scores as Python floats, exact."""
        i = self.position(query_id)
        if i is None:
            return []
        start, end = int(self.offsets[i]), int(self.offsets[i + 1])
        if limit is not None:
            end = min(end, start + limit)
        return [(self.docs[int(d)], float(s)) for d, s in zip(self.doc_index[start:end], self.scores[start:end], strict=True)]

    def items(self) -> Iterator[tuple[str, list[tuple[str, float]]]]:
        for query_id in self.queries:
            yield query_id, self.hits(query_id)

    def as_run(self) -> dict[str, dict[str, float]]:
        """query id -> {doc id: score}, in rank order (the shape the metrics and the fusion take)."""
        return {query_id: dict(hits) for query_id, hits in self.items()}

    @property
    def total_hits(self) -> int:
        return int(self.offsets[-1])


def _payload(kind: Kind, ranked: Mapping[str, Sequence[tuple[str, float]]]) -> tuple[bytes, int, int]:
    queries = sorted(str(q) for q in ranked)
    vocabulary = sorted({str(doc) for hits in ranked.values() for doc, _ in hits})
    index = {doc: i for i, doc in enumerate(vocabulary)}
    counts = np.fromiter((len(ranked[q]) for q in queries), dtype=_LE_U32, count=len(queries))
    total = int(counts.sum()) if len(counts) else 0
    doc_index = np.fromiter((index[str(doc)] for q in queries for doc, _ in ranked[q]), dtype=_LE_U32, count=total)
    scores = np.fromiter((float(score) for q in queries for _, score in ranked[q]), dtype=np.float64, count=total)
    as32 = scores.astype(np.float32)
    dtype = "float32" if np.array_equal(as32.astype(np.float64), scores) else "float64"  # NaN is never equal: float64
    header = {"format": FORMAT, "version": FORMAT_VERSION, "kind": kind, "score_dtype": dtype, "queries": queries, "docs": vocabulary}
    head = json.dumps(header, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii") + b"\n"
    body = counts.tobytes() + doc_index.tobytes() + scores.astype(_DTYPES[dtype]).tobytes()
    return head + body, len(queries), total


def encode(kind: Kind, ranked: Mapping[str, Sequence[tuple[str, float]]]) -> Encoded:
    """Encode ``query id -> [(doc id, score)]`` (each list already in rank order; kept as given)."""
    if kind not in KINDS:
        raise ValueError(f"unknown artifact kind {kind!r}")
    payload, queries, hits = _payload(kind, ranked)
    return Encoded(kind, zlib.compress(payload, 6), hashlib.sha256(payload).hexdigest(), FORMAT_VERSION, queries, hits)


def decode(data: bytes, *, sha256: str | None = None, what: str = "the stored ranking") -> Ranking:
    """The artifact in ``data``; a corrupt one, an unknown version or a sha256 mismatch is a one-line ``UserError``."""
    try:
        payload = zlib.decompress(data)
        head, _, body = payload.partition(b"\n")
        header = json.loads(head)
    except (zlib.error, ValueError) as err:
        raise UserError(f"{what} is not a readable ranking artifact ({err})") from err
    if sha256 is not None and hashlib.sha256(payload).hexdigest() != sha256:
        raise UserError(f"{what} does not match its sha256 {sha256[:12]}…; the stored bytes are damaged")
    if header.get("format") != FORMAT or header.get("version") != FORMAT_VERSION:
        raise UserError(
            f"{what} has format {header.get('format')!r} version {header.get('version')!r}; this code reads version {FORMAT_VERSION}"
        )
    queries, docs, dtype = tuple(header["queries"]), tuple(header["docs"]), _DTYPES[header["score_dtype"]]
    n = len(queries)
    counts = np.frombuffer(body, dtype=_LE_U32, count=n)
    total = int(counts.sum()) if n else 0
    expected = 4 * n + 4 * total + dtype.itemsize * total
    if len(body) != expected:
        raise UserError(f"{what} holds {len(body)} bytes of hits where its header announces {expected}")
    doc_index = np.frombuffer(body, dtype=_LE_U32, count=total, offset=4 * n)
    scores = np.frombuffer(body, dtype=dtype, count=total, offset=4 * n + 4 * total)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    return Ranking(header["kind"], queries, docs, offsets, doc_index, scores)
