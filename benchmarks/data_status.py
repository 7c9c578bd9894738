"""Is a task's data present, and does it match what the benchmark publishes?

"Verified" means: the files parse and hold exactly the published counts (documents and judged
queries for BEIR, pairs for STS, …).  Each benchmark says which files are missing
(``BENCHMARK.missing_files``) and loads them, which checks the counts (``BENCHMARK.load``:
:class:`~benchmarks.contract.DataMismatch` for other counts, any other ``UserError`` for files
that do not parse).  The result is remembered in
the cache dir, keyed by the size and modification time of every file in the task folder, so
``leaderboard data list`` re-reads a large corpus only when it changed.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from benchmarks.contract import DataMismatch, Task
from benchmarks.registry import find_benchmark
from common.errors import UserError
from common.settings import cache_dir


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
    benchmark = find_benchmark(task.benchmark)
    folder = task.folder
    missing = benchmark.missing_files(task) if benchmark else ["everything"]
    if missing:
        return DataStatus(task.id, "missing", str(folder), detail="missing: " + ", ".join(missing))
    signature = _signature(folder)
    stamps = _load_stamps()
    cached = stamps.get(task.id)
    if use_cache and cached and cached.get("signature") == signature:
        return DataStatus(**cached["status"])
    try:
        loaded = benchmark.load(task)  # type: ignore[union-attr]
    except DataMismatch as err:
        detail = "; ".join(
            [f"{key}: found {found:,}, published {want:,}" for key, (found, want) in err.differences().items() if found is not None]
            + ([err.note] if err.note else [])
        )
        status = DataStatus(task.id, "mismatch", str(folder), err.found, err.sha256, detail)
    except UserError as err:
        status = DataStatus(task.id, "corrupt", str(folder), detail=str(err))
    else:
        status = DataStatus(task.id, "verified", str(folder), loaded.counts, loaded.sha256, loaded.note)
    stamps[task.id] = {"signature": signature, "status": asdict(status)}
    _save_stamps(stamps)
    return status


def require_verified(task: Task) -> None:
    """Raise the one-line error a run of ``task`` would hit, unless its data is present and verified.

    ``leaderboard run`` calls this for every task before running any, so a bad second task
    stops the command before the first one is stored.  The result is remembered per file
    signature (see :func:`data_status`), so unchanged data is read once, not on every run.
    The errors are the contract's own: the loader's message for missing or corrupt files, and
    :class:`~benchmarks.contract.DataMismatch` for other counts.
    """
    status = data_status(task)
    if status.state == "verified":
        return
    benchmark = find_benchmark(task.benchmark)
    if status.state == "missing" and benchmark is not None:
        benchmark.load(task)  # raises the loader's own message: which files to put where
    if status.state == "mismatch":
        raise DataMismatch(task, status.counts or {}, sha256=status.sha256 or "")
    raise UserError(status.detail or f"{task.id}: data {status.state} in {status.folder}; run 'leaderboard data verify {task.id}'")


def describe_counts(counts: dict | None) -> str:
    return ", ".join(f"{value:,} {key}" for key, value in (counts or {}).items()) or "-"
