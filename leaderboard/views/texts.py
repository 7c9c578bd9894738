"""The texts the explorer shows (queries, documents, judgements, sentence pairs), from the task's data on this server.

Read through the benchmark's own loader (``BENCHMARK.load`` via the registry: parsed, hashed,
counts checked) and written to a small SQLite store in the cache dir,
``explorer-texts/<data sha256>.sqlite``: by ``leaderboard run`` and the worker right after a
run is stored (:func:`prebuild`), or, where that did not happen on this server, the first time
the task is explored.  Later requests, in this process or another
worker, read only the rows a page needs (ten documents, not a 5-million-document corpus), and
the store is keyed by the data's sha256, so a new version of the data gets a new store.  SQLite
(the standard library's) because it gives indexed reads of a few rows from a file that several
processes share; the file is built under a temporary name and renamed, so a reader never sees a
half-written one.  Open stores are kept in a bounded LRU.

When the data is not on this server (or is another version than the runs were made on), the
explorer shows ids only, with a note saying why (:class:`TextsUnavailable`).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from benchmarks.contract import Task
from common.errors import UserError
from common.lru import LRU
from common.settings import cache_dir

_STORES = LRU(8)
log = logging.getLogger("leaderboard")
_BUILD = threading.Lock()
SNIPPET = 200  # characters of a document shown in a hit


class TextsUnavailable(Exception):
    """Why the texts cannot be shown (no data here, another data version): the note the page prints."""


@dataclass(frozen=True)
class Doc:
    id: str
    title: str
    text: str

    @property
    def snippet(self) -> str:
        return self.text if len(self.text) <= SNIPPET else self.text[: SNIPPET - 1].rstrip() + "…"


class TextStore:
    """Read-only access to one data version's texts (items: queries / pairs / sentences; docs; judgements)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
            self._local.db = db
        return db

    def item(self, item_id: str) -> tuple[str, str] | None:
        """(text, other): a query's text and ""; an STS pair's two sentences; a Tatoeba sentence and its translation."""
        row = self._db().execute("SELECT text, other FROM items WHERE id = ?", (item_id,)).fetchone()
        return (row[0], row[1]) if row else None

    def docs(self, ids: list[str]) -> dict[str, Doc]:
        found: dict[str, Doc] = {}
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            marks = ",".join("?" * len(part))
            for doc_id, title, text in self._db().execute(f"SELECT id, title, text FROM docs WHERE id IN ({marks})", part):
                found[doc_id] = Doc(doc_id, title, text)
        return found

    def judgements(self, item_id: str) -> dict[str, float]:
        """doc id -> grade of a query (BEIR qrels, every grade as stored, 0 and negative ones too)."""
        return dict(self._db().execute("SELECT doc, grade FROM judgements WHERE item = ? ORDER BY grade DESC, doc", (item_id,)).fetchall())


EXPLORABLE = ("beir", "sts", "tatoeba")  # the benchmarks whose texts _rows knows how to lay out


def _rows(task: Task, data) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]], list[tuple[str, str, float]]]:
    """(items, docs, judgements) of the loaded data of any registered benchmark the explorer knows."""
    if task.benchmark == "beir":
        items = [(q, text, "") for q, text in data.queries.items()]
        docs = [(d, doc.get("title", ""), doc.get("text", "")) for d, doc in data.corpus.items()]
        judged = [(q, d, float(g)) for q, grades in data.qrels.items() for d, g in grades.items()]
        return items, docs, judged
    if task.benchmark == "sts":
        return [(p.id, p.sentence1, p.sentence2) for p in data.pairs], [], [(p.id, "", float(p.score)) for p in data.pairs]
    if task.benchmark == "tatoeba":
        items = [(str(i + 1), s, e) for i, (s, e) in enumerate(zip(data.sentences, data.english, strict=True))]
        return items, [(str(i + 1), "", e) for i, e in enumerate(data.english)], []
    raise TextsUnavailable(f"the explorer does not show texts of {task.benchmark} tasks")


