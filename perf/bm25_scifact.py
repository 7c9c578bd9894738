"""BM25 on SciFact: our bm25s path vs plain bm25s; our Lucene path vs plain Pyserini.

Index + search times, same data, same process, same analyzer settings where the peer allows
(bm25s: best of three alternating rounds; Lucene: one round each, the index is built cold).
Prints ``bm25-scifact bm25s 1.05x lucene 0.98x``-style ratios (peer time / our time; >1 = we
are faster).

Usage: .venv/bin/python perf/bm25_scifact.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from perf._common import use_shared_data


def plain_bm25s(corpus, queries) -> float:
    import bm25s
    import Stemmer

    start = time.perf_counter()
    stemmer = Stemmer.Stemmer("porter")
    ids = list(corpus)
    tokens = bm25s.tokenize(
        [f"{corpus[i]['title']} {corpus[i]['text']}".strip() for i in ids], stopwords="en", stemmer=stemmer, show_progress=False
    )
    retriever = bm25s.BM25(k1=0.9, b=0.4, method="lucene")
    retriever.index(tokens, show_progress=False)
    query_tokens = bm25s.tokenize(list(queries.values()), stopwords="en", stemmer=stemmer, show_progress=False)
    retriever.retrieve(query_tokens, k=1000, show_progress=False, n_threads=1)
    return time.perf_counter() - start


def ours(name: str, corpus, queries, sha: str) -> float:
    from runners.retrievers import build_retriever
    from submissions.registry import resolve_model

    retriever = build_retriever(resolve_model(name)[0])
    start = time.perf_counter()
    retriever.retrieve(corpus, queries, 1000, sha)
    return time.perf_counter() - start


def plain_pyserini(corpus, queries) -> float:
    import json

    from runners.jvm import anserini_class, lucene_searcher_class

    searcher_class = lucene_searcher_class()
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        os.makedirs(f"{scratch}/c")
        with open(f"{scratch}/c/corpus.jsonl", "w") as handle:
            for doc_id, doc in corpus.items():
                handle.write(json.dumps({"_id": doc_id, **doc}) + "\n")
        anserini_class("io.anserini.index.IndexCollection").main(
            ["-collection", "BeirFlatCollection", "-input", f"{scratch}/c", "-index", f"{scratch}/i",
             "-generator", "DefaultLuceneDocumentGenerator", "-threads", "2", "-storePositions", "-storeDocvectors", "-storeRaw"]
        )  # fmt: skip
        searcher = searcher_class(f"{scratch}/i")
        searcher.set_bm25(0.9, 0.4)
        searcher.batch_search(list(queries.values()), list(queries), k=1000, threads=2)
    return time.perf_counter() - start


def main() -> None:
    use_shared_data()
    from benchmarks.beir.loader import load_split
    from benchmarks.registry import get_task

    task = get_task("beir/scifact")
    data = load_split(task.folder, task.split, task.id)
    with tempfile.TemporaryDirectory() as cache:
        os.environ["LEADERBOARD_CACHE_DIR"] = cache  # cold Lucene index for a fair comparison
        # best of 3 alternating rounds: a 1-second job on a shared 2-core VM is noisy
        peer_runs, our_runs = [], []
        for _ in range(3):
            peer_runs.append(plain_bm25s(data.corpus, data.queries))
            our_runs.append(ours("bm25s-flat", data.corpus, data.queries, data.sha256))
        peer_s, our_s = min(peer_runs), min(our_runs)
        try:
            peer_l = plain_pyserini(data.corpus, data.queries)
            our_l = ours("bm25-flat", data.corpus, data.queries, data.sha256)
            lucene = f"lucene {peer_l / our_l:.2f}x (pyserini {peer_l:.1f}s, ours {our_l:.1f}s)"
        except Exception as err:  # the lucene extra is optional
            lucene = f"lucene n/a ({err})"
    print(f"bm25-scifact bm25s {peer_s / our_s:.2f}x (bm25s {peer_s:.2f}s, ours {our_s:.2f}s) {lucene}")


if __name__ == "__main__":
    main()
