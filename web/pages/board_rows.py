"""HTML of benchmark-table rows, built in Python and cached per (data version, filters)."""

from __future__ import annotations

import threading

from flask import url_for
from markupsafe import Markup, escape

from leaderboard.views.board import BoardRow, BoardTable
from leaderboard.views.reproductions import Reproduction
from leaderboard.views.speed import Speed
from web import cellinfo, confidence
from web.cache import run_stats
from web.formatting import human_count
from web.tables import ColumnBands

UNKNOWN_BADGE = '<span class="badge zs-unknown" title="lists no training data: zero-shot unknown">zero-shot?</span>'


class RowRenderer:
    """HTML of benchmark-table rows, built in Python and cached per (data version, filters).

    A 1,000 × 112 table has 112,000 cells; rendering each through Jinja (escaping, url_for)
    costs ~0.4 s per page.  A row's HTML depends only on the row and the column bands of its
    filtered table, so it is built once and reused by every sort order and page.  Every piece
    of text from the database goes through :func:`markupsafe.escape`.
    """

    def __init__(
        self,
        table: BoardTable,
        bands: ColumnBands,
        grades: dict[tuple[int, str], Reproduction] | None = None,
        speeds: dict[int, Speed] | None = None,
    ) -> None:
        self.table = table
        self.bands = bands
        self.grades = grades or {}  # (model id, task id) -> Reproduction of the main score
        self.speeds = speeds or {}  # model id -> the speed column (leaderboard.views.speed)
        self.rows: dict[int, Markup] = {}
        self.run_prefix = url_for("pages.run_page", run_id=0)[:-1]
        self.labels = [escape(task.dataset) for task in table.columns]
        self.above = cellinfo.rows_above(table)
        self._lock = threading.Lock()

    def prepare(self, rows: list[BoardRow]) -> None:
        """Compute the intervals and rank tests the rows not built yet need (cached by run id, so mostly found)."""
        missing = [row for row in rows if row.model.id not in self.rows]
        if missing:
            cellinfo.prepare_board(self.table, missing, self.above)

    def html(self, row: BoardRow) -> Markup:
        cached = self.rows.get(row.model.id)
        if cached is None:
            cached = self._build(row)
            with self._lock:
                self.rows[row.model.id] = cached
        return cached

    def _build(self, row: BoardRow) -> Markup:
        model = row.model
        name = escape(model.name)
        origin = "reference" if model.is_reference else "community"
        if model.is_reference:
            badge = '<span class="badge ref" title="registered by the project in submissions/reference/">reference</span>'
        else:
            by = escape(model.submitter or "")
            badge = f'<span class="badge community" title="submitted by {by or "a user"}">community{f" · {by}" if by else ""}</span>'
        intervals = run_stats().intervals
        unknown = ("" if row.training_known else f" {UNKNOWN_BADGE}") + cellinfo.fused_badge_html(model)
        parts = [
            f'<tr data-model="{name}">',
            cellinfo.rank_html(row.rank, cellinfo.separation(self.table, row, self.above) if row.rank is not None else None),
            f'<th scope="row" class="model" title="{escape(", ".join(model.families))} · {origin}">'
            f'<a href="{escape(url_for("pages.model_page", name=model.name))}">{name}</a> {badge}{unknown}</th>',
            f'<td class="meta">{human_count(model.parameters)}</td>',
        ]
        n_columns = len(self.table.columns)
        for i, (value, run_id) in enumerate(zip(row.values, row.run_ids, strict=True)):
            trained = row.trained.get(i)
            if value is None:
                note = f"; in the model&#39;s training data ({escape(trained)})" if trained else ""
                parts.append(f'<td class="missing" title="not run{note}">–</td>')
                continue
            href = f"{self.run_prefix}{run_id}"
            if i in row.excluded:
                parts.append(
                    f'<td class="num excluded" title="{value:.4f} on training data ({escape(trained)}): '
                    f'not zero-shot, hidden by the filter"><a href="{href}">†</a></td>'
                )
                continue
            css = self.bands.css(i, value)
            ci = escape(confidence.interval_text(value, intervals.get(run_id)))
            title = f"{self.labels[i]}: {ci} · {value!r}, run {run_id}"
            if trained:
                css += " trained"
                title += f" · not zero-shot: trained on {escape(trained)}"
            elif not row.training_known:
                title += " · zero-shot unknown: the model lists no training data"
            reproduction = self.grades.get((model.id, self.table.columns[i].id))
            if reproduction is None or reproduction.grade is None:
                # the not-reproduced marker is drawn by the stylesheet (td.nr), to keep big tables small
                parts.append(f'<td class="num {css} nr" title="{title} · {cellinfo.NOT_REPRODUCED}"><a href="{href}">{value:.4f}</a></td>')
            else:
                badge = cellinfo.badge_html(reproduction, run_id)
                parts.append(f'<td class="num {css} graded" title="{title}"><a href="{href}">{value:.4f}</a>{badge}</td>')
        covers = escape(", ".join(row.covers))
        if row.complete:
            best = self.bands.mean_css(row.mean)
            parts.append(
                f'<td class="mean{best}" title="mean over {len(row.covers)} datasets ({covers}): {row.mean!r}">{row.mean:.4f}</td>'
            )
        else:
            over = f"; mean over those ({covers}): {row.partial_mean:.4f}" if row.partial_mean is not None else ""
            parts.append(
                f'<td class="mean partial" title="{row.n_present} of {n_columns} tasks{over} — not comparable, not ranked">'
                f"partial {row.n_present}/{n_columns}</td>"
            )
        parts.append(speed_cell(self.speeds.get(model.id)))
        parts.append("</tr>")
        return Markup("".join(parts))


def speed_cell(speed: Speed | None) -> str:
    """The speed column: docs/s on its hardware and bytes per document, the hardware named in the tooltip."""
    if speed is None:
        return '<td class="missing speed" title="no throughput or size recorded by this row&#39;s runs">–</td>'
    rate = human_count(round(speed.docs_per_s)) if speed.docs_per_s else "–"
    size = byte_size(speed.bytes_per_doc) if speed.bytes_per_doc else "–"
    mixed = ' <span class="badge mixed">mixed hw</span>' if speed.mixed else ""
    return f'<td class="num speed" title="{escape(speed.tooltip)}">{rate}/s · {size}{mixed}</td>'


def byte_size(value: float) -> str:
    """1536 → "1.5 KiB"; 384 → "384 B"."""
    return f"{value / 1024:.1f} KiB" if value >= 1024 else f"{value:.0f} B"
