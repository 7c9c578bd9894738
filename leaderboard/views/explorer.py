"""The per-query explorer of a task: two models' current runs compared item by item (``/tasks/<id>/queries?a=&b=``).

:class:`ExplorerView` is built once per (task, a, b) and data version (the site caches it) from
the two runs' stored per-item values of the task's main score; a page of it (:meth:`page`:
sorted, filtered) is only formatted by the HTML page, the JSON API and the CSV download.  The
listing never touches texts or rankings, so it stays fast on 10,000 queries
(``perf/explorer.py``).  What one row means depends on the benchmark's capability:

- **retrieval** (BEIR): each judged query's main metric (nDCG@10) for a and b; Δ = a − b.
- **STS** (a correlation: per-pair values are predicted similarities, the gold is the run's item
  data): each pair's *rank displacement* |predicted rank − gold rank| (average ranks, as
  Spearman's) for a and b; lower is better, and Δ = b − a, so Δ > 0 still means a did better.
- **Tatoeba** (bitext): each sentence's F1 for a and b; Δ = a − b; the detail shows each model's
  nearest neighbour when the run stored it.

A row is an ``a`` win when Δ > 0, a ``b`` win when Δ < 0, a tie when Δ == 0 (exactly); ``zero``
lists the rows where either model scores 0 (a query with no relevant hit in the top 10; a
Tatoeba sentence whose nearest neighbour is wrong).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from sqlalchemy.orm import Session

from common.errors import UserError
from leaderboard.views.items import main_item_values
from leaderboard.views.labels import metric_label
from leaderboard.views.snapshot import ModelInfo, Snapshot, TaskInfo

Kind = Literal["retrieval", "sts", "bitext"]
SORTS = ("delta", "a", "b", "id")
SHOWS = ("all", "a", "b", "ties", "zero")  # zero: either model scores 0 (Tatoeba: a wrong neighbour)
MAX_PAGE = 1000


@dataclass(frozen=True)
class ExplorerRow:
    item_id: str
    a: float
    b: float
    delta: float

    @property
    def outcome(self) -> str:
        return "a" if self.delta > 0 else "b" if self.delta < 0 else "tie"


@dataclass(frozen=True)
class ExplorerPage:
    rows: list[ExplorerRow]
    total: int  # rows after the filter
    sort: str
    order: str
    show: str
    limit: int
    offset: int


@dataclass
class ExplorerView:
    """Every item of the task with both models' values; sorted orders computed on first use."""

    task: TaskInfo
    kind: Kind
    a: ModelInfo
    b: ModelInfo
    run_a: int
    run_b: int
    data_sha256: str
    metric: str
    value_label: str  # what a and b hold: "nDCG@10", "rank displacement", "F1"
    lower_is_better: bool
    ids: np.ndarray  # object (str), sorted
    values_a: np.ndarray
    values_b: np.ndarray
    delta: np.ndarray
    notes: list[str] = field(default_factory=list)
    _orders: dict = field(default_factory=dict, repr=False)

    @property
    def counts(self) -> dict[str, int]:
        d = self.delta
        counts = {"all": len(d), "a": int((d > 0).sum()), "b": int((d < 0).sum()), "ties": int((d == 0).sum())}
        return {**counts, "zero": int(self._zero().sum())}

    def _zero(self) -> np.ndarray:
        return (self.values_a == 0) | (self.values_b == 0) if not self.lower_is_better else np.zeros(len(self.ids), dtype=bool)

    def _order(self, sort: str, order: str) -> np.ndarray:
        key = (sort, order)
        if key not in self._orders:
            if sort == "id":
                base = np.arange(len(self.ids))  # ids are sorted already
            else:
                values = {"delta": self.delta, "a": self.values_a, "b": self.values_b}[sort]
                base = np.lexsort((np.arange(len(values)), values))  # stable: equal values keep id order
            self._orders[key] = base[::-1] if order == "desc" else base
        return self._orders[key]

    def page(self, *, sort: str = "delta", order: str = "desc", show: str = "all", limit: int = 50, offset: int = 0) -> ExplorerPage:
        """Rows ``offset .. offset+limit`` of the items matching ``show`` (all, a wins, b wins, ties), sorted."""
        if sort not in SORTS:
            raise UserError(f"sort={sort!r}: use one of {', '.join(SORTS)}")
        if show not in SHOWS:
            raise UserError(f"show={show!r}: use one of {', '.join(SHOWS)}")
        if order not in ("asc", "desc"):
            raise UserError(f"order={order!r}: use asc or desc")
        limit = max(1, min(int(limit), MAX_PAGE))
        offset = max(0, int(offset))
        chosen = self._order(sort, order)
        if show != "all":
            mask = {"a": self.delta > 0, "b": self.delta < 0, "ties": self.delta == 0, "zero": self._zero()}[show]
            chosen = chosen[mask[chosen]]
        part = chosen[offset : offset + limit]
        rows = [
            ExplorerRow(str(self.ids[i]), float(self.values_a[i]), float(self.values_b[i]), float(self.delta[i])) for i in part.tolist()
        ]
        return ExplorerPage(rows, len(chosen), sort, order, show, limit, offset)


