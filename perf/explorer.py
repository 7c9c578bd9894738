"""Speed of the per-query explorer's listing on a 10,000-query task (target: under 300 ms).

Seeds a fresh SQLite database in a temporary folder (never ``LEADERBOARD_DB``) with one synthetic
BEIR-format task ``beir/synthetic-10k`` (10,000 judged queries) and two synthetic models, each
with one run stored through the real write path (``leaderboard.store.record_run``: six metrics
with per-query values, and a stored ranking of 10 hits per query), then times the explorer's
listing through the Flask app in-process (WSGI test client, server time only):

- **cold**: the site's data cache emptied before each request (right after a run lands: the
  view is built from the two runs' per-query values);
- **warm**: the view cached (the steady state): sorting, filtering, paging and formatting.

for the HTML page (default sort, sort by id, filter "a wins", a later page) and the JSON API.

    .venv/bin/python perf/explorer.py                  # 10,000 queries
    .venv/bin/python perf/explorer.py --queries 50000 --repeat 20
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np


def seed(url: str, n_queries: int) -> None:
    from benchmarks.beir.benchmark import beir_task
    from benchmarks.beir.catalog_types import BeirDataset
    from benchmarks.metrics.retrieval import RETRIEVAL_METRICS, MetricResult
    from common import rankings
    from leaderboard.db import make_engine, session_factory
    from leaderboard.store import record_run
    from runners.outcome import RunOutcome
    from submissions.schema import ModelConfig

    entry = BeirDataset(
        name="synthetic-10k", zip_name="", url="", md5="", license="synthetic", splits=("test",), test_split="test",
        num_docs=100_000, num_queries=n_queries, remove_identical_ids=False, notes="perf/explorer.py",
    )  # fmt: skip
    task = beir_task(entry)
    rng = np.random.default_rng(0)
    qids = [f"q{i:05d}" for i in range(n_queries)]
    factory = session_factory(make_engine(url))
    for name in ("synthetic-a", "synthetic-b"):
        config = ModelConfig(
            name=name, family=["dense"], backend="bm25", bm25={"engine": "bm25s"}, description="synthetic (perf/explorer.py)"
        )
        scores = {}
        for metric in RETRIEVAL_METRICS:
            values = np.round(rng.random(n_queries), 3)  # rounded: many exact ties, as nDCG@10 has
            per_query = dict(zip(qids, values.tolist(), strict=True))
            scores[metric] = MetricResult(float(np.mean(values)), per_query)
        hits = {q: [(f"d{int(d):06d}", float(np.float32(10 - r))) for r, d in enumerate(rng.integers(0, 100_000, 10))] for q in qids}
        now = datetime.now(UTC)
        ranking = rankings.encode("ranking", hits)
        manifest = {
            "config_sha256": "synthetic",
            "synthetic": True,
            "data_sha256": "0" * 64,
            "artifacts": {"ranking": ranking.manifest_entry()},
        }
        outcome = RunOutcome(name, task.id, scores, manifest, now, now, task.metric_spec, artifacts={"ranking": ranking})
        with factory() as session:
            record_run(session, config, task, outcome, is_reference=False)


def timed(client, url: str) -> float:
    start = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - start) * 1000
    assert response.status_code == 200, (url, response.status_code, response.data[:300])
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="explorer-perf-"))
    try:
        url = f"sqlite:///{folder / 'board.db'}"
        os.environ["LEADERBOARD_DB"] = url
        os.environ["LEADERBOARD_CACHE_DIR"] = str(folder / "cache")
        start = time.perf_counter()
        seed(url, args.queries)
        print(f"seeded 2 runs × {args.queries:,} queries in {time.perf_counter() - start:.1f} s", flush=True)

        from web import create_app

        app = create_app(url)
        client = app.test_client()
        cache = app.extensions["leaderboard_cache"]
        base = "/tasks/beir/synthetic-10k/queries?a=synthetic-a&b=synthetic-b"
        urls = {
            "page (Δ desc)": base,
            "page (sort=id)": base + "&sort=id&order=asc",
            "page (a wins)": base + "&show=a",
            "page (offset 5,000)": base + "&offset=5000",
            "API (limit 100)": "/api/v1" + base,
            "API (limit 1,000, b wins)": "/api/v1" + base + "&limit=1000&show=b",
        }
        client.get("/healthz")
        client.get(base)  # imports and the registry once (process start, not a request)
        print(f"{'listing':28} {'cold p50':>9} {'cold p95':>9} {'warm p50':>9} {'warm p95':>9}   (ms, {args.queries:,} queries)")
        for name, url_ in urls.items():
            cold = []
            for _ in range(max(3, args.repeat // 2)):
                cache.clear()
                cold.append(timed(client, url_))
            warm = []
            for _ in range(args.repeat):
                cache.clear_responses()  # the view stays cached; the response is rebuilt
                warm.append(timed(client, url_))

            def p95(values: list[float]) -> float:
                return sorted(values)[max(0, round(0.95 * len(values)) - 1)]

            print(f"{name:28} {statistics.median(cold):9.1f} {p95(cold):9.1f} {statistics.median(warm):9.1f} {p95(warm):9.1f}", flush=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
