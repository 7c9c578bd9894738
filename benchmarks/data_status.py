"""Is a task's data present, and does it match what the benchmark publishes?

"Verified" means: the files parse and hold exactly the published numbers of documents and
judged queries.  The result is remembered in the cache dir, keyed by each file's size and
modification time, so ``leaderboard data list`` re-reads a large corpus only when it changed.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from benchmarks.beir.loader import load_split, required_files
from benchmarks.errors import UserError
from benchmarks.settings import cache_dir
from benchmarks.tasks import Task


@dataclass
class DataStatus:
    task: str
    state: str  # "missing" | "verified" | "mismatch" | "corrupt"
    folder: str
    docs: int | None = None
    queries: int | None = None
    sha256: str | None = None
    detail: str = ""


def _signature(files: dict[str, Path | None]) -> str:
    parts = []
    for role, path in sorted(files.items()):
        stat = path.stat() if path else None
        parts.append(f"{role}:{path}:{stat.st_size if stat else '-'}:{stat.st_mtime_ns if stat else '-'}")
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
    folder = task.folder
    files = required_files(folder, task.split)
    if any(path is None for path in files.values()):
        missing = [role for role, path in files.items() if path is None]
        return DataStatus(task.id, "missing", str(folder), detail="missing: " + ", ".join(missing))
    signature = _signature(files)
    stamps = _load_stamps()
    cached = stamps.get(task.id)
    if use_cache and cached and cached.get("signature") == signature:
        return DataStatus(**cached["status"])
    try:
        data = load_split(folder, task.split, task.id)
    except UserError as err:
        status = DataStatus(task.id, "corrupt", str(folder), detail=str(err))
    else:
        entry = task.beir
        expected = (entry.num_docs, entry.num_queries) if entry else None
        found = (len(data.corpus), len(data.queries))
        state = "verified" if expected is None or found == expected else "mismatch"
        detail = "" if state == "verified" else f"expected {expected[0]:,} docs / {expected[1]:,} queries"  # type: ignore[index]
        status = DataStatus(task.id, state, str(folder), found[0], found[1], data.sha256, detail)
    stamps[task.id] = {"signature": signature, "status": asdict(status)}
    _save_stamps(stamps)
    return status
