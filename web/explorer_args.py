"""The explorer's URL arguments, read once for its page, its CSV and its JSON twin (``/tasks/<id>/queries``)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, request

from common.errors import UserError
from leaderboard.views.explorer import SHOWS, SORTS, ExplorerPage, ExplorerView
from web import views


@dataclass(frozen=True)
class ExplorerArgs:
    a: str
    b: str
    sort: str
    order: str
    show: str
    limit: int
    offset: int


def explorer_args(default_limit: int = 50) -> ExplorerArgs:
    """``a``, ``b``, ``sort`` (delta|a|b|id), ``order``, ``show`` (all|a|b|ties), ``limit``, ``offset`` (or ``page``); bad: 400."""
    args = request.args
    sort = args.get("sort", "delta")
    default_order = "asc" if sort == "id" else "desc"
    try:
        limit = max(1, min(int(args.get("limit", default_limit)), 1000))
        offset = int(args.get("offset", 0))
        if "page" in args:
            offset = (max(1, int(args["page"])) - 1) * limit
    except ValueError:
        abort(400, description="limit, offset and page must be whole numbers")
    if sort not in SORTS or args.get("show", "all") not in SHOWS:
        abort(400, description=f"sort is one of {', '.join(SORTS)}; show is one of {', '.join(SHOWS)}")
    return ExplorerArgs(
        args.get("a", ""), args.get("b", ""), sort, args.get("order", default_order), args.get("show", "all"), limit, max(0, offset)
    )


def explorer_page(task_id: str, args: ExplorerArgs) -> tuple[ExplorerView, ExplorerPage]:
    """The view and the page the arguments ask for; 404 for an unknown task, 400 (one line) for bad models."""
    try:
        view = views.explorer(task_id, args.a, args.b)
        if view is None:
            abort(404, description=f"There is no task called “{task_id}”.")
        return view, view.page(sort=args.sort, order=args.order, show=args.show, limit=args.limit, offset=args.offset)
    except UserError as err:
        abort(400, description=str(err))


def item_record(row) -> dict:
    return {"id": row.item_id, "a": row.a, "b": row.b, "delta": row.delta, "outcome": row.outcome}


def hit_record(hit) -> dict:
    return {
        "rank": hit.rank,
        "doc_id": hit.doc_id,
        "score": hit.score if hit.rank else None,
        "grade": hit.grade,
        "only_here": hit.only_here,
        "title": hit.title,
        "snippet": hit.snippet,
    }
