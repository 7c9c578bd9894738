"""The demo's progress record: a small JSON file in the cache dir that ``leaderboard demo`` writes and the site reads.

Why a file and not a table: the demo's runs go on in a child process while the site serves,
and the record is about this machine's demo, not about the board; a file in the cache dir needs
no migration, is never exported, and the site reads it without importing ``runners/``.  It is
written atomically (a temporary file renamed over it), so a page never reads half a record.

A record whose process is gone (the demo was stopped with Ctrl-C, or killed) is not shown: the
banner is only ever about a demo that is running now.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from common.settings import cache_dir

FILE_NAME = "demo-progress.json"


@dataclass
class DemoProgress:
    """Where the demo is: ``finished`` of ``total`` runs done, ``current`` running, and the time left.

    ``eta_s`` sums the estimates of the runs left that could be timed (see
    :func:`leaderboard.commands.demo.estimate_left`); ``untimed`` counts those that could not yet
    (no run of that model, nor of any model, on that benchmark has finished in this demo).
    """

    total: int
    finished: int = 0
    state: str = "running"  # "running" | "done" | "stopped"
    current_model: str | None = None
    current_task: str | None = None
    eta_s: float | None = None
    untimed: int = 0
    pid: int = field(default_factory=os.getpid)
    started_at: float = field(default_factory=time.time)
    updated_at: float = field(default_factory=time.time)


def progress_path() -> Path:
    return cache_dir() / FILE_NAME


def write_progress(progress: DemoProgress) -> None:
    """Replace the record (atomically); a cache dir that cannot be written only costs the banner."""
    progress.updated_at = time.time()
    path = progress_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{FILE_NAME}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(asdict(progress)), encoding="utf-8")
        tmp.replace(path)
    except OSError:
        pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    return True


def read_progress() -> DemoProgress | None:
    """The record of a demo that is running now, or None (no record, a finished demo, a stopped one, or a file that does not parse)."""
    try:
        raw = json.loads(progress_path().read_text(encoding="utf-8"))
        progress = DemoProgress(**raw)
    except (OSError, ValueError, TypeError):
        return None
    if progress.state != "running" or not _alive(int(progress.pid)):
        return None
    return progress


def minutes(seconds: float) -> str:
    """``about 7 min`` / ``under a minute``: an estimate is never shown to the second."""
    if seconds < 60:
        return "under a minute"
    return f"about {round(seconds / 60)} min"


def banner_text(progress: DemoProgress) -> str:
    """The one line every page shows while the demo runs."""
    parts = [f"Demo running: run {min(progress.finished + 1, progress.total)} of {progress.total}"]
    if progress.current_model and progress.current_task:
        parts[0] += f" ({progress.current_model} on {progress.current_task})"
    if progress.eta_s is not None:
        left = minutes(progress.eta_s) + " left"
        if progress.untimed:
            left += f", plus {progress.untimed} run{'s' if progress.untimed != 1 else ''} not timed yet"
        parts.append(left)
    elif progress.untimed:
        parts.append("time left known after the first runs")
    parts.append("the tables show what is stored so far; reload for more")
    return "; ".join(parts) + "."