def capability_kind(task: TaskInfo) -> Kind:
    """Which explorer the task gets, from its benchmark's declaration (never from the task id)."""
    from benchmarks.registry import find_benchmark

    benchmark = find_benchmark(task.benchmark)
    if benchmark is None:
        raise UserError(f"{task.id}: its benchmark {task.benchmark!r} is not registered here; the explorer cannot read it")
    if benchmark.capability == "retriever":
        return "retrieval"
    definition = benchmark.metrics.get(task.main_score)
    if definition is not None and definition.aggregation == "correlation":
        return "sts"
    if benchmark.capability == "sentence_encoder":
        return "bitext"
    raise UserError(f"{task.id}: the explorer does not cover {benchmark.name} tasks yet")


def rank_displacement(predicted: np.ndarray, gold: np.ndarray) -> np.ndarray:
    """|rank(predicted) − rank(gold)| per pair, average ranks for ties (the ranks Spearman's correlation compares)."""
    from scipy.stats import rankdata

    return np.abs(rankdata(predicted) - rankdata(gold))


def explorer_view(session: Session, snap: Snapshot, task: TaskInfo, a_name: str, b_name: str) -> ExplorerView:
    """The explorer of ``task`` for the published models ``a_name`` and ``b_name`` (one-line errors for the rest)."""
    kind = capability_kind(task)
    models = []
    for which, name in (("a", a_name), ("b", b_name)):
        info = snap.by_name.get(name or "")
        if info is None:
            raise UserError(f"{which}={name!r}: not a published model; give two model names with a result on {task.id}")
        cell = snap.cell(info.id, task.id)
        if cell is None:
            raise UserError(f"{which}={name!r}: {name} has no result on {task.id}")
        models.append((info, cell[1]))
    (a, run_a), (b, run_b) = models
    values = main_item_values(session, [run_a, run_b])
    va, vb = values.get(run_a), values.get(run_b)
    if va is None or vb is None:
        raise UserError(f"{task.id}: a run has no per-item values of {task.main_score}")
    ids = np.array(sorted(set(va.per_query) & set(vb.per_query)), dtype=object)
    notes = []
    if len(ids) < max(len(va.per_query), len(vb.per_query)):
        notes.append(f"{max(len(va.per_query), len(vb.per_query)) - len(ids):,} items are in one run only and are left out")
    A = np.fromiter((va.per_query[i] for i in ids), dtype=np.float64, count=len(ids))
    B = np.fromiter((vb.per_query[i] for i in ids), dtype=np.float64, count=len(ids))
    label, lower = metric_label(task.main_score, task), False
    if kind == "sts":
        gold_map = va.gold or vb.gold or {}
        if not all(i in gold_map for i in ids):
            raise UserError(f"{task.id}: the runs store no gold per pair (run_items); rerun them to explore the pairs")
        gold = np.fromiter((gold_map[i] for i in ids), dtype=np.float64, count=len(ids))
        A, B = rank_displacement(A, gold), rank_displacement(B, gold)
        label, lower = "rank displacement", True
    delta = (B - A) if lower else (A - B)
    manifests = _data_sha256(session, run_a, run_b)
    if manifests[0] != manifests[1]:
        notes.append("the two runs were made on different versions of the data")
    return ExplorerView(task, kind, a, b, run_a, run_b, manifests[0], task.main_score, label, lower, ids, A, B, delta, notes)


def _data_sha256(session: Session, *run_ids: int) -> list[str]:
    from sqlalchemy import select

    from leaderboard import schema

    found = dict(session.execute(select(schema.Run.id, schema.Run.manifest).where(schema.Run.id.in_(run_ids))).all())
    return [str((found.get(r) or {}).get("data_sha256", "")) for r in run_ids]


# --------------------------------------------------------------------------- one item opened
@dataclass(frozen=True)
class Hit:
    rank: int
    doc_id: str
    score: float
    grade: float | None  # the judgement, None when the doc is not judged for this query
    only_here: bool  # in this model's top list and not in the other's
    title: str = ""
    snippet: str = ""


