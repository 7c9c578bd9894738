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

from benchmarks.tasks import Task, benchmark_module
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
        detail = "; ".join(
            [f"{key}: found {found:,}, published {want:,}" for key, (found, want) in differs.items() if found is not None]
            + ([report.note] if report.note else [])
        )
        status = DataStatus(task.id, state, str(folder), report.counts, report.sha256, detail)
    stamps[task.id] = {"signature": signature, "status": asdict(status)}
    _save_stamps(stamps)
    return status


def count_mismatch(task: Task, found: dict[str, int]) -> UserError | None:
    """The error for files whose size differs from what the benchmark publishes, or None when they agree."""
    differs = {key: want for key, want in task.expected_counts.items() if found.get(key) != want}
    if not differs:
        return None
    found_text = ", ".join(f"{found.get(key, 0):,} {key}" for key in differs)
    want_text = ", ".join(f"{want:,} {key}" for key, want in differs.items())
    return UserError(
        f"{task.id}: the files in {task.folder} hold {found_text}, but the benchmark publishes {want_text}; "
        f"replace them ('leaderboard data list' says where they come from)"
    )


def require_verified(task: Task) -> None:
    """Raise the one-line error a run of ``task`` would hit, unless its data is present and verified.

    ``leaderboard run`` calls this for every task before running any, so a bad second task
    stops the command before the first one is stored.  The result is remembered per file
    signature (see :func:`data_status`), so unchanged data is read once, not on every run.
    """
    status = data_status(task)
    if status.state == "verified":
        return
    module = benchmark_module(task.benchmark)
    if status.state == "missing" and module is not None:
        module.inspect(task)  # raises the loader's own message: which files to put where
    if status.state == "mismatch" and (error := count_mismatch(task, status.counts or {})) is not None:
        raise error
    raise UserError(status.detail or f"{task.id}: data {status.state} in {status.folder}; run 'leaderboard data verify {task.id}'")


def describe_counts(counts: dict | None) -> str:
    return ", ".join(f"{value:,} {key}" for key, value in (counts or {}).items()) or "-"
