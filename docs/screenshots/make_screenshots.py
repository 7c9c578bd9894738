"""Regenerate the screenshots in docs/screenshots/ with Debian's headless chromium.

1. Real runs into a fresh database (``--db``, default a temporary SQLite file), through the CLI:
   ``leaderboard run bm25s-flat --tasks beir/scifact`` and MiniLM on two STS and two Tatoeba
   tasks (about 5 minutes on a 2-core CPU; needs LEADERBOARD_DATA_DIR, e.g. ../shared/datasets).
2. DEMO rows on top, so that every benchmark, filter and plot has something to show: models
   named ``demo-*``, whose description says they are synthetic.  They exist only in this
   screenshot database, never in the project's database or in any test's expected values.
3. The site on a local port, one PNG of every page (``PAGES``: home, the four benchmarks, the
   Tatoeba board scrolled sideways, tasks, a task, models, a model, a run, compare, about,
   submit, submissions) and one of every plot those pages show (``plot-*.png``, the figure
   itself as the site serves it).

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
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

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
TATOEBA = "all"  # every registered pair: the 112-column board and its capped per-dataset chart
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
        # this checkout's code with the running interpreter (a worktree has no .venv of its own)
        subprocess.run([sys.executable, "-m", "leaderboard.cli", "run", model, "--tasks", tasks], env=env, check=True, cwd=ROOT)


def query_ids(db_url: str) -> dict[str, list[str]]:
    """task id -> the item ids of a real run's main score, so demo rows pair with it on the compare page."""
    from sqlalchemy import select

    from leaderboard import schema
    from leaderboard.db import make_engine, session_factory

    with session_factory(make_engine(db_url))() as session:
        stmt = (
            select(schema.Run.task_id, schema.Score.per_query)
            .join(schema.Score, schema.Score.run_id == schema.Run.id)
            .join(schema.Task, schema.Task.id == schema.Run.task_id)
            .where(schema.Score.metric == schema.Task.main_score, schema.Score.variant == "")
        )
        return {task_id: sorted(per_query) for task_id, per_query in session.execute(stmt) if isinstance(per_query, dict) and per_query}


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
    tatoeba = [t for t in registry if t.startswith("tatoeba/")]
    groups = {"b": BEIR, "s": STS, "t": tatoeba, "a": ARO}
    real_items = query_ids(db_url)
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
                # a few cells stay missing, as on a real board; none of Tatoeba's 112, or no row would be complete
                if task is None or (rng.random() < 0.08 and group != "t"):
                    continue
                low, high = TASK_RANGES[task.benchmark]
                main = round(low + (high - low) * min(1.0, max(0.0, quality + rng.gauss(0, 0.06))), 5)
                per_item = {}
                if task.benchmark in ("beir", "tatoeba"):  # a mean of per-item values: the compare page's tests need them
                    items = real_items.get(task_id) or [f"demo-q{i}" for i in range(60)]
                    per_item = {q: min(1.0, max(0.0, main + rng.gauss(0, 0.25))) for q in items}
                    main = round(sum(per_item.values()) / len(per_item), 5)
                scores = {
                    metric: MetricResult(main if metric == task.main_score else round(min(1.0, main + rng.uniform(-0.05, 0.2)), 5), {})
                    for metric in task.metrics[:4]
                }
                scores[task.main_score] = MetricResult(main, per_item)
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


