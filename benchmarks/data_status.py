"""Is a task's data present, and does it match what the benchmark publishes?

"Verified" means: the files parse and hold exactly the published counts (documents and judged
queries for BEIR, pairs for STS, …).  Each benchmark's ``tasks.py`` says which files are
missing (``missing_files``) and counts what it finds (``inspect``).  The result is remembered in
the cache dir, keyed by the size and modification time of every file in the task folder, so
``leaderboard data list`` re-reads a large corpus only when it changed.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from benchmarks.errors import UserError
from benchmarks.settings import cache_dir
from benchmarks.tasks import Task, benchmark_module


@dataclass
class DataStatus:
    task: str
    state: str  # "missing" | "verified" | "mismatch" | "corrupt"
    folder: str
    counts: dict | None = None
    sha256: str | None = None
    detail: str = ""


def _signature(folder: Path) -> str:
    parts = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        stat = path.stat()
        parts.append(f"{path}:{stat.st_size}:{stat.st_mtime_ns}")
    return "|".join(parts)


def _stamp_file() -> Path:
    return cache_dir() / "verified.json"


def _load_stamps() -> dict:
    try:
        return json.loads(_stamp_file().read_text())
    except (OSError, json.JSONDecodeError):
        return {}


def _save_stamps(stamps: dict) -> None:
    path = _stamp_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(stamps, indent=1))
        tmp.replace(path)
    except OSError:
        pass  # a read-only cache only costs a re-verification next time


def data_status(task: Task, *, use_cache: bool = True) -> DataStatus:
    module = benchmark_module(task.benchmark)
    folder = task.folder
    missing = module.missing_files(task) if module else ["everything"]
    if missing:
        return DataStatus(task.id, "missing", str(folder), detail="missing: " + ", ".join(missing))
    signature = _signature(folder)
    stamps = _load_stamps()
    cached = stamps.get(task.id)
    if use_cache and cached and cached.get("signature") == signature:
        return DataStatus(**cached["status"])
    try:
        report = module.inspect(task)  # type: ignore[union-attr]
    except UserError as err:
        status = DataStatus(task.id, "corrupt", str(folder), detail=str(err))
    else:
        expected = task.expected_counts
        differs = {key: (report.counts.get(key), value) for key, value in expected.items() if report.counts.get(key) != value}
        state = "mismatch" if differs else "verified"
        detail = "; ".join(f"{key}: found {found:,}, published {want:,}" for key, (found, want) in differs.items() if found is not None)
        status = DataStatus(task.id, state, str(folder), report.counts, report.sha256, detail)
    stamps[task.id] = {"signature": signature, "status": asdict(status)}
    _save_stamps(stamps)
    return status


def describe_counts(counts: dict | None) -> str:
    return ", ".join(f"{value:,} {key}" for key, value in (counts or {}).items()) or "-"
