"""What several pages share: the sort arguments and the filter form's choices."""

from __future__ import annotations

from flask import request

from leaderboard.views.snapshot import Snapshot
from web.filters import FAMILIES, SIZE_BUCKETS, SIZE_UNKNOWN


def sort_args() -> tuple[str, str]:
    """``sort`` and ``order`` from the URL (model names sort ascending by default, numbers descending)."""
    sort = request.args.get("sort", "")
    order = request.args.get("order", "asc" if sort == "model" else "desc")
    return sort, ("asc" if order == "asc" else "desc")


def filter_choices(snap: Snapshot) -> dict:
    """The values the filter form offers: families, size buckets and the licences on the board."""
    return {
        "families": FAMILIES,
        "sizes": [(key, label) for key, label, *_ in SIZE_BUCKETS] + [SIZE_UNKNOWN],
        "licenses": sorted(snap.licenses, key=str.casefold),
    }
