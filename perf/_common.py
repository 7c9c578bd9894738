"""Helpers shared by the perf scripts: timing, peak memory, the data dir."""

from __future__ import annotations

import os
import resource
import time
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def use_shared_data() -> Path:
    data = Path(os.environ.get("LEADERBOARD_DATA_DIR") or REPO.parent / "shared" / "datasets").resolve()
    os.environ["LEADERBOARD_DATA_DIR"] = str(data)
    return data


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextmanager
def timed(results: dict, name: str):
    start = time.perf_counter()
    yield
    results[name] = time.perf_counter() - start
