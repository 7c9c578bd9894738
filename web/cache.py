"""Caches keyed by the data version (:func:`leaderboard.views.snapshot.data_version`).

Everything derived from the database (the snapshot, filtered tables, plot PNGs) is stored under
``(data version, key)``.  Each request reads the version once (a few aggregate lookups); when a
run or model is written the version changes and every old entry is dropped at once.  Nothing
expires by time, so a page is never stale and never rebuilt needlessly.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from flask import Response, current_app, g, make_response, request

from leaderboard.views.snapshot import Snapshot, data_version, load_snapshot, refresh_snapshot
from web.banner import demo_banner
from web.confidence import RunStatsCache


class ByteLRU:
    """Values whose first element is ``bytes``, bounded by their total size, least-recently-used out first.

    Not thread-safe on its own: :class:`VersionedCache` calls it under its lock.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.items: OrderedDict[Any, tuple] = OrderedDict()
        self.size = 0

    def get(self, key: Any) -> tuple | None:
        hit = self.items.get(key)
        if hit is not None:
            self.items.move_to_end(key)
        return hit

    def put(self, key: Any, value: tuple) -> None:
        size = len(value[0])
        if size > self.max_bytes // 4:  # one huge value must not flush everything else
            return
        old = self.items.pop(key, None)
        if old is not None:
            self.size -= len(old[0])
        self.items[key] = value
        self.size += size
        while self.size > self.max_bytes:
            _, evicted = self.items.popitem(last=False)
            self.size -= len(evicted[0])

    def clear(self) -> None:
        self.items.clear()
        self.size = 0


class VersionedCache:
    """Derived values (``memo``), finished responses (``get_response``) and plot images (``get_plot``), for one data version.

    Values are bounded by count, responses and plots by total bytes, each least-recently-used
    first.  Plots have their own, smaller budget: anyone can ask for a figure of any filter
    combination, and those must never push the board tables and pages out of the cache.
    ``run_stats`` (confidence intervals and paired tests, keyed by run ids) is not tied to a
    version: a stored run's per-item values never change, so it survives new runs.
    """

    def __init__(self, max_entries: int = 512, max_response_bytes: int = 64 * 1024 * 1024, max_plot_bytes: int = 16 * 1024 * 1024) -> None:
        self.max_entries = max_entries
        self._lock = threading.RLock()
        self._version: tuple | None = None
        self._snapshot: Snapshot | None = None
        self._entries: OrderedDict[Any, Any] = OrderedDict()
        self._responses = ByteLRU(max_response_bytes)
        self.plots = ByteLRU(max_plot_bytes)
        self._previous: Snapshot | None = None  # kept across versions, for incremental refresh
        self._build_lock = threading.Lock()
        self.run_stats = RunStatsCache()

    def clear(self) -> None:
        """Forget everything (the next request reads the database from scratch)."""
        with self._lock:
            self._version = None
            self._previous = None
            self._sync(None)
        self.run_stats.clear()

    def clear_responses(self) -> None:
        """Drop finished responses only (derived data stays): for measuring render cost."""
        with self._lock:
            self._responses.clear()

    def _sync(self, version: tuple | None) -> None:
        if version != self._version or version is None:
            self._version = version
            self._snapshot = None
            self._entries.clear()
            self._responses.clear()
            self.plots.clear()

    def get_response(self, version: tuple, key: Any) -> tuple[bytes, str, dict] | None:
        with self._lock:
            self._sync(version)
            return self._responses.get(key)

    def put_response(self, version: tuple, key: Any, value: tuple[bytes, str, dict]) -> None:
        with self._lock:
            if self._version == version:
                self._responses.put(key, value)

    def get_plot(self, version: tuple, key: Any) -> bytes | None:
        with self._lock:
            self._sync(version)
            hit = self.plots.get(key)
            return hit[0] if hit is not None else None

    def put_plot(self, version: tuple, key: Any, png: bytes) -> None:
        with self._lock:
            if self._version == version:
                self.plots.put(key, (png,))

    def snapshot(self, session, version: tuple) -> Snapshot:
        """The snapshot at ``version``: cached, or refreshed from the previous one (only new runs are read)."""
        with self._lock:
            self._sync(version)
            if self._snapshot is not None:
                return self._snapshot
            previous = self._previous
        with self._build_lock:  # one reader rebuilds; concurrent requests wait for it
            with self._lock:
                if self._snapshot is not None and self._version == version:
                    return self._snapshot
            built = refresh_snapshot(session, previous, version) if previous is not None else load_snapshot(session, version)
            with self._lock:
                self._previous = built
                if self._version == version:
                    self._snapshot = built
            return built

    def memo(self, version: tuple, key: Any, build: Callable[[], Any]) -> Any:
        """The cached value for ``key`` at ``version``, built (once) if missing."""
        with self._lock:
            self._sync(version)
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        value = build()
        with self._lock:
            if self._version == version:
                self._entries[key] = value
                while len(self._entries) > self.max_entries:
                    self._entries.popitem(last=False)
        return value


def cache() -> VersionedCache:
    return current_app.extensions["leaderboard_cache"]


def db_session():
    if "db_session" not in g:
        g.db_session = current_app.config["SESSION_FACTORY"]()
    return g.db_session


def version() -> tuple:
    if "data_version" not in g:
        g.data_version = data_version(db_session())
    return g.data_version


def snapshot() -> Snapshot:
    return cache().snapshot(db_session(), version())


def memo(key: Any, build: Callable[[], Any]) -> Any:
    return cache().memo(version(), key, build)


def run_stats() -> RunStatsCache:
    return cache().run_stats


KEPT_HEADERS = ("Content-Disposition",)


def cached_response(view: Callable) -> Callable:
    """Serve a GET view's successful responses from the cache until the data version changes.

    The key is the full URL (path and query string), so every filtered, sorted or paged view
    and every download is cached on its own; so is each text of the demo's banner (web/banner.py).
    Errors are never cached.
    """

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        key = ("response", request.path, request.query_string, demo_banner())
        current = version()
        hit = cache().get_response(current, key)
        if hit is not None:
            body, mimetype, headers = hit
            return Response(body, mimetype=mimetype, headers=headers)
        response = make_response(view(*args, **kwargs))
        if response.status_code == 200 and not response.direct_passthrough:
            headers = {name: response.headers[name] for name in KEPT_HEADERS if name in response.headers}
            cache().put_response(current, key, (response.get_data(), response.mimetype, headers))
        return response

    return wrapper