PAGES = [  # file, path, height to keep (None: the whole page), horizontal scroll of the first table (0..1)
    ("home.png", "/", None, 0),
    ("benchmark-beir.png", "/benchmarks/beir", None, 0),
    ("benchmark-sts.png", "/benchmarks/sts", None, 0),
    ("benchmark-tatoeba.png", "/benchmarks/tatoeba", None, 0),
    ("benchmark-tatoeba-scrolled.png", "/benchmarks/tatoeba", 900, 0.6),
    ("benchmark-aro.png", "/benchmarks/aro", None, 0),
    ("benchmark-filtered.png", "/benchmarks/sts?family=dense&open=1&sort=sts/stsb", 1000, 0),
    ("tasks.png", "/tasks/", 1400, 0),
    ("task.png", "/tasks/beir/scifact", 1100, 0),
    ("models.png", "/models/?q=demo", None, 0),
    ("model.png", "/models/all-MiniLM-L6-v2", 1700, 0),
    ("model-bm25.png", "/models/bm25s-flat", 1200, 0),
    ("model-demo.png", "/models/demo-dense-base", 1500, 0),
    ("run.png", "/runs/1", 1300, 0),
    ("compare.png", "/compare?benchmark=beir&model=demo-dense-base&model=demo-dense-large&model=demo-splade&model=bm25s-flat", None, 0),
    ("about.png", "/about", 1400, 0),
    ("submit.png", "/submit", None, 0),
    ("submissions.png", "/submissions", None, 0),
]


@contextmanager
def site_in_browser(app) -> Iterator[tuple[object, str]]:
    """``app`` served on a free local port and a headless Debian chromium page (1440×900): (page, base URL).
    Shared by both screenshot scripts."""
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=os.environ.get("LEADERBOARD_CHROMIUM", "/usr/bin/chromium"), args=CHROMIUM_ARGS
            )
            try:
                yield (
                    browser.new_page(viewport={"width": 1440, "height": 900}, device_scale_factor=1),
                    f"http://127.0.0.1:{server.server_port}",
                )
            finally:
                browser.close()
    finally:
        server.shutdown()


def screenshots(db_url: str, out: Path = OUT) -> None:
    from web import create_app

    with site_in_browser(create_app(db_url)) as (page, base):
        plots_seen: set[str] = set()
        for filename, path, height, scroll in PAGES:
            response = page.goto(base + path)
            if response is None or response.status != 200:  # e.g. --skip-runs on a board without MiniLM's runs
                print(f"skipped {filename}: {path} answered {response.status if response else 'nothing'}")
                continue
            page.wait_for_load_state("networkidle")
            for image in page.locator("img").all():  # lazy images: bring each into view so it loads
                image.scroll_into_view_if_needed()
            page.evaluate("window.scrollTo(0, 0)")
            page.evaluate("Promise.all([...document.images].map(i => i.decode().catch(() => null)))")
            if scroll:
                wrap = page.locator(".table-wrap").first
                wrap.evaluate("(w, f) => { w.scrollLeft = f * (w.scrollWidth - w.clientWidth); }", scroll)
            full = page.evaluate("document.documentElement.scrollHeight")
            clip = {"x": 0, "y": 0, "width": 1440, "height": min(full, height or full)}
            page.screenshot(path=str(out / filename), full_page=True, clip=clip)
            print(f"wrote {out / filename} ({path})")
            for src in page.locator("img[src*='/plots/']").evaluate_all("images => images.map(i => i.getAttribute('src'))"):
                if src in plots_seen:  # the same figure on two screenshots of one page
                    continue
                plots_seen.add(src)
                stem, kind = filename.removesuffix(".png"), src.split("/plots/")[1].split(".png")[0]
                benchmark = parse_qs(urlsplit(src).query).get("benchmark", [""])[0]
                name = f"plot-{stem}-{kind}" + (f"-{benchmark}" if benchmark and benchmark not in stem else "") + ".png"
                (out / name).write_bytes(page.request.get(base + src).body())
                print(f"wrote {out / name} ({src})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", help="database URL for the screenshot board (default: a new temporary SQLite file)")
    parser.add_argument("--skip-runs", action="store_true", help="the database already holds the real runs")
    parser.add_argument("--out", type=Path, default=OUT, help="folder for the PNGs (default: docs/screenshots/)")
    args = parser.parse_args()
    db_url = args.db or f"sqlite:///{Path(tempfile.mkdtemp(prefix='leaderboard-shots-')) / 'board.db'}"
    if not args.skip_runs:
        real_runs(db_url)
    demo_rows(db_url)
    args.out.mkdir(parents=True, exist_ok=True)
    screenshots(db_url, args.out)


if __name__ == "__main__":
    main()
