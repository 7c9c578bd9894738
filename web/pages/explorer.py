"""``/tasks/<id>/queries?a=&b=``: the per-query explorer of two models on a task, and ``…/queries/item?q=``: one query opened.

Built on :mod:`leaderboard.views.explorer` (the site caches the view per data version); this
module only formats it: the HTML page, its CSV/JSON download (``format=csv|json``, every row of
the filter), and the detail page.  Plain links only (sorting, filtering, paging, opening a
query): the site's CSP allows no inline script.
"""

from __future__ import annotations

from flask import abort, render_template, request

from common.errors import UserError
from leaderboard.views.explorer import item_detail
from web.cache import db_session, snapshot
from web.explorer_args import explorer_args, explorer_page, item_record
from web.pages import pages
from web.tables import download


def _model_choices(task_id: str) -> list[str]:
    snap = snapshot()
    return sorted((m.name for m in snap.models.values() if snap.cell(m.id, task_id) is not None), key=str.casefold)


@pages.get("/tasks/<path:task_id>/queries")
def explorer(task_id: str):
    args = explorer_args()
    choices = _model_choices(task_id)
    if not args.a or not args.b:  # the form: pick two models
        if not snapshot().tasks.get(task_id):
            abort(404, description=f"There is no task called “{task_id}” with results.")
        return render_template("explorer.html", task_id=task_id, view=None, page=None, choices=choices, args=args)
    fmt = request.args.get("format")
    if fmt in ("csv", "json"):
        view, _ = explorer_page(task_id, args)
        columns = ["id", "a", "b", "delta", "outcome"]
        meta = {"task": task_id, "a": view.a.name, "b": view.b.name, "value": view.value_label, "counts": view.counts}
        name = f"explorer-{task_id.replace('/', '-')}-{view.a.name}-vs-{view.b.name}"
        return download(fmt, name, columns, [item_record(r) for r in _all_rows(view, args)], meta) or abort(400)
    view, page = explorer_page(task_id, args)
    return render_template("explorer.html", task_id=task_id, view=view, page=page, choices=choices, args=args)


def _all_rows(view, args):
    offset, rows = 0, []
    while True:
        part = view.page(sort=args.sort, order=args.order, show=args.show, limit=1000, offset=offset)
        rows.extend(part.rows)
        offset += 1000
        if offset >= part.total:
            return rows


@pages.get("/tasks/<path:task_id>/queries/item")
def explorer_item(task_id: str):
    args = explorer_args()
    view, _ = explorer_page(task_id, args)
    try:
        detail = item_detail(db_session(), view, request.args.get("q", ""))
    except UserError as err:
        abort(404, description=str(err))
    return render_template("explorer_item.html", task_id=task_id, view=view, detail=detail, args=args)
