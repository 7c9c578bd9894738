"""Turning query results into what a page shows or a download contains.

Sorting, paging and colour bands happen here, in Python, on cached tables; templates only loop.
Every table a page shows can be downloaded as CSV or JSON from the same URL with
``format=csv`` / ``format=json`` (filters and sort included), through :func:`download`.
"""

from __future__ import annotations

import csv
import io
import math
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from flask import Response

from leaderboard.serialize import csv_cell, dumps
from leaderboard.views.board import BoardRow, BoardTable, OverallRow
from leaderboard.views.models import model_fields
from leaderboard.views.snapshot import ModelInfo
from leaderboard.views.speed import Speed

DEFAULT_PER_PAGE = 100
MAX_PER_PAGE = 5000


@dataclass
class Page:
    items: list
    page: int
    pages: int
    per_page: int
    total: int

    @property
    def first_index(self) -> int:
        return (self.page - 1) * self.per_page


def paginate(items: Sequence, page: int | str | None, per_page: int | str | None) -> Page:
    """``per_page=all`` shows everything (up to MAX_PER_PAGE)."""
    total = len(items)
    if str(per_page).lower() == "all":
        size = max(1, min(total, MAX_PER_PAGE))
    else:
        try:
            size = max(1, min(int(per_page or DEFAULT_PER_PAGE), MAX_PER_PAGE))
        except ValueError:
            size = DEFAULT_PER_PAGE
    pages = max(1, math.ceil(total / size))
    try:
        number = max(1, min(int(page or 1), pages))
    except ValueError:
        number = 1
    start = (number - 1) * size
    return Page(items=list(items[start : start + size]), page=number, pages=pages, per_page=size, total=total)


# ------------------------------------------------------------------ benchmark tables
def sort_rows(table: BoardTable, sort: str, order: str, speeds: Mapping[int, Speed] | None = None) -> list[BoardRow]:
    """Rows ordered by ``sort`` (``mean``/``rank``, ``model``, ``params``, ``speed`` or a task id).

    Rows without a value for the sort key (a missing or excluded cell, an unknown size, a
    partial mean, no measured throughput) always come last, whatever the direction.
    ``speed`` sorts by encode throughput (``speeds``: :func:`leaderboard.views.speed.board_speeds`);
    the page warns when the rows sorted were measured on different hardware.
    """
    descending = order != "asc"
    rows = table.rows
    if sort == "speed":
        rate = {model_id: speed.docs_per_s for model_id, speed in (speeds or {}).items() if speed.docs_per_s is not None}
        sign = -1 if descending else 1
        measured = sorted((r for r in rows if r.model.id in rate), key=lambda r: (sign * rate[r.model.id], r.model.name))
        return measured + [r for r in rows if r.model.id not in rate]
    if sort in ("", "mean", "rank"):
        complete = [r for r in rows if r.complete]
        partial = [r for r in rows if not r.complete]
        sign = -1 if descending else 1
        complete.sort(key=lambda r: (sign * r.mean, r.model.name))
        return complete + partial
    if sort == "model":
        return sorted(rows, key=lambda r: r.model.name.casefold(), reverse=descending)
    if sort == "params":
        sign = -1 if descending else 1
        known = sorted((r for r in rows if r.model.parameters is not None), key=lambda r: (sign * r.model.parameters, r.model.name))
        return known + [r for r in rows if r.model.parameters is None]
    index = next((i for i, task in enumerate(table.columns) if task.id == sort), None)
    if index is None:
        return list(rows)

    def value(row: BoardRow) -> float | None:
        return row.shown(index)

    sign = -1 if descending else 1
    present = sorted((r for r in rows if value(r) is not None), key=lambda r: (sign * value(r), r.model.name))
    return present + [r for r in rows if value(r) is None]


def best_of(values: Iterable[float | None]) -> float | None:
    """The value that is bold in a column: the highest, when at least two values compete (else None).

    The legend's rule, "bold: best in the column", in one place for every table (board, overall
    table, compare page): every cell equal to the highest is bold (a tie is shared, as a tied
    rank is), a lone value is not "best" of anything, and a missing cell never takes part.
    """
    present = [v for v in values if v is not None]
    return max(present) if len(present) >= 2 else None


