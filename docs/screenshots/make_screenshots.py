"""Regenerate the screenshots in docs/screenshots/ with Debian's headless chromium.

1. Real runs into a fresh database (``--db``, default a temporary SQLite file), through the CLI:
   ``leaderboard run bm25s-flat --tasks beir/scifact`` and MiniLM on two STS and two Tatoeba
   tasks (about 5 minutes on a 2-core CPU; needs LEADERBOARD_DATA_DIR, e.g. ../shared/datasets).
2. DEMO rows on top, so that every benchmark, filter and plot has something to show: models
   named ``demo-*``, whose description says they are synthetic.  They exist only in this
   screenshot database, never in the project's database or in any test's expected values.
3. The site on a local port, and one PNG per main page.

    .venv/bin/python docs/screenshots/make_screenshots.py
    .venv/bin/python docs/screenshots/make_screenshots.py --db sqlite:////tmp/shots.db --skip-runs   # reuse runs
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

REAL_RUNS = [
    ("bm25s-flat", "beir/scifact"),
    ("all-MiniLM-L6-v2", "sts/sts12,sts/stsb,tatoeba/deu-eng,tatoeba/fra-eng"),
]
DEMO_NOTE = "DEMO DATA: synthetic numbers for the documentation screenshots, not a real result."
BEIR = ["beir/scifact", "beir/nfcorpus", "beir/fiqa", "beir/arguana", "beir/scidocs", "beir/trec-covid"]
STS = ["sts/sts12", "sts/sts13", "sts/sts14", "sts/sts15", "sts/sts16", "sts/stsb", "sts/sick-r"]
TATOEBA = ["tatoeba/deu-eng", "tatoeba/fra-eng", "tatoeba/spa-eng", "tatoeba/jpn-eng", "tatoeba/swh-eng", "tatoeba/kab-eng"]
ARO = ["aro/vg-relation", "aro/vg-attribution", "aro/coco-order", "aro/flickr30k-order"]
DEMO_MODELS = [
    # name, families, backend, parameters, dim, license, open, base quality, benchmarks, dims, training data
    ("demo-dense-base", ["dense", "contrastive"], "dense", 109_000_000, 768, "MIT", True, 0.72, "bst", [64, 128, 256, 512], ["MS MARCO"]),
    ("demo-dense-large", ["dense", "contrastive"], "dense", 335_000_000, 1024, "Apache-2.0", True, 0.76, "bst", [128, 256], ["FiQA"]),
    ("demo-distilled-small", ["dense", "distilled"], "dense", 33_000_000, 384, "Apache-2.0", True, 0.66, "bst", None, []),
    ("demo-splade", ["sparse"], "splade", 110_000_000, None, "CC-BY-NC-SA-4.0", True, 0.70, "b", None, ["MS MARCO"]),
    ("demo-api-embedder", ["dense"], "dense", 1_300_000_000, 1536, "proprietary", False, 0.78, "bst", [256, 512, 1024], []),
    ("demo-multilingual", ["dense", "distilled"], "dense", 470_000_000, 768, "Apache-2.0", True, 0.64, "st", None, []),
    ("demo-clip-b32", ["contrastive"], "clip", 151_000_000, 512, "MIT", True, 0.60, "a", None, []),
    ("demo-negclip", ["contrastive"], "clip", 151_000_000, 512, "MIT", True, 0.70, "a", None, ["COCO"]),
]
TASK_RANGES = {"beir": (0.25, 0.75), "sts": (0.6, 0.88), "tatoeba": (0.3, 0.98), "aro": (0.45, 0.85)}
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def real_runs(db_url: str) -> None:
    env = {**os.environ, "LEADERBOARD_DB": db_url, "HF_HUB_OFFLINE": "1"}
    env.setdefault("LEADERBOARD_DATA_DIR", str(ROOT.parent / "shared" / "datasets"))
    for model, tasks in REAL_RUNS:
        print(f"leaderboard run {model} --tasks {tasks}", flush=True)
        subprocess.run([str(ROOT / ".venv" / "bin" / "leaderboard"), "run", model, "--tasks", tasks], env=env, check=True)


def demo_rows(db_url: str) -> None:
    """Synthetic, clearly named rows stored through the normal write path (record_run)."""
    from benchmarks.metrics.retrieval import MetricResult
    from benchmarks.registry import all_tasks
    from common.variants import variant_name
    from leaderboard.db import make_engine, session_factory
    from leaderboard.store import record_run
    from runners.manifest import build_manifest
    from runners.outcome import RunOutcome
    from submissions.schema import ModelConfig

    rng = random.Random(7)
    registry = all_tasks()
    make_session = session_factory(make_engine(db_url))
    groups = {"b": BEIR, "s": STS, "t": TATOEBA, "a": ARO}
    start = datetime(2025, 4, 1, tzinfo=UTC)
    for n, (name, families, backend, params, dim, license_, open_, quality, benches, dims, training) in enumerate(DEMO_MODELS):
        config = ModelConfig.model_validate(
            {
                "name": name,
                "family": families,
                "backend": backend,
                "description": DEMO_NOTE,
                "weights": {"path": f"/demo/{name}"},
                "dims": dims,
                "metadata": {
                    "parameters": params,
                    "embedding_dim": dim,
                    "license": license_,
                    "open_weights": open_,
                    "training_datasets": training,
                },
            }
        )
        for group in benches:
            for k, task_id in enumerate(groups[group]):
                task = registry.get(task_id)
                if task is None or rng.random() < 0.08:  # a few cells stay missing, as on a real board
                    continue
                low, high = TASK_RANGES[task.benchmark]
                main = round(low + (high - low) * min(1.0, max(0.0, quality + rng.gauss(0, 0.06))), 5)
                scores = {
                    metric: MetricResult(main if metric == task.main_score else round(min(1.0, main + rng.uniform(-0.05, 0.2)), 5), {})
                    for metric in task.metrics[:4]
                }
                variants = {}
                for i, d in enumerate(sorted(dims or [])):
                    variants[variant_name(d)] = {task.main_score: MetricResult(round(main * (0.86 + 0.1 * i / max(1, len(dims))), 5), {})}
                began = start + timedelta(days=n, minutes=k)
                described = {
                    "backend": backend,
                    "device": "cpu",
                    "demo": True,
                    "corpus_docs_per_s": round(4e10 / (params or 1e8), 1),
                }
                manifest = build_manifest(
                    config,
                    described=described,
                    data_sha256="demo",
                    data_files={},
                    phases={"encode_corpus": 12.0},
                    started=began,
                    finished=began + timedelta(seconds=30),
                    counts={},
                    extra={"demo": DEMO_NOTE},
                )
                outcome = RunOutcome(name, task_id, scores, manifest, began, began + timedelta(seconds=30), task.metric_spec, variants)
                with make_session() as session:
                    record_run(session, config, task, outcome, is_reference=False)


PAGES = [
    ("home.png", "/", None),
    ("benchmark-beir.png", "/benchmarks/beir", None),
    ("benchmark-filtered.png", "/benchmarks/sts?family=dense&open=1&sort=sts/stsb", 1000),
    ("model.png", "/models/all-MiniLM-L6-v2", 1700),
    ("run.png", "/runs/1", 1300),
    ("task.png", "/tasks/beir/scifact", 1100),
    ("compare.png", "/compare?benchmark=beir&model=bm25s-flat&model=demo-dense-base&model=demo-splade", 1300),
]


def screenshots(db_url: str) -> None:
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    from web import create_app

    server = make_server("127.0.0.1", 0, create_app(db_url), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=os.environ.get("LEADERBOARD_CHROMIUM", "/usr/bin/chromium"), args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": 1440, "height": 900}, device_scale_factor=1)
        for filename, path, height in PAGES:
            page.goto(base + path)
            page.wait_for_load_state("networkidle")
            page.evaluate("Promise.all([...document.images].map(i => i.decode().catch(() => null)))")
            full = page.evaluate("document.documentElement.scrollHeight")
            clip = {"x": 0, "y": 0, "width": 1440, "height": min(full, height or full)}
            page.screenshot(path=str(OUT / filename), full_page=True, clip=clip)
            print(f"wrote {OUT / filename} ({path})")
        browser.close()
    server.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", help="database URL for the screenshot board (default: a new temporary SQLite file)")
    parser.add_argument("--skip-runs", action="store_true", help="the database already holds the real runs")
    args = parser.parse_args()
    db_url = args.db or f"sqlite:///{Path(tempfile.mkdtemp(prefix='leaderboard-shots-')) / 'board.db'}"
    if not args.skip_runs:
        real_runs(db_url)
    demo_rows(db_url)
    screenshots(db_url)


if __name__ == "__main__":
    main()
