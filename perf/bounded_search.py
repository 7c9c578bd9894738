"""Memory-bounded exact search: top-k over 1M synthetic 384-dim vectors vs FAISS flat.

Our chunked top-k (runners/exact_search.py) keeps at most ``queries × chunk`` scores; the full
score matrix for 1,000 queries × 1M docs would be 4 GB.  Each side runs in its own process so
peak memory is its own; results are compared (indices, with ties allowed to differ in order).

Usage: .venv/bin/python perf/bounded_search.py [--docs 1000000] [--queries 1000] [--chunk 50000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np


def _data(path: str, docs: int, queries: int, dim: int) -> None:
    rng = np.random.default_rng(0)
    d = rng.standard_normal((docs, dim), dtype=np.float32)
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    q = rng.standard_normal((queries, dim), dtype=np.float32)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    np.save(os.path.join(path, "docs.npy"), d)
    np.save(os.path.join(path, "queries.npy"), q)


def _run(engine: str, path: str, k: int, chunk: int) -> None:
    docs = np.load(os.path.join(path, "docs.npy"), mmap_mode="r")
    queries = np.load(os.path.join(path, "queries.npy"))
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    if engine == "ours":
        sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        from runners.exact_search import exact_top_k

        scores, index = exact_top_k(queries, docs, k, chunk_size=chunk)
    else:
        import faiss

        flat = faiss.IndexFlatIP(docs.shape[1])
        flat.add(np.ascontiguousarray(docs))
        scores, index = flat.search(queries, k)
    elapsed = time.perf_counter() - start
    np.save(os.path.join(path, f"{engine}-index.npy"), index)
    np.save(os.path.join(path, f"{engine}-scores.npy"), scores)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"engine": engine, "seconds": elapsed, "peak_mb": peak, "before_search_mb": base}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--k", type=int, default=100)
    parser.add_argument("--chunk", type=int, default=50_000)
    parser.add_argument("--engine")
    parser.add_argument("--path")
    args = parser.parse_args()
    if args.engine:
        _run(args.engine, args.path, args.k, args.chunk)
        return
    with tempfile.TemporaryDirectory() as path:
        _data(path, args.docs, args.queries, args.dim)
        results = {}
        for engine in ("ours", "faiss"):
            out = subprocess.run(
                [sys.executable, __file__, "--engine", engine, "--path", path, "--k", str(args.k), "--chunk", str(args.chunk)],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            results[engine] = json.loads(out.stdout.strip().splitlines()[-1])
        ours_i, faiss_i = np.load(f"{path}/ours-index.npy"), np.load(f"{path}/faiss-index.npy")
        ours_s, faiss_s = np.load(f"{path}/ours-scores.npy"), np.load(f"{path}/faiss-scores.npy")
        same_sets = np.mean([len(set(a) & set(b)) / args.k for a, b in zip(ours_i, faiss_i, strict=True)])
        score_diff = float(np.abs(np.sort(ours_s, axis=1) - np.sort(faiss_s, axis=1)).max())
    full_gb = args.queries * args.docs * 4 / 2**30
    docs_gb = args.docs * args.dim * 4 / 2**30
    for engine, row in results.items():
        print(f"{engine:6} {row['seconds']:7.1f} s   peak RSS {row['peak_mb'] / 1024:5.2f} GB")
    print(
        f"full score matrix would be {full_gb:.1f} GB (+ {docs_gb:.2f} GB of doc vectors); "
        f"top-{args.k} overlap {same_sets:.6f}, max score diff {score_diff:.1e}"
    )
    ours_gb, faiss_gb = results["ours"]["peak_mb"] / 1024, results["faiss"]["peak_mb"] / 1024
    print(f"bounded-search {args.docs:,}x{args.dim} ours peak {ours_gb:.2f} GB faiss-flat peak {faiss_gb:.2f} GB "
          f"{'results-equal' if same_sets == 1.0 else 'results-differ'}")  # fmt: skip


if __name__ == "__main__":
    main()
