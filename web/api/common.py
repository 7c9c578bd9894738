"""What every endpoint shares: cached JSON bodies, checked query arguments, paging links."""

from __future__ import annotations

from collections.abc import Callable

from flask import Response, abort, request, url_for

from leaderboard.serialize import dumps
from web.cache import memo

MAX_LIMIT = 10_000


def cached_json(build: Callable[[], object]) -> Response:
    """Serialize once per (data version, full URL); the response cache then serves it."""
    return Response(dumps(build(), default=str, ensure_ascii=False), mimetype="application/json")


def int_arg(name: str, default: int, high: int, low: int = 0) -> int:
    """An integer query argument, ``low`` or more (a limit is at least 1: limit=0 would page forever)."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:  # also an integer of more than 4,300 digits
        abort(400, description=f"{name} must be an integer, got {raw[:40]!r}")
    if value < low:
        abort(400, description=f"{name} must be ≥ {low}")
    return min(value, high)


def bool_arg(name: str, default: bool) -> bool:
    raw = request.args.get(name)
    if raw is None:
        return default
    return raw.lower() in {"1", "true", "yes", "on"}


def total_cached(what: str) -> Callable[[Callable[[], int]], int]:
    """Cache a listing's total per data version and filters (not per page): counting is a full scan."""
    filters = tuple(sorted((k, v) for k, v in request.args.items(multi=True) if k not in {"limit", "offset"}))
    return lambda count: memo(("total", what, filters), count)


MAX_OFFSET = 10**9


def page_args(default_limit: int, max_limit: int = MAX_LIMIT) -> tuple[int, int]:
    """A paged list's ``limit`` (1 to ``max_limit``) and ``offset``, read one way for every collection."""
    return int_arg("limit", default_limit, max_limit, low=1), int_arg("offset", 0, MAX_OFFSET)


def next_url(total: int, limit: int, offset: int) -> str | None:
    """The URL of the next page, or None on the last one."""
    if offset + limit >= total:
        return None
    args = request.args.to_dict(flat=False)
    args["offset"] = [str(offset + limit)]
    args["limit"] = [str(limit)]
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def iso(moment) -> str | None:
    return moment.isoformat() if moment else None
