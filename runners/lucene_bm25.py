"""Lucene BM25 through Pyserini/Anserini, as Pyserini's 2CR BEIR conditions run it.

- ``flat``: Anserini's ``BeirFlatCollection`` (title and text in one ``contents`` field).
- ``multifield``: ``BeirMultifieldCollection`` indexed with ``-fields title``; searched over
  ``contents`` and ``title`` with weight 1.0 each (2CR's ``--fields contents=1.0 title=1.0``).
- BM25 k1/b from the config (2CR: 0.9/0.4), Anserini's default English analyzer (Porter stemmer,
  Lucene stopwords), 1,000 hits, identical ids removed after retrieval (``--remove-query``).

The index is built once per (corpus content hash, field layout, Anserini version) in the cache
dir and reused by every later run.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

from common.paths import relative_to
from common.settings import cache_dir
from runners.jvm import anserini_class, indexer_log_options, lucene_searcher_class, pyserini_version
from runners.protocols import Corpus, RetrievalResult
from submissions.schema import ModelConfig

log = logging.getLogger(__name__)

COLLECTIONS = {"flat": "BeirFlatCollection", "multifield": "BeirMultifieldCollection"}
SEARCH_FIELDS = {"flat": None, "multifield": {"contents": 1.0, "title": 1.0}}


class LuceneBM25:
    extra_hit_for_identical_ids = False  # Pyserini removes the query from the hits it retrieved

    def __init__(self, config: ModelConfig) -> None:
        assert config.bm25 is not None
        self.settings = config.bm25
        self.threads = max(1, os.cpu_count() or 1)
        lucene_searcher_class()  # fail early, with a one-line error, if the extra is missing

    def _index(self, corpus: Corpus, corpus_sha256: str) -> tuple[Path, bool]:
        """The index of this corpus and field layout, and whether it was already in the cache dir."""
        layout = self.settings.fields
        target = cache_dir() / "lucene" / f"{corpus_sha256[:20]}-{layout}-pyserini{pyserini_version()}"
        if (target / "segments.gen").exists() or any(target.glob("segments_*")):
            return target, True
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=target.parent) as scratch:
            source = Path(scratch) / "corpus"
            source.mkdir()
            with (source / "corpus.jsonl").open("w", encoding="utf-8") as handle:
                for doc_id, doc in corpus.items():
                    handle.write(json.dumps({"_id": doc_id, "title": doc.get("title", ""), "text": doc.get("text", "")}) + "\n")
            building = Path(scratch) / "index"
            args = [
                "-collection",
                COLLECTIONS[layout],
                "-input",
                str(source),
                "-index",
                str(building),
                "-generator",
                "DefaultLuceneDocumentGenerator",
                "-threads",
                str(self.threads),
                "-storePositions",
                "-storeDocvectors",
                "-storeRaw",
            ]
            if layout == "multifield":
                args += ["-fields", "title"]
            args += indexer_log_options()  # only how much it logs; the index is the same
            log.info("building Lucene %s index of %d docs in %s", layout, len(corpus), target)
            anserini_class("io.anserini.index.IndexCollection").main(args)
            shutil.rmtree(target, ignore_errors=True)
            os.replace(building, target)  # atomic: a half-built index is never reused
        return target, False

    def retrieve(self, corpus: Corpus, queries: Mapping[str, str], k: int, corpus_sha256: str) -> RetrievalResult:
        from tqdm.auto import tqdm

        phases: dict[str, float] = {}
        start = time.perf_counter()
        index_path, reused = self._index(corpus, corpus_sha256)
        phases["index"] = time.perf_counter() - start
        start = time.perf_counter()
        searcher = lucene_searcher_class()(str(index_path))
        searcher.set_bm25(self.settings.k1, self.settings.b)
        fields = SEARCH_FIELDS[self.settings.fields]
        query_ids = list(queries)
        run: dict[str, dict[str, float]] = {}
        batch = 64
        with tqdm(total=len(query_ids), desc="searching (Lucene)", unit="query", leave=False) as bar:
            for begin in range(0, len(query_ids), batch):
                ids = query_ids[begin : begin + batch]
                kwargs = {"fields": fields} if fields else {}
                hits = searcher.batch_search([queries[q] for q in ids], ids, k=k, threads=self.threads, **kwargs)
                for qid in ids:
                    run[qid] = {hit.docid: float(hit.score) for hit in hits.get(qid, [])}
                bar.update(len(ids))
        searcher.close()
        phases["search"] = time.perf_counter() - start
        index_bytes = sum(path.stat().st_size for path in index_path.rglob("*") if path.is_file())  # the Lucene index on disk
        counters = {
            "index": relative_to(index_path, cache_dir()),
            "index_reused": reused,
            "index_bytes": index_bytes,
        }  # under the cache dir
        return RetrievalResult(run, phase_times=phases, counters=counters)

    def describe(self) -> dict:
        return {
            "backend": "bm25",
            "engine": "lucene (pyserini)",
            "pyserini": pyserini_version(),
            "k1": self.settings.k1,
            "b": self.settings.b,
            "fields": self.settings.fields,
            "collection": COLLECTIONS[self.settings.fields],
            "search_fields": SEARCH_FIELDS[self.settings.fields],
            "analyzer": "Anserini default English analyzer (Porter stemmer, Lucene English stopwords)",
            "threads": self.threads,
        }
