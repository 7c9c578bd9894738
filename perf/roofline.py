"""Roofline: how close dense and SPLADE encoding come to this machine's own fp32 matrix-multiply speed.

Peer ratios (perf/dense_scifact.py: 1.07x) say nothing about headroom when both pipelines spend
their time in the same BERT matrix products.  This script measures against the machine instead:

1. The roof: the best fp32 ``torch.matmul`` throughput of this process at its thread count
   (``torch.get_num_threads()``): a 2048^3 product and BERT-shaped ones
   (``tokens x 384 -> 1536`` and back, ``tokens x 128 -> 2048`` for SPLADE-tiny's decoder),
   best of several runs each; the roof is the best of them.
2. The work: the matrix-product FLOPs each pipeline executed (perf/flops.py), counted from the
   padded batches it actually ran (forward hooks record each call's input shape and attention
   mask) and the architecture in the model's config.json.  "Useful" FLOPs are the same terms
   without padding: the work any pipeline must do for those texts.
3. The speed: our encoders (runners.dense.DenseEncoder, runners.splade.SpladeRetriever.encode;
   the encoding of a cold run, without the embedding cache) and sentence-transformers
   (``SentenceTransformer(folder).encode`` / ``SparseEncoder``, same batch size) on the same
   texts, in this process.  Achieved GFLOP/s = FLOPs / wall time; % of the roof.
4. Where the time goes: for each workload where ours is under 85% of the roof, a torch.profiler
   pass over an even sample of its batches (the same texts, so the same shapes) splits the time
   into the work at the roof, padding, matrix products below the roof, the attention kernel,
   memory-bound elementwise ops (LayerNorm, GELU, adds, copies, the SPLADE max), framework
   overhead and tokenisation, and says which parts are inherent and which are ours.

A third row, "ours+tokbatch", runs our dense encoder with the batching prototype of
perf/prototypes.py (token-sorted batches within a token budget).

Workloads: all-MiniLM-L6-v2 on SciFact (an even sample of ``--scifact-docs`` documents, default
1,000 of 5,183, plus the 300 test queries; ``--scifact-docs all`` for the whole corpus), on
STS-B test (its distinct sentences) and on 5 small Tatoeba pairs (each pair's distinct
sentences, one encode call per pair as a run makes); splade-tiny on the same SciFact sample.
About 8 minutes on 2 idle cores; the machine's timings vary by +-20% between runs.

Usage: .venv/bin/python perf/roofline.py [--scifact-docs 1000|all] [--workloads minilm-scifact,...]
       [--no-st] [--no-profile] [--budget 2048]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from perf._common import use_shared_data
from perf.encode_meter import Meter
from perf.flops import ATTENTION_TERMS, LINEAR_TERMS, Batch, executed, matmul_flops, useful
from perf.roofline_pipelines import Group, Pipeline, build_pipelines

TARGET = 0.85  # under this share of the roof, the profile says where the rest goes
TATOEBA_PAIRS = ("tzl", "swg", "gsw", "ang", "cha")  # the five smallest pairs (104-137 lines)
WORKLOADS = ("minilm-scifact", "minilm-stsb", "minilm-tatoeba5", "splade-scifact")
PROFILE_BATCHES = 8  # batches per profiled workload, evenly spaced over the length order

GEMM_OPS = {"aten::addmm", "aten::mm", "aten::bmm", "aten::matmul", "aten::linear", "aten::baddbmm"}
ATTENTION_OPS = {
    "aten::_scaled_dot_product_flash_attention_for_cpu",
    "aten::_scaled_dot_product_attention_math",
    "aten::scaled_dot_product_attention",
    "aten::_softmax",
}


# ---------------------------------------------------------------- workloads


@dataclass
class Workload:
    name: str
    model: str  # reference model name (submissions/reference)
    groups: list[Group]  # the encode calls our run makes
    peer_groups: list[Group] | None = None  # the encode calls mteb.evaluate makes (STS, bitext: each side, duplicates kept)


def load_workloads(names: list[str], scifact_docs: dict[str, int | None]) -> list[Workload]:
    """The texts our runs encode for each workload, read as the runners read them (``BENCHMARK.load``, ``texts``)."""
    from benchmarks.registry import get_benchmark, get_task
    from runners.retrievers import flat_text
    from submissions.registry import resolve_model

    def loaded(task_id: str):
        task = get_task(task_id)
        benchmark = get_benchmark(task.benchmark)
        return task, benchmark, benchmark.load(task).data  # parsed, hashed, counts checked

    out = []
    scifact = None
    for name in names:
        model = "splade-tiny" if name.startswith("splade") else "all-MiniLM-L6-v2"
        config, _ = resolve_model(model)
        if name.endswith("scifact"):
            if scifact is None:
                scifact = loaded("beir/scifact")[2]
            ids = list(scifact.corpus)
            wanted = scifact_docs[name]
            if wanted is not None and wanted < len(ids):
                step = len(ids) / wanted  # an even sample keeps the corpus's length mix
                ids = [ids[int(i * step)] for i in range(wanted)]
            groups = [
                Group([flat_text(scifact.corpus[d]) for d in ids], config.document_prompt or ""),
                Group(list(scifact.queries.values()), config.query_prompt or ""),
            ]
        elif name == "minilm-stsb":
            task, benchmark, data = loaded("sts/stsb")
            pairs = data.pairs
            groups = [Group(list(dict.fromkeys(benchmark.texts(task, data))), config.query_prompt or "")]
            peer = [Group([p.sentence1 for p in pairs]), Group([p.sentence2 for p in pairs])]
        elif name == "minilm-tatoeba5":
            groups, peer = [], []
            for language in TATOEBA_PAIRS:
                task, benchmark, pair = loaded(f"tatoeba/{language}-eng")
                groups.append(Group(list(dict.fromkeys(benchmark.texts(task, pair))), config.query_prompt or ""))
                peer += [Group(pair.sentences), Group(pair.english)]
        else:
            raise SystemExit(f"unknown workload {name!r}; choose from {', '.join(WORKLOADS)}")
        out.append(Workload(name, model, groups, peer if name in ("minilm-stsb", "minilm-tatoeba5") else None))
    return out


# ---------------------------------------------------------------- the roof


def best_matmul(m: int, n: int, k: int, repeats: int = 7) -> float:
    """GFLOP/s of the fastest of ``repeats`` fp32 ``(m x k) @ (k x n)`` products (after one warm-up)."""
    import torch

    a, b = torch.randn(m, k), torch.randn(k, n)
    torch.matmul(a, b)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        torch.matmul(a, b)
        best = min(best, time.perf_counter() - start)
    return 2 * m * n * k / best / 1e9


def measure_roof() -> dict[str, float]:
    """The machine's fp32 matmul throughput at this process's thread count, by shape; ``roof`` is the best."""
    tokens = 64 * 128  # a batch of 64 texts of 128 tokens
    shapes = {
        "2048x2048x2048": (2048, 2048, 2048),
        f"{tokens}x384->1536 (FFN up)": (tokens, 1536, 384),
        f"{tokens}x1536->384 (FFN down)": (tokens, 384, 1536),
        f"{tokens}x384->1152 (QKV)": (tokens, 1152, 384),
        "4096x128->2048 (SPLADE decoder slice)": (4096, 2048, 128),
    }
    result = {name: best_matmul(*shape) for name, shape in shapes.items()}
    result["roof"] = max(result.values())
    return result


def thread_report() -> str:
    import torch

    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    env = {k: os.environ[k] for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "TOKENIZERS_PARALLELISM") if k in os.environ}
    threads = torch.get_num_threads()
    one = None
    if threads > 1:
        torch.set_num_threads(1)
        one = best_matmul(2048, 2048, 2048, repeats=3)
        torch.set_num_threads(threads)
    scaling = f", 1 thread {one:.1f} GFLOP/s on 2048^3" if one else ""
    return (
        f"threads: torch intra-op {threads}, inter-op {torch.get_num_interop_threads()}, usable cores {affinity}, "
        f"cpu_count {os.cpu_count()}, env {env or 'unset'}{scaling}; {torch.backends.cpu.get_cpu_capability()}, "
        f"MKL {torch.backends.mkl.is_available()}, oneDNN {torch.backends.mkldnn.is_available()}"
    )


# ---------------------------------------------------------------- measuring


@dataclass
class Measurement:
    pipeline: str
    seconds: float
    sections: dict[str, float]
    batches: list[Batch]
    executed: dict[str, int]
    useful: dict[str, int]
    outputs: list = field(repr=False, default_factory=list)
    index_batches: list = field(repr=False, default_factory=list)

    @property
    def executed_flops(self) -> int:
        return matmul_flops(self.executed)

    @property
    def useful_flops(self) -> int:
        return matmul_flops(self.useful)


def groups_of(pipeline: Pipeline, workload: Workload) -> list[Group]:
    return workload.peer_groups if pipeline.uses_peer_groups else workload.groups


def measure(pipeline: Pipeline, workload: Workload) -> Measurement:
    import torch

    meter = Meter()
    undo = pipeline.instrument(meter)
    try:
        with torch.inference_mode():
            start = time.perf_counter()
            outputs = [pipeline.encode(group) for group in groups_of(pipeline, workload)]
            seconds = time.perf_counter() - start
    finally:
        for fn in reversed(undo):
            fn()
    return Measurement(
        pipeline.label,
        seconds,
        dict(meter.seconds),
        meter.batches,
        executed(meter.batches, pipeline.count),
        useful(meter.batches, pipeline.count_useful),
        outputs,
        meter.index_batches,
    )


def warm_up(pipeline: Pipeline, workload: Workload) -> None:
    """A few texts through the pipeline first: oneDNN/MKL set-up and allocator growth are not the workload's."""
    texts = sorted(workload.groups[0].texts, key=len)
    pipeline.encode(Group(texts[-8:] + texts[:8], workload.groups[0].prompt))


