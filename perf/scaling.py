"""Scaling curve of the dense pipeline: 1k, 10k, 100k, 1M synthetic docs; time and peak memory.

A tiny randomly initialised BERT (tests/tiny_models.py) stands in for the encoder, because the
point is the pipeline around the model (batching, caching, chunked search), not the model's
FLOPs; synthetic docs are short.  Each size runs in a fresh process so peak memory is its own.
Growth should be linear in corpus size and memory bounded by the chunk size.

Usage: .venv/bin/python perf/scaling.py [--sizes 1000,10000,100000,1000000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from perf._common import peak_rss_mb

WORDS = "vitamin deficiency fracture bone cancer cell sleep memory measles vaccine calcium tumour immune".split()  # noqa: SIM905


def one_size(size: int, model_dir: str) -> dict:
    import numpy as np

    from runners.dense import DenseEncoder
    from runners.exact_search import exact_top_k
    from submissions.schema import ModelConfig

    rng = np.random.default_rng(0)
    docs = [" ".join(rng.choice(WORDS, size=12)) for _ in range(size)]
    queries = [" ".join(rng.choice(WORDS, size=4)) for _ in range(100)]
    config = ModelConfig(name="tiny", family=["dense"], backend="dense", weights={"path": model_dir}, batch_size=256)
    encoder = DenseEncoder(config, __import__("pathlib").Path(model_dir), "cpu")
    start = time.perf_counter()
    doc_emb = encoder.encode(docs, desc="docs")
    encode_s = time.perf_counter() - start
    query_emb = encoder.encode(queries, desc="queries")
    start = time.perf_counter()
    exact_top_k(query_emb, doc_emb, 1000, chunk_size=50_000)
    search_s = time.perf_counter() - start
    return {"docs": size, "encode_s": encode_s, "search_s": search_s, "peak_mb": peak_rss_mb()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000,100000,1000000")
    parser.add_argument("--one", type=int)
    parser.add_argument("--model")
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_size(args.one, args.model)))
        return
    from tests.tiny_models import make_tiny_st_model

    with tempfile.TemporaryDirectory() as scratch:
        model = make_tiny_st_model(__import__("pathlib").Path(scratch) / "tiny")
        print(f"{'docs':>9} {'encode s':>9} {'search s':>9} {'s/1k docs':>10} {'peak MB':>8}")
        for size in (int(s) for s in args.sizes.split(",")):
            out = subprocess.run(
                [sys.executable, __file__, "--one", str(size), "--model", str(model)], capture_output=True, text=True, check=True
            )
            row = json.loads(out.stdout.strip().splitlines()[-1])
            total = row["encode_s"] + row["search_s"]
            print(
                f"{row['docs']:>9,} {row['encode_s']:>9.1f} {row['search_s']:>9.2f}"
                f" {1000 * total / row['docs']:>10.3f} {row['peak_mb']:>8.0f}"
            )


if __name__ == "__main__":
    main()