@dataclass
class ItemDetail:
    """One query (pair, sentence) opened: its texts, judgements and each model's top hits side by side."""

    view: ExplorerView
    row: ExplorerRow
    text: str | None  # the query / first sentence / sentence (None: texts unavailable)
    other: str | None  # STS: the second sentence; Tatoeba: the sentence's translation
    judged: list[Hit]  # retrieval: the judged documents by grade (rank 0, score nan: not a hit)
    hits_a: list[Hit]
    hits_b: list[Hit]
    gold: float | None = None  # STS: the gold score (release scale)
    notes: list[str] = field(default_factory=list)
    judged_ranks: dict[str, tuple[int | None, int | None]] = field(default_factory=dict)  # doc -> rank in a, b (top 1,000; None: not in it)


TOP = 10


def _hits(ranking, item_id: str, judged: dict[str, float], other: set[str], depth: int = TOP) -> list[Hit]:
    return [
        Hit(rank, doc, score, judged.get(doc), doc not in other) for rank, (doc, score) in enumerate(ranking.hits(item_id, depth), start=1)
    ]


def item_detail(session: Session, view: ExplorerView, item_id: str) -> ItemDetail:
    """The detail of ``item_id`` (a one-line error for an id the listing does not have)."""
    from leaderboard.views.artifacts import NO_RANKING_NOTE, load_artifact
    from leaderboard.views.texts import TextsUnavailable, text_store

    where = np.searchsorted(view.ids, item_id) if len(view.ids) else 0
    if where >= len(view.ids) or view.ids[where] != item_id:
        raise UserError(f"{view.task.id} has no judged item {item_id!r} in both runs")
    i = int(where)
    row = ExplorerRow(item_id, float(view.values_a[i]), float(view.values_b[i]), float(view.delta[i]))
    notes: list[str] = []
    store = None
    try:
        from benchmarks.registry import get_task

        store = text_store(get_task(view.task.id), view.data_sha256)
    except (TextsUnavailable, UserError) as why:
        notes.append(str(why))
    text = other = None
    gold = None
    judged_grades: dict[str, float] = {}
    if store is not None:
        found = store.item(item_id)
        text, other = found if found else (None, None)
        judged_grades = store.judgements(item_id)
        if view.kind == "sts":
            gold = judged_grades.get("")
            judged_grades = {}
    hits_a: list[Hit] = []
    hits_b: list[Hit] = []
    judged: list[Hit] = []
    judged_ranks: dict[str, tuple[int | None, int | None]] = {}
    if view.kind in ("retrieval", "bitext"):
        kind = "ranking" if view.kind == "retrieval" else "neighbours"
        rankings = {}
        for name, run_id in ((view.a.name, view.run_a), (view.b.name, view.run_b)):
            rankings[name] = load_artifact(session, run_id, kind)
            if rankings[name] is None:
                notes.append(f"{name} (run {run_id}): {NO_RANKING_NOTE}")
        ra, rb = rankings[view.a.name], rankings[view.b.name]
        top_a = {d for d, _ in ra.hits(item_id, TOP)} if ra else set()
        top_b = {d for d, _ in rb.hits(item_id, TOP)} if rb else set()
        if view.kind == "bitext":
            judged_grades = {item_id: 1.0}  # line i is sentence i's translation
        hits_a = _hits(ra, item_id, judged_grades, top_b) if ra else []
        hits_b = _hits(rb, item_id, judged_grades, top_a) if rb else []
        judged = [Hit(0, doc, float("nan"), grade, False) for doc, grade in judged_grades.items()] if view.kind == "retrieval" else []
        full = [{d: r for r, (d, _) in enumerate(rk.hits(item_id), start=1)} if rk else {} for rk in (ra, rb)]
        judged_ranks = {hit.doc_id: (full[0].get(hit.doc_id), full[1].get(hit.doc_id)) for hit in judged}
        if store is not None:
            docs = store.docs(sorted({h.doc_id for h in [*hits_a, *hits_b, *judged]}))
            hits_a, hits_b, judged = ([_with_text(h, docs) for h in hits] for hits in (hits_a, hits_b, judged))
    return ItemDetail(view, row, text, other, judged, hits_a, hits_b, gold, notes, judged_ranks)


def _with_text(hit: Hit, docs: dict) -> Hit:
    doc = docs.get(hit.doc_id)
    if doc is None:
        return hit
    return Hit(hit.rank, hit.doc_id, hit.score, hit.grade, hit.only_here, doc.title, doc.snippet)
