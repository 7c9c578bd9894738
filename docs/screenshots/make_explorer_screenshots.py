"""Screenshots of the per-query explorer (explorer.png, explorer-query.png): BM25 vs MiniLM on SciFact, real runs only.

1. Real runs into the database (``--db``, default a temporary SQLite file), through the CLI:
   ``leaderboard run bm25-flat --tasks beir/scifact`` and the same for all-MiniLM-L6-v2 (about
   8 minutes on a 2-core CPU with a cold embedding cache; needs the 'lucene' extra and
   LEADERBOARD_DATA_DIR, e.g. ../shared/datasets, which also gives the explorer its texts).
2. The site on a local port; the listing sorted by Δ, then the query where BM25 leads most.

    .venv/bin/python docs/screenshots/make_explorer_screenshots.py
    .venv/bin/python docs/screenshots/make_explorer_screenshots.py --db sqlite:////tmp/shots.db --skip-runs
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from make_screenshots import site_in_browser  # noqa: E402  (one server + chromium set-up for both scripts)

A, B, TASK = "bm25-flat", "all-MiniLM-L6-v2", "beir/scifact"


def real_runs(db_url: str) -> None:
    env = {**os.environ, "LEADERBOARD_DB": db_url, "HF_HUB_OFFLINE": "1"}
    env.setdefault("LEADERBOARD_DATA_DIR", str(ROOT.parent / "shared" / "datasets"))
    for model in (A, B):
        print(f"leaderboard run {model} --tasks {TASK}", flush=True)
        subprocess.run([sys.executable, "-m", "leaderboard.cli", "run", model, "--tasks", TASK], env=env, check=True, cwd=ROOT)


def screenshots(db_url: str) -> None:
    from web import create_app

    app = create_app(db_url)
    listing = f"/tasks/{TASK}/queries?a={A}&b={B}"
    top = app.test_client().get(f"/api/v1{listing}&limit=1").get_json()["items"][0]["id"]  # where A leads most
    pages = [("explorer.png", listing, 1250), ("explorer-query.png", f"/tasks/{TASK}/queries/item?a={A}&b={B}&q={top}", 1900)]
    with site_in_browser(app) as (page, base):
        for filename, path, height in pages:
            page.goto(base + path)
            page.wait_for_load_state("networkidle")
            full = page.evaluate("document.documentElement.scrollHeight")
            page.screenshot(path=str(HERE / filename), full_page=True, clip={"x": 0, "y": 0, "width": 1440, "height": min(full, height)})
            print(f"wrote {HERE / filename} ({path})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", help="database URL (default: a new temporary SQLite file)")
    parser.add_argument("--skip-runs", action="store_true", help="the database already holds both runs")
    args = parser.parse_args()
    db_url = args.db or f"sqlite:///{Path(tempfile.mkdtemp(prefix='leaderboard-explorer-shots-')) / 'board.db'}"
    if not args.skip_runs:
        real_runs(db_url)
    os.environ["LEADERBOARD_DB"] = db_url
    screenshots(db_url)


if __name__ == "__main__":
    main()