def max_difference(ours: Measurement, other: Measurement, reference: Pipeline, pipeline: Pipeline) -> float:
    import numpy as np

    worst = 0.0
    for a, b in zip(ours.outputs, other.outputs, strict=True):
        worst = max(worst, float(np.abs(reference.as_dense(a) - pipeline.as_dense(b)).max()))
    return worst


def verify_flop_model(pipeline: Pipeline, workload: Workload) -> str:
    """Count one small encode call with torch's own FLOP counter and compare with perf/flops.py.

    ``torch.utils.flop_counter`` counts the matrix products that go through ``addmm``/``mm``
    (every linear layer, BERT's pooler, the MLM transform and decoder) but not the CPU flash
    attention kernel, so the attention products (``qk``, ``av``) are the one analytic-only term.
    A mismatch stops the script: every number after it would be wrong.
    """
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    if not pipeline.verifiable:
        return f"{pipeline.label} not checkable"
    texts = sorted(workload.groups[0].texts, key=len)
    group = Group(texts[-3:] + texts[:3], workload.groups[0].prompt)
    meter = Meter()
    undo = pipeline.instrument(meter)
    counter = FlopCounterMode(display=False)
    try:
        with torch.inference_mode(), counter:
            pipeline.encode(group)
    finally:
        for fn in reversed(undo):
            fn()
    ours = sum(v for k, v in executed(meter.batches, pipeline.count).items() if k in LINEAR_TERMS)
    torch_count = counter.get_total_flops()
    if ours != torch_count:
        raise SystemExit(
            f"FLOP model disagrees with torch.utils.flop_counter for {workload.name} / {pipeline.label}: {ours:,} vs {torch_count:,}"
        )
    return f"{pipeline.label} {ours:,}"