def _build(task: Task, path: Path) -> None:
    from benchmarks.registry import get_benchmark

    if task.benchmark not in EXPLORABLE:  # before reading any data: ARO's images are not texts
        raise TextsUnavailable(f"the explorer does not show texts of {task.benchmark} tasks")
    benchmark = get_benchmark(task.benchmark)
    if benchmark.missing_files(task):
        raise TextsUnavailable(f"the data of {task.id} is not on this server; ids only")
    try:
        loaded = benchmark.load(task)
    except UserError as err:
        raise TextsUnavailable(f"the data of {task.id} on this server cannot be read ({err}); ids only") from err
    if loaded.sha256 != path.stem:
        raise TextsUnavailable(
            f"the data of {task.id} on this server (sha256 {loaded.sha256[:12]}…) is not the version the runs used "
            f"({path.stem[:12]}…); ids only"
        )
    items, docs, judged = _rows(task, loaded.data)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    os.close(fd)
    try:
        db = sqlite3.connect(tmp)
        with db:
            db.execute("CREATE TABLE items (id TEXT PRIMARY KEY, text TEXT, other TEXT)")
            db.execute("CREATE TABLE docs (id TEXT PRIMARY KEY, title TEXT, text TEXT)")
            db.execute("CREATE TABLE judgements (item TEXT, doc TEXT, grade REAL)")
            db.execute("CREATE INDEX judgements_item ON judgements (item)")
            db.executemany("INSERT INTO items VALUES (?, ?, ?)", items)
            db.executemany("INSERT INTO docs VALUES (?, ?, ?)", docs)
            db.executemany("INSERT INTO judgements VALUES (?, ?, ?)", judged)
        db.close()
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _is_sha256(value: str) -> bool:
    """A hex digest, the only thing that may name a store file (it comes from a stored manifest)."""
    return bool(value) and all(c in "0123456789abcdef" for c in value)


def _store_path(data_sha256: str) -> Path:
    return cache_dir() / "explorer-texts" / f"{data_sha256}.sqlite"


def text_store(task: Task, data_sha256: str) -> TextStore:
    """The texts of ``task`` at the data version ``data_sha256`` (from the runs' manifests); built on first use."""
    if not _is_sha256(data_sha256):
        raise TextsUnavailable("the runs do not record which data they used; ids only")
    key = (task.id, data_sha256)
    store = _STORES.get(key)
    if isinstance(store, TextsUnavailable):  # remembered: a missing dataset is not looked for on every request
        raise store
    if store is not None:
        return store  # type: ignore[return-value]
    path = _store_path(data_sha256)
    with _BUILD:
        if not path.is_file():
            try:
                _build(task, path)
            except TextsUnavailable as why:
                _STORES.put(key, why)
                raise
    made = TextStore(path)
    _STORES.put(key, made)
    return made


def prebuild(task: Task, data_sha256: str) -> None:
    """Build the store of ``task`` at ``data_sha256`` now, if the explorer could show it.

    Called by ``leaderboard run`` and the worker after a run is stored: the data was just read
    (the OS has it cached), and the explorer's first visit then reads rows instead of loading
    the whole dataset inside a web request.  A store that exists is not rebuilt; a dataset the
    explorer cannot show, or any failure to build, is logged and ignored (the site builds the
    store on first use, as before).
    """
    if not _is_sha256(data_sha256):
        return
    path = _store_path(data_sha256)
    try:
        with _BUILD:  # not through text_store: its memo may remember that an earlier data version was missing
            if path.is_file():
                return
            _build(task, path)
    except TextsUnavailable as why:  # ARO (no texts; _build says so before reading any data), or another data version
        log.debug("explorer texts of %s not prepared: %s", task.id, why)
    except Exception as err:
        log.warning("explorer texts of %s not prepared (%s); the site will build them on first use", task.id, type(err).__name__)
    else:
        log.info("explorer texts of %s prepared", task.id)
