"""Retrieval metrics: ours vs plain pytrec_eval on the same BM25 SciFact run (speed reported, equality checked).

Usage: .venv/bin/python perf/metrics.py
"""

from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from perf._common import use_shared_data


def main() -> None:
    use_shared_data()
    import pytrec_eval

    from benchmarks.beir.loader import load_split
    from benchmarks.metrics.retrieval import evaluate_retrieval, prepare_run
    from benchmarks.registry import get_task
    from runners.retrievers import build_retriever
    from submissions.registry import resolve_model

    task = get_task("beir/scifact")
    data = load_split(task.folder, task.split, task.id)
    run = build_retriever(resolve_model("bm25s-flat")[0]).retrieve(data.corpus, data.queries, 1000, data.sha256).run
    repeats = 5
    start = time.perf_counter()
    for _ in range(repeats):
        ours = evaluate_retrieval(data.qrels, run, ["ndcg_at_10", "recall_at_100", "recall_at_1000", "map_at_100", "precision_at_10"])
    our_s = (time.perf_counter() - start) / repeats
    start = time.perf_counter()
    for _ in range(repeats):
        plain = pytrec_eval.RelevanceEvaluator(data.qrels, {"ndcg_cut.10", "recall.100", "recall.1000", "map_cut.100", "P.10"}).evaluate(
            run
        )
    peer_s = (time.perf_counter() - start) / repeats
    prepared = prepare_run(run)
    same = pytrec_eval.RelevanceEvaluator(data.qrels, {"ndcg_cut.10"}).evaluate(prepared)
    diff = abs(ours["ndcg_at_10"].value - sum(v["ndcg_cut_10"] for v in same.values()) / len(data.qrels))
    print(f"metrics-scifact {peer_s / our_s:.2f}x (pytrec_eval {peer_s * 1000:.0f} ms, ours {our_s * 1000:.0f} ms) max-diff {diff:.1e}")
    del plain


if __name__ == "__main__":
    main()