# ---------------------------------------------------------------- profiling


def op_category(name: str) -> str:
    if name in GEMM_OPS:
        return "gemm"
    if name in ATTENTION_OPS:
        return "attention"
    return "elementwise"


def profile_ours(pipeline: Pipeline, workload: Workload, measured: Measurement, roof: float) -> dict:
    """torch.profiler over an even sample of the run's own batches (the same texts, so the same
    shapes), each sampled batch weighted by the number of the run's batches it stands for."""
    import torch
    from torch.profiler import ProfilerActivity, profile

    flat = [(group, index) for group, batches in zip(workload.groups, measured.index_batches, strict=True) for index in batches]
    step = max(1, -(-len(flat) // PROFILE_BATCHES))
    by_category: dict[str, float] = defaultdict(float)
    by_op: dict[str, float] = defaultdict(float)
    weighted: list[Batch] = []
    wall = tokenise = 0.0
    sampled = 0
    for position in range(0, len(flat), step):
        group, index = flat[position]
        weight = len(flat[position : position + step])
        meter = Meter()
        undo = pipeline.instrument(meter)
        try:
            with torch.inference_mode(), profile(activities=[ProfilerActivity.CPU]) as prof:
                start = time.perf_counter()
                pipeline.encode(Group([group.texts[i] for i in index], group.prompt))
                elapsed = time.perf_counter() - start
        finally:
            for fn in reversed(undo):
                fn()
        sampled += 1
        wall += weight * elapsed
        tokenise += weight * meter.seconds.get("tokenise", 0.0)
        weighted += meter.batches * weight
        for event in prof.key_averages():
            if event.key.startswith("aten::"):
                seconds = weight * event.self_cpu_time_total / 1e6
                by_category[op_category(event.key)] += seconds
                by_op[event.key] += seconds
    exec_terms = executed(weighted, pipeline.count)
    useful_terms = useful(weighted, pipeline.count_useful)
    linear = sum(v for k, v in exec_terms.items() if k in LINEAR_TERMS)
    attention = sum(v for k, v in exec_terms.items() if k in ATTENTION_TERMS)
    at_roof = lambda flops: flops / (roof * 1e9)  # noqa: E731
    parts = {
        "work at the roof (useful FLOPs / roof)": at_roof(matmul_flops(useful_terms)),
        "padding (wasted FLOPs at the roof)": at_roof(matmul_flops(exec_terms) - matmul_flops(useful_terms)),
        "matrix products below the roof": by_category["gemm"] - at_roof(linear),
        "attention kernel (SDPA) below the roof": by_category["attention"] - at_roof(attention),
        "memory-bound elementwise ops": by_category["elementwise"],
        "outside torch ops (Python, modules, numpy/scipy)": max(0.0, wall - sum(by_category.values()) - tokenise),
        "tokenisation": tokenise,
    }
    return {
        "wall": wall,
        "parts": parts,
        "gemm_gflops": linear / max(by_category["gemm"], 1e-9) / 1e9,
        "attention_gflops": attention / max(by_category["attention"], 1e-9) / 1e9,
        "top": sorted(by_op.items(), key=lambda kv: -kv[1])[:8],
        "sampled": sampled,
        "of": len(flat),
    }


INHERENT = {
    "work at the roof (useful FLOPs / roof)": "the work itself",
    "padding (wasted FLOPs at the roof)": "ours: batching (see ours+tokbatch, ours+nested)",
    "matrix products below the roof": "shape-bound: inherent for the encoder; ours for SPLADE's per-text decoder products",
    "attention kernel (SDPA) below the roof": "inherent: eager SDPA on CPU",
    "memory-bound elementwise ops": "inherent in eager mode (LayerNorm, GELU, adds, head copies, SPLADE's max); fused kernels cut it",
    "outside torch ops (Python, modules, numpy/scipy)": "per-batch Python (pooling, copies to numpy/scipy) and eager module calls",
    "tokenisation": "ours: serial with the model, on the critical path",
}


# ---------------------------------------------------------------- report


def print_table(rows: list[list[str]], header: list[str]) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = lambda r: "  ".join(str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))  # noqa: E731
    print(line(header))
    for row in rows:
        print(line(row))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scifact-docs", default="500", help="SciFact documents for MiniLM (an even sample), or 'all'")
    parser.add_argument("--splade-docs", default="300", help="SciFact documents for splade-tiny (an even sample), or 'all'")
    parser.add_argument("--workloads", default=",".join(WORKLOADS), help=f"comma-separated, from {', '.join(WORKLOADS)}")
    parser.add_argument("--max-texts", type=int, default=None, help="cap each encode call's texts (a quick check, not a measurement)")
    parser.add_argument("--no-st", action="store_true", help="skip sentence-transformers")
    parser.add_argument("--no-profile", action="store_true", help="skip the profile of workloads under the target")
    parser.add_argument("--repeat", type=int, default=1, help="interleaved rounds per workload; each pipeline's fastest is kept")
    parser.add_argument("--budget", type=int, default=2048, help="token budget of the ours+tokbatch prototype")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    use_shared_data()
    import torch

    docs = {
        "minilm-scifact": None if args.scifact_docs == "all" else int(args.scifact_docs),
        "splade-scifact": None if args.splade_docs == "all" else int(args.splade_docs),
    }
    workloads = load_workloads([w for w in args.workloads.split(",") if w], docs)
    if args.max_texts:
        for workload in workloads:
            workload.groups = [Group(g.texts[: args.max_texts], g.prompt) for g in workload.groups]
            if workload.peer_groups:
                workload.peer_groups = [Group(g.texts[: args.max_texts], g.prompt) for g in workload.peer_groups]
    started = time.perf_counter()
    print(thread_report())
    roof_by_shape = measure_roof()
    roof = roof_by_shape.pop("roof")
    print(
        "fp32 matmul, best of 7:", "; ".join(f"{name} {value:.1f}" for name, value in roof_by_shape.items()), f"GFLOP/s -> roof {roof:.1f}"
    )

    results: list[tuple[Workload, list[Pipeline], list[Measurement]]] = []
    built: dict[str, list[Pipeline]] = {}
    for workload in workloads:
        if workload.model not in built:
            built[workload.model] = build_pipelines(workload.model, not args.no_st, args.budget)
        pipelines = [p for p in built[workload.model] if not p.uses_peer_groups or workload.peer_groups]
        checked = [verify_flop_model(pipeline, workload) for pipeline in pipelines]
        print(f"  {workload.name}: linear-layer FLOPs of 6 texts equal torch.utils.flop_counter's ({'; '.join(checked)})")
        for pipeline in pipelines:
            warm_up(pipeline, workload)
        load = os.getloadavg()[0]
        measured = [None] * len(pipelines)
        for round_ in range(args.repeat):  # interleaved rounds, fastest kept: a busy neighbour slows one round, not one pipeline
            order = list(range(len(pipelines)))
            order = order[round_ % len(order) :] + order[: round_ % len(order)]
            for i in order:
                m = measure(pipelines[i], workload)
                if measured[i] is None or m.seconds < measured[i].seconds:
                    measured[i] = m
        results.append((workload, pipelines, measured))
        times = ", ".join(f"{m.pipeline} {m.seconds:.1f}s" for m in measured)
        print(f"  {workload.name}: {times} (load average {load:.1f} before, {os.getloadavg()[0]:.1f} after)", flush=True)

    print(f"\nRoofline (fp32, {torch.get_num_threads()} threads, roof {roof:.1f} GFLOP/s; FLOPs = matrix products, perf/flops.py)")
    header = ["workload", "pipeline", "texts", "batches", "padded tok", "real tok", "exec GFLOP", "useful GFLOP", "time s"]
    header += ["tokenise s", "forward s", "GFLOP/s", "% roof", "useful GFLOP/s", "useful % roof", "max |diff|"]
    rows = []
    for workload, pipelines, measured in results:
        for pipeline, m in zip(pipelines, measured, strict=True):
            if pipeline.uses_peer_groups:
                diff = "-"  # other texts per call: compared through the scores in perf/sts_tatoeba.py
            else:
                diff = f"{max_difference(measured[0], m, pipelines[0], pipeline):.1e}" if m is not measured[0] else "0"
            rows.append(
                [
                    workload.name,
                    m.pipeline,
                    sum(len(g.texts) for g in groups_of(pipeline, workload)),
                    len(m.batches),
                    sum(b.positions for b in m.batches),
                    sum(b.real_tokens for b in m.batches),
                    f"{m.executed_flops / 1e9:.0f}",
                    f"{m.useful_flops / 1e9:.0f}",
                    f"{m.seconds:.2f}",
                    f"{m.sections.get('tokenise', 0):.2f}",
                    f"{m.sections.get('forward', 0):.2f}",
                    f"{m.executed_flops / m.seconds / 1e9:.1f}",
                    f"{100 * m.executed_flops / m.seconds / 1e9 / roof:.0f}%",
                    f"{m.useful_flops / m.seconds / 1e9:.1f}",
                    f"{100 * m.useful_flops / m.seconds / 1e9 / roof:.0f}%",
                    diff,
                ]
            )
    print_table(rows, header)
    for workload, _pipelines, measured in results:
        for m in measured:
            extra = {k: round(v, 2) for k, v in m.sections.items() if k not in ("tokenise", "forward")}
            if extra:
                print(f"  {workload.name} {m.pipeline}, other sections (s): {extra}")
        terms = measured[0].executed
        total = sum(terms.values())
        print(f"  {workload.name} ours, executed FLOPs by term: " + ", ".join(f"{k} {100 * v / total:.1f}%" for k, v in terms.items() if v))

    if not args.no_profile:
        for workload, pipelines, measured in results:
            ours = measured[0]
            share = ours.useful_flops / ours.seconds / 1e9 / roof
            if share >= TARGET:
                continue
            report = profile_ours(pipelines[0], workload, ours, roof)
            print(
                f"\nWhere the time goes: {workload.name}, ours at {100 * share:.0f}% of the roof (useful FLOPs); "
                f"torch.profiler over {report['sampled']} of {report['of']} batches, each standing for its neighbours"
            )
            print(f"  the sampled batches took {report['wall']:.1f} s extrapolated to the run (timed run: {ours.seconds:.1f} s)")
            print(
                f"  matrix products run at {report['gemm_gflops']:.1f} GFLOP/s ({100 * report['gemm_gflops'] / roof:.0f}% of the roof), "
                f"the attention kernel at {report['attention_gflops']:.1f} GFLOP/s"
            )
            print_table(
                [[name, f"{100 * value / report['wall']:.1f}%", INHERENT[name]] for name, value in report["parts"].items()],
                ["share of the sampled wall time", "%", "inherent or ours"],
            )
            print(
                "  heaviest ops (self time, extrapolated s): " + ", ".join(f"{k.removeprefix('aten::')} {v:.2f}" for k, v in report["top"])
            )
    print(f"\nroofline.py done in {time.perf_counter() - started:.0f} s; load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
