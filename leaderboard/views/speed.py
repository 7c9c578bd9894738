"""The board's speed column: encode throughput on the stated hardware, and what one document costs to store.

Per board row (a model on a benchmark), from the manifests of its current runs:

- ``docs_per_s``: documents (BEIR corpus) or sentences (STS, Tatoeba) encoded per second by a
  *cold* pass (``encode_pass`` of :mod:`runners.pass_meter`: a pass the embedding cache served
  is not an encode speed and is left out); older dense runs count when their cache had no hit.
  The row shows the median over its measured runs.
- ``bytes_per_doc``: a dense embedding's size (``embedding_dim`` × 4 bytes: every precision hands
  back float32 embeddings, :data:`common.variants.EMBEDDING_BYTES_PER_DIM`), or a sparse index's
  bytes over its documents (``index_bytes`` / ``counts.docs``; BM25 and SPLADE record it).
- ``hardware``: where it was measured, in words (the GPU, or the CPU model and core count); a
  row measured on more than one machine says so (``mixed``), and a sort by speed over rows of
  different hardware is flagged by the page (:func:`mixed_hardware`).

Why median and not mean: one task's corpus of long documents should not decide a row's speed.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from common.variants import EMBEDDING_BYTES_PER_DIM
from leaderboard import schema


@dataclass(frozen=True)
class Speed:
    docs_per_s: float | None
    bytes_per_doc: float | None
    machines: tuple[str, ...]  # where the throughputs were measured (hardware_label); empty when no run said
    runs: int  # runs whose throughput was measured

    @property
    def hardware(self) -> str:
        return ", ".join(self.machines)

    @property
    def mixed(self) -> bool:
        """This row's measured runs ran on different hardware."""
        return len(self.machines) > 1

    @property
    def tooltip(self) -> str:
        where = self.hardware or "unknown hardware"
        if self.mixed:
            where = f"several machines ({where})"
        rate = (
            f"{self.docs_per_s:,.1f} docs/s, median over {self.runs} cold encoding pass(es)"
            if self.docs_per_s
            else "throughput not measured"
        )
        size = f"{self.bytes_per_doc:,.0f} bytes per document" if self.bytes_per_doc else "size per document not recorded"
        return f"{rate} on {where}; {size}"


def hardware_label(hardware: Mapping | None) -> str:
    """A manifest's ``hardware`` in words: ``NVIDIA H100 (cuda)`` or ``Intel Xeon … (cpu, 2 cores)``."""
    if not isinstance(hardware, Mapping):
        return ""
    device = str(hardware.get("device") or "cpu")
    if hardware.get("gpu"):
        return f"{hardware['gpu']} ({device})"
    cpu = hardware.get("cpu_model") or hardware.get("processor") or hardware.get("machine") or "CPU"
    cores = hardware.get("cpu_count")
    return f"{cpu} ({device}{f', {cores} cores' if cores else ''})"


def positive(value: object) -> float | None:
    """A finite positive number, else None (an older manifest may hold Infinity, a hostile one anything)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        return None
    return float(value)


def cold_rate(manifest: Mapping) -> float | None:
    """Items encoded per second by a cold pass of this run, or None (not measured, or served by the cache)."""
    model = manifest.get("model") if isinstance(manifest.get("model"), Mapping) else {}
    encode_pass = model.get("encode_pass") or manifest.get("encode_pass")
    if isinstance(encode_pass, Mapping):
        return positive(encode_pass.get("docs_per_s")) if encode_pass.get("measured") == "cold pass" else None
    # runs before encode_pass, and SPLADE (no embedding cache): count it only when nothing came from a cache
    return positive(model.get("corpus_docs_per_s")) if model.get("cache_hits", 0) == 0 else None


def bytes_per_doc(manifest: Mapping) -> float | None:
    """A dense embedding's bytes (dim × 4), or a sparse index's bytes per document."""
    model = manifest.get("model") if isinstance(manifest.get("model"), Mapping) else {}
    dim = positive(model.get("embedding_dim") or manifest.get("embedding_dim"))
    if model.get("backend") == "dense" and dim is not None:
        return dim * EMBEDDING_BYTES_PER_DIM
    index_bytes = positive(model.get("index_bytes"))
    docs = positive((manifest.get("counts") or {}).get("docs")) if isinstance(manifest.get("counts"), Mapping) else None
    return index_bytes / docs if index_bytes is not None and docs is not None else None


def row_speed(manifests: Iterable[Mapping]) -> Speed | None:
    """One row's speed from its runs' manifests; None when no run measured anything."""
    rates, sizes, machines = [], [], []
    for manifest in manifests:
        rate, size = cold_rate(manifest), bytes_per_doc(manifest)
        if rate is not None:
            rates.append(rate)
            machines.append(hardware_label(manifest.get("hardware")))
        if size is not None:
            sizes.append(size)
    if not rates and not sizes:
        return None
    return Speed(
        docs_per_s=statistics.median(rates) if rates else None,
        bytes_per_doc=statistics.median(sizes) if sizes else None,
        machines=tuple(sorted(set(machines))),
        runs=len(rates),
    )


def board_speeds(session: Session, benchmark: str) -> dict[int, Speed]:
    """model id -> :class:`Speed` over the model's current runs on ``benchmark`` (models with nothing measured left out)."""
    stmt = (
        select(schema.CurrentResult.model_id, schema.Run.manifest)
        .join(schema.Run, schema.Run.id == schema.CurrentResult.run_id)
        .join(schema.Task, schema.Task.id == schema.CurrentResult.task_id)
        .where(schema.Task.benchmark == benchmark)
    )
    by_model: dict[int, list[Mapping]] = {}
    for model_id, manifest in session.execute(stmt):
        if isinstance(manifest, Mapping):
            by_model.setdefault(model_id, []).append(manifest)
    speeds = {model_id: row_speed(manifests) for model_id, manifests in by_model.items()}
    return {model_id: speed for model_id, speed in speeds.items() if speed is not None}


def mixed_hardware(speeds: Iterable[Speed]) -> list[str]:
    """The distinct machines behind these rows' throughputs: more than one means a sort by speed compares machines."""
    machines: set[str] = set()
    for speed in speeds:
        if speed.docs_per_s is not None:
            machines.update(machine for machine in speed.machines if machine)
    return sorted(machines)
