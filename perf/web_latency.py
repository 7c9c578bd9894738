"""Latency of the leaderboard site at scale: 1,000 synthetic models × 150 tasks.

Seeds a fresh SQLite database in a temporary folder (never ``LEADERBOARD_DB``) with synthetic
models, tasks, runs and scores, then times requests through the Flask app in-process (WSGI
test client: server time only, no network):

- **cold**: the data cache is emptied before every request, as right after a new run lands;
- **warm**: the same URLs again with the cache filled (the steady state between runs).

Prints p50/p95 in milliseconds per URL group.  Target: p95 < 100 ms warm.

    .venv/bin/python perf/web_latency.py                  # 1,000 × 150, ~1 minute to seed
    .venv/bin/python perf/web_latency.py --models 100 --tasks 40 --repeat 20

Everything synthetic is marked: model names start with ``synthetic-``, configs and manifests
carry ``"synthetic": true``, and the seeder refuses a database that already has rows.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select

from leaderboard import schema
from leaderboard.db import make_engine

# Realistic shape: the registered benchmarks' task counts (BEIR 26, STS 8, Tatoeba 112, ARO 4).
BENCHMARK_SHARE = (("beir", 26, "ndcg_at_10"), ("sts", 8, "cosine_spearman"), ("tatoeba", 112, "f1"), ("aro", 4, "macro_accuracy"))
FAMILIES = (["dense"], ["sparse"], ["dense", "contrastive"], ["dense", "contrastive", "distilled"], ["contrastive"])
LICENSES = ("MIT", "Apache-2.0", "CC-BY-4.0", "proprietary", "Llama-3")
SECONDARY = {"ndcg_at_10": ("recall_at_100", "map_at_100"), "cosine_spearman": ("cosine_pearson",), "f1": ("accuracy",)}


def synthetic_tasks(n_tasks: int) -> list[dict]:
    """``n_tasks`` tasks spread over the benchmarks in the registered proportions."""
    total = sum(n for _, n, _ in BENCHMARK_SHARE)
    tasks = []
    for benchmark, share, main in BENCHMARK_SHARE:
        count = max(1, round(n_tasks * share / total))
        for i in range(count):
            tasks.append(
                {
                    "id": f"{benchmark}/synthetic-{i:03d}",
                    "benchmark": benchmark,
                    "dataset": f"synthetic-{i:03d}",
                    "split": "test",
                    "main_score": main,
                    "metric_spec": {"synthetic": True, "main_score": main, "metrics": {main: f"synthetic {main}"}},
                    "license": "synthetic",
                    "source_url": "",
                }
            )
    return tasks[:n_tasks]


def seed_synthetic(url: str, n_models: int, n_tasks: int, *, missing: float = 0.1, seed: int = 0) -> dict:
    """Fill an *empty* database with synthetic rows; returns counts. Refuses a non-empty one."""
    engine = make_engine(url)
    with engine.connect() as conn:
        if conn.scalar(select(func.count()).select_from(schema.Model)):
            raise SystemExit(f"refusing to seed {url}: it already has models (synthetic data never goes into a real database)")
    rng = random.Random(seed)
    tasks = synthetic_tasks(n_tasks)
    now = datetime(2025, 1, 1, tzinfo=UTC)
    models = []
    for m in range(n_models):
        params = rng.choice([None, rng.randint(4_000_000, 12_000_000_000)])
        training = rng.sample([t["dataset"] for t in tasks], k=rng.randint(0, 3))
        models.append(
            {
                "id": m + 1,
                "name": f"synthetic-{m:04d}",
                "backend": "dense" if params else "bm25",
                "families": rng.choice(FAMILIES),
                "config": {
                    "name": f"synthetic-{m:04d}",
                    "synthetic": True,
                    "description": "SYNTHETIC row for load testing",
                    "metadata": {"parameters": params, "embedding_dim": rng.choice([384, 768, 1024]), "training_datasets": training},
                },
                "config_sha256": f"{m:064x}",
                "parameters": params,
                "license": rng.choice(LICENSES),
                "open_weights": rng.random() > 0.2,
                "is_reference": m < 20,
                "updated_at": now,
            }
        )
    runs, scores, current = [], [], []
    run_id = 0
    quality = {m["id"]: rng.uniform(0.2, 0.7) for m in models}
    for model in models:
        for task in tasks:
            if rng.random() < missing:
                continue
            run_id += 1
            base = min(0.99, max(0.0, quality[model["id"]] + rng.gauss(0, 0.08)))
            manifest = {"synthetic": True, "model": {"corpus_docs_per_s": rng.uniform(50, 5000)}, "hardware": {"device": "cpu"}}
            runs.append(
                {
                    "id": run_id,
                    "model_id": model["id"],
                    "task_id": task["id"],
                    "status": "done",
                    "started_at": now,
                    "finished_at": now + timedelta(seconds=60),
                    "config_sha256": model["config_sha256"],
                    "metric_spec": task["metric_spec"],
                    "manifest": manifest,
                }
            )
            per_query = {f"q{i}": round(rng.random(), 4) for i in range(20)}
            scores.append({"run_id": run_id, "metric": task["main_score"], "variant": "", "value": base, "per_query": per_query})
            for metric in SECONDARY.get(task["main_score"], ()):
                scores.append({"run_id": run_id, "metric": metric, "variant": "", "value": min(1.0, base + 0.1), "per_query": per_query})
            current.append({"model_id": model["id"], "task_id": task["id"], "run_id": run_id})
    with engine.begin() as conn:
        conn.execute(insert(schema.Model), models)
        conn.execute(insert(schema.Task), tasks)
        for start in range(0, len(runs), 20_000):
            conn.execute(insert(schema.Run), runs[start : start + 20_000])
        for start in range(0, len(scores), 50_000):
            conn.execute(insert(schema.Score), scores[start : start + 50_000])
        conn.execute(insert(schema.CurrentResult), current)
    engine.dispose()
    return {"models": len(models), "tasks": len(tasks), "runs": len(runs), "scores": len(scores)}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def url_groups(tasks: list[dict], n_models: int = 1000) -> dict[str, list[str]]:
    wide = max(BENCHMARK_SHARE, key=lambda b: b[1])[0]
    model = f"synthetic-{min(42, n_models - 1):04d}"
    other = f"synthetic-{min(7, n_models - 1):04d}"
    some_task = next(t["id"] for t in tasks if t["benchmark"] == wide)
    return {
        "home /": ["/"],
        "benchmark page (beir, 26 cols)": ["/benchmarks/beir", "/benchmarks/beir?sort=beir/synthetic-003&order=asc"],
        f"benchmark page ({wide}, widest)": [
            f"/benchmarks/{wide}",
            f"/benchmarks/{wide}?sort={some_task}",
            f"/benchmarks/{wide}?family=dense&size=100m-500m&size=500m-1b",
            f"/benchmarks/{wide}?zero_shot=1&open=1",
            f"/benchmarks/{wide}?page=3",
            f"/benchmarks/{wide}?origin=community&license=MIT",
        ],
        "benchmark CSV download (all rows)": [f"/benchmarks/{wide}?format=csv"],
        "task page": [f"/tasks/{some_task}"],
        "model page": [f"/models/{model}"],
        "API /benchmarks/<b> (full table)": [f"/api/v1/benchmarks/{wide}", "/api/v1/benchmarks/beir?family=sparse"],
        "API /benchmarks, /models, /tasks": ["/api/v1/benchmarks", "/api/v1/models", "/api/v1/tasks"],
        "API /scores (1,000 per page)": ["/api/v1/scores?benchmark=beir&limit=1000", f"/api/v1/scores?model={other}"],
        "API /runs, /runs/<id>": ["/api/v1/runs?limit=100", f"/api/v1/runs/{min(777, n_models)}"],
    }


def add_run(url: str, rng: random.Random) -> None:
    """Land one new synthetic run (a rerun of some model on some task), as the CLI would."""
    engine = make_engine(url, create=False)
    with engine.begin() as conn:
        n_current = conn.scalar(select(func.count()).select_from(schema.CurrentResult))
        model_id, task_id = conn.execute(
            select(schema.CurrentResult.model_id, schema.CurrentResult.task_id).offset(rng.randrange(n_current)).limit(1)
        ).one()
        main = conn.scalar(select(schema.Task.main_score).where(schema.Task.id == task_id))
        now = datetime.now(UTC)
        run_id = conn.execute(
            insert(schema.Run).values(
                model_id=model_id,
                task_id=task_id,
                status="done",
                started_at=now,
                finished_at=now,
                config_sha256="0" * 64,
                metric_spec={"synthetic": True},
                manifest={"synthetic": True},
            )
        ).inserted_primary_key[0]
        conn.execute(insert(schema.Score).values(run_id=run_id, metric=main, variant="", value=rng.random(), per_query={}))
        conn.execute(
            schema.CurrentResult.__table__.update()
            .where(schema.CurrentResult.model_id == model_id, schema.CurrentResult.task_id == task_id)
            .values(run_id=run_id)
        )
    engine.dispose()


def _time(client, url: str) -> float:
    start = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - start) * 1000
    assert response.status_code == 200, (url, response.status_code, response.data[:500])
    return elapsed


def measure(app, groups: dict[str, list[str]], repeat: int, cold_repeat: int) -> dict[str, dict[str, list[float]]]:
    """Per group: cold (empty cache), render (data cached, page not), warm (page cached)."""
    client = app.test_client()
    cache = app.extensions["leaderboard_cache"]
    results: dict[str, dict[str, list[float]]] = {}
    for name, urls in groups.items():
        cold, render, warm = [], [], []
        for _ in range(cold_repeat):
            for url in urls:
                cache.clear()
                cold.append(_time(client, url))
        for url in urls:  # fill the data cache for every URL of the group (not timed)
            client.get(url)
        for _ in range(max(1, repeat // 3)):
            for url in urls:
                cache.clear_responses()
                render.append(_time(client, url))
        for url in urls:
            client.get(url)
        for _ in range(repeat):
            for url in urls:
                warm.append(_time(client, url))
        results[name] = {"cold": cold, "render": render, "warm": warm}
    return results


def measure_new_runs(app, url: str, db_url: str, pages: list[str], n: int) -> list[float]:
    """Latency of the first request after a new run lands (incremental snapshot refresh + rebuild)."""
    client = app.test_client()
    rng = random.Random(1)
    for page in pages:
        client.get(page)
    times = []
    for i in range(n):
        add_run(db_url, rng)
        times.append(_time(client, pages[i % len(pages)]))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", type=int, default=1000)
    parser.add_argument("--tasks", type=int, default=150)
    parser.add_argument("--repeat", type=int, default=30, help="warm requests per URL")
    parser.add_argument("--cold-repeat", type=int, default=3, help="cold requests per URL")
    parser.add_argument("--db", help="SQLite file to seed, or reuse when it holds only synthetic rows (default: a temporary one)")
    parser.add_argument("--json", type=Path, help="also write the raw timings here")
    args = parser.parse_args()

    folder = None if args.db else tempfile.mkdtemp(prefix="leaderboard-perf-")
    try:
        run(args, folder)
    finally:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


def run(args: argparse.Namespace, folder: str | None) -> None:
    """Seed (or reuse a synthetic-only database), measure, print the table."""
    path = Path(args.db) if args.db else Path(folder) / "synthetic.db"
    url = f"sqlite:///{path}"
    if not path.exists():
        start = time.perf_counter()
        counts = seed_synthetic(url, args.models, args.tasks)
        print(f"seeded {counts} into {path} in {time.perf_counter() - start:.1f}s", flush=True)
    else:
        check = make_engine(url, create=False)
        with check.connect() as conn:
            real = conn.scalar(select(func.count()).select_from(schema.Model).where(schema.Model.name.not_like("synthetic-%")))
        check.dispose()
        if real:
            raise SystemExit(f"refusing to use {path}: it holds {real} non-synthetic models (this script adds runs to the database)")
    os.environ["LEADERBOARD_DB"] = url

    from web import create_app

    app = create_app(url)
    app.test_client().get("/healthz")
    from leaderboard.views.snapshot import registered_tasks

    registered_tasks()  # import the benchmark registry once (a process-start cost, not a request cost)
    tasks = synthetic_tasks(args.tasks)
    results = measure(app, url_groups(tasks, args.models), args.repeat, args.cold_repeat)
    wide = max(BENCHMARK_SHARE, key=lambda b: b[1])[0]
    after_run = measure_new_runs(app, url, url, [f"/benchmarks/{wide}", "/benchmarks/beir", f"/api/v1/benchmarks/{wide}"], 9)

    print(
        "\ncold: empty cache (server start). render: data cached, page not (first visit of a URL). "
        "warm: page cached (repeat visit). All in ms."
    )
    header = f"{'URL group':40} {'cold p50':>9} {'cold p95':>9} {'render p50':>10} {'render p95':>10} {'warm p50':>9} {'warm p95':>9}"
    print(header)
    for name, timing in results.items():
        cold, render, warm = timing["cold"], timing["render"], timing["warm"]
        print(
            f"{name:40} {statistics.median(cold):9.1f} {percentile(cold, 0.95):9.1f} "
            f"{statistics.median(render):10.1f} {percentile(render, 0.95):10.1f} "
            f"{statistics.median(warm):9.2f} {percentile(warm, 0.95):9.2f}"
        )
    p50, p95 = statistics.median(after_run), percentile(after_run, 0.95)
    print(f"{'first request after a new run lands':40} p50 {p50:.1f}  p95 {p95:.1f}  (n={len(after_run)})")
    results["after_new_run"] = {"first_request": after_run}
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