@dataclass
class ColumnBands:
    """Per column: the sorted values of the visible rows, to shade each cell by its quintile and bold the best."""

    values: list[list[float]] = field(default_factory=list)
    best_mean: float | None = None  # the highest mean of a complete row (partial means never count)

    @classmethod
    def of(cls, table: BoardTable, rows: Iterable[BoardRow]) -> ColumnBands:
        rows = list(rows)
        values: list[list[float]] = [[] for _ in table.columns]
        for row in rows:
            for i, value in enumerate(row.values):
                if value is not None and i not in row.excluded:
                    values[i].append(value)
        for column in values:
            column.sort()
        return cls(values, best_of(row.mean for row in rows if row.complete))

    def css(self, column: int, value: float) -> str:
        column_values = self.values[column]
        n = len(column_values)
        best = n >= 2 and value >= column_values[-1]
        if n < 3:
            return "best" if best else ""
        if best:
            return "q4 best"
        return f"q{min(4, 5 * bisect_left(column_values, value) // n)}"

    def mean_css(self, mean: float | None) -> str:
        return " best" if mean is not None and self.best_mean is not None and mean >= self.best_mean else ""


def board_records(table: BoardTable, rows: Iterable[BoardRow]) -> tuple[list[str], list[dict]]:
    """Flat records for CSV/JSON downloads (full precision; a missing cell is empty/null)."""
    columns = ["rank", "model", "parameters", "families", "license", "open_weights", "reference"]
    columns += [task.id for task in table.columns] + ["mean", "complete", "n_scores", "mean_over_present", "mean_covers", "zero_shot"]
    records = []
    for row in rows:
        record = {
            "rank": row.rank,
            "model": row.model.name,
            "parameters": row.model.parameters,
            "families": ",".join(row.model.families),
            "license": row.model.license,
            "open_weights": row.model.open_weights,
            "reference": row.model.is_reference,
        }
        for i, task in enumerate(table.columns):
            record[task.id] = row.shown(i)
        record["mean"] = row.mean
        record["complete"] = row.complete
        record["n_scores"] = row.n_present
        record["mean_over_present"] = row.mean_over_present
        record["mean_covers"] = "; ".join(row.covers)
        record["zero_shot"] = row.zero_shot
        records.append(record)
    return columns, records


def model_records(models: Iterable[ModelInfo]) -> list[dict]:
    return [model_fields(m) for m in models]


def overall_records(active: list[str], rows: Iterable[OverallRow]) -> tuple[list[str], list[dict]]:
    """The home page's overall table as flat records: each benchmark's mean (and what it covers), the overall mean."""
    columns = ["rank", "model", *active, "overall", "n_complete_benchmarks", "n_scores", *(f"{b}_rank" for b in active)]
    columns += [*(f"{b}_covers" for b in active), "overall_covers"]
    records = []
    for e in rows:
        record = {"rank": e.rank, "model": e.model.name}
        record.update({b: (e.cells[b].mean if b in e.cells else None) for b in active})
        record |= {"overall": e.overall, "n_complete_benchmarks": e.n_complete, "n_scores": e.n_scores}
        record.update({f"{b}_rank": e.cells[b].rank if b in e.cells else None for b in active})
        record.update({f"{b}_covers": "; ".join(e.cells[b].covers) if b in e.cells and e.cells[b].complete else "" for b in active})
        record["overall_covers"] = "; ".join(e.covers)
        records.append(record)
    return columns, records


# ------------------------------------------------------------------ downloads
def download(fmt: str, filename: str, columns: list[str], records: list[dict], meta: dict | None = None) -> Response | None:
    """A CSV or JSON attachment of ``records``; None when ``fmt`` is neither."""
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        for record in records:
            writer.writerow([csv_cell(record.get(column)) for column in columns])  # formula-safe text cells
        response = Response(buffer.getvalue(), mimetype="text/csv")
    elif fmt == "json":
        body = {**(meta or {}), "columns": columns, "rows": records}
        response = Response(dumps(body, indent=1, default=str), mimetype="application/json")
    else:
        return None
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in filename)
    response.headers["Content-Disposition"] = f'attachment; filename="{safe}.{fmt}"'
    return response
