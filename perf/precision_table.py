"""Quality vs throughput per precision: one run of a model with ``precisions`` on a few tasks, as a table.

Runs the reference config (default all-MiniLM-L6-v2) with every precision this machine can run
added as ``precisions:``, through the same runners as ``leaderboard run`` (one session, an empty
embedding cache, so every pass is cold), and prints per task and precision: the main score, its
difference from fp32, docs/s and tokens/s of that precision's own encoding pass, and the peak RSS
sampled during that pass (``runners/pass_meter.py``).  A precision the machine cannot run is
listed with the one-line reason (``runners/precision.py``).

Usage: .venv/bin/python perf/precision_table.py [--model all-MiniLM-L6-v2] [--tasks beir/scifact,sts/stsb]
       [--precisions bf16,int8,fp16] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from perf._common import use_shared_data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="all-MiniLM-L6-v2")
    parser.add_argument("--tasks", default="beir/scifact,sts/stsb")
    parser.add_argument("--precisions", default="bf16,int8,fp16")
    parser.add_argument("--json", default=None, help="also write the rows as JSON here")
    parser.add_argument(
        "--cache-dir",
        default=None,
        help="reuse this embedding cache (a cold fp32 run's): fp32 is read from it, the precisions still encode cold; "
        "fp32's docs/s is then not measured (–); default: an empty cache, every pass cold",
    )
    args = parser.parse_args()
    use_shared_data()
    os.environ["LEADERBOARD_CACHE_DIR"] = args.cache_dir or tempfile.mkdtemp(prefix="precision-table-")

    from benchmarks.registry import get_task
    from common.errors import UserError
    from runners.device import best_device
    from runners.execute import run_task
    from runners.precision import check_precisions
    from runners.session import ModelSession
    from submissions.registry import resolve_model

    device = best_device()
    runnable, refused = [], {}
    for precision in args.precisions.split(","):
        try:
            check_precisions(args.model, [precision], device)
            runnable.append(precision)
        except UserError as err:
            refused[precision] = str(err)
    config, _ = resolve_model(args.model)
    session = ModelSession(config.model_copy(update={"precisions": runnable or None}))
    rows = []
    for task_id in args.tasks.split(","):
        task = get_task(task_id)
        outcome = run_task(session, task)
        manifest = outcome.manifest
        fp32_pass = manifest["model"].get("encode_pass") or manifest.get("encode_pass") or {}
        fp32 = outcome.scores[task.main_score].value
        rows.append({"task": task_id, "precision": "fp32", "metric": task.main_score, "score": fp32, **_pass(fp32_pass)})
        for precision in runnable:
            record = manifest["precision_variants"][precision]
            score = outcome.variant_scores[precision][task.main_score].value
            rows.append({"task": task_id, "precision": precision, "metric": task.main_score, "score": score, **_pass(record)})
        for precision, why in refused.items():
            rows.append({"task": task_id, "precision": precision, "metric": task.main_score, "cannot_run": why})
    hardware = manifest["hardware"]
    print(f"hardware: {hardware}")
    print("| task | precision | main score | Δ vs fp32 | docs/s | tokens/s | peak RSS of the pass (MB) |")
    print("|---|---|---|---|---|---|---|")
    fp32_of = {row["task"]: row["score"] for row in rows if row["precision"] == "fp32"}
    for row in rows:
        if "cannot_run" in row:
            print(f"| {row['task']} | {row['precision']} | cannot run here: {row['cannot_run']} | | | | |")
            continue
        delta = row["score"] - fp32_of[row["task"]]
        cold = row["measured"] == "cold pass"  # a pass the cache served measures the cache, not the model
        rate, tokens = (row["docs_per_s"], row["tokens_per_s"]) if cold else ("– (cached)", "–")
        score = f"{row['metric']} {row['score']:.5f}"
        print(f"| {row['task']} | {row['precision']} | {score} | {delta:+.5f} | {rate} | {tokens} | {row['peak_rss_mb']} |")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump({"hardware": hardware, "rows": rows}, handle, indent=1)


def _pass(record: dict) -> dict:
    keys = ("docs_per_s", "tokens_per_s", "peak_rss_mb", "start_rss_mb", "seconds", "encoded", "texts", "measured")
    return {key: record.get(key) for key in keys}


if __name__ == "__main__":
    main()
