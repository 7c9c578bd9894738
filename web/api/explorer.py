"""``/api/v1/tasks/<id>/queries`` and ``…/queries/item?q=``: the JSON twin of the per-query explorer, paged."""

from __future__ import annotations

from flask import abort, request

from common.errors import UserError
from leaderboard.views.explorer import item_detail
from web.api import api
from web.api.common import cached_json, next_url
from web.cache import cached_response, db_session
from web.explorer_args import explorer_args, explorer_page, hit_record, item_record


def _header(view) -> dict:
    return {
        "task": view.task.id,
        "kind": view.kind,
        "a": {"model": view.a.name, "run_id": view.run_a},
        "b": {"model": view.b.name, "run_id": view.run_b},
        "value": view.value_label,
        "lower_is_better": view.lower_is_better,
        "delta": "b - a" if view.lower_is_better else "a - b",
        "counts": view.counts,
        "notes": view.notes,
    }


@api.get("/tasks/<path:task_id>/queries")
@cached_response
def explorer(task_id: str):
    """Every judged item with both models' values and Δ: ``a``, ``b``, ``sort``, ``order``, ``show``, ``limit`` (≤ 1000), ``offset``."""
    args = explorer_args(default_limit=100)
    view, page = explorer_page(task_id, args)

    def build():
        return {
            **_header(view),
            "sort": page.sort,
            "order": page.order,
            "show": page.show,
            "total": page.total,
            "limit": page.limit,
            "offset": page.offset,
            "next": next_url(page.total, page.limit, page.offset),
            "items": [item_record(row) for row in page.rows],
        }

    return cached_json(build)


@api.get("/tasks/<path:task_id>/queries/item")
@cached_response
def explorer_item(task_id: str):
    """One item opened: its texts (when the data is on the server), judgements and each model's top hits."""
    args = explorer_args()
    view, _ = explorer_page(task_id, args)
    try:
        detail = item_detail(db_session(), view, request.args.get("q", ""))
    except UserError as err:
        abort(404, description=str(err))

    def build():
        return {
            **_header(view),
            "item": item_record(detail.row),
            "text": detail.text,
            "other": detail.other,
            "gold": detail.gold,
            "judged": [
                {"doc_id": h.doc_id, "grade": h.grade, "title": h.title, "snippet": h.snippet, "rank_a": ra, "rank_b": rb}
                for h in detail.judged
                for ra, rb in [detail.judged_ranks.get(h.doc_id, (None, None))]
            ],
            "a_hits": [hit_record(h) for h in detail.hits_a],
            "b_hits": [hit_record(h) for h in detail.hits_b],
            "item_notes": detail.notes,
        }

    return cached_json(build)
