"""A benchmark's model × task table of main scores, and the home page's overall table.

One table, one ranking: the site's benchmark pages, the API, the CSV downloads, the home page
and ``leaderboard results`` all read :func:`board_table`.  A missing cell is ``None`` and never
counts as 0; a mean is :func:`benchmarks.aggregate.benchmark_mean` (CQADupStack's forums
averaged first, counted as one dataset) and says what it covers; only complete rows are ranked
and equal means share a rank (:func:`tied_ranks`); zero-shot flags are
:mod:`benchmarks.zero_shot`'s tri-state.  :class:`BoardTable` is the board's view (with
:class:`~leaderboard.views.tasks.TaskView`, :class:`~leaderboard.views.models.ModelView` and
:class:`~leaderboard.views.runs.RunView`): built once per (data version, filters), formatted by
the page, its CSV/JSON download, the API and the CLI.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from benchmarks.aggregate import benchmark_mean
from benchmarks.zero_shot import trained_columns
from leaderboard.views.labels import benchmark_blurb, benchmark_name, metric_definition, metric_label
from leaderboard.views.snapshot import ModelInfo, Snapshot, TaskInfo


def tied_ranks(values: Sequence[float | None]) -> list[int | None]:
    """Competition ranks ("1, 2, 2, 4") of values already in rank order; None from the first None on.

    The one rule for every ranked list on the site and in the CLI: equal values share the rank
    of the first of them, and an unranked entry (a partial row) ends the ranking.
    """
    ranks: list[int | None] = []
    rank, previous = 0, None
    for position, value in enumerate(values, start=1):
        if value is None:
            ranks.extend([None] * (len(values) - len(ranks)))
            break
        if value != previous:
            rank, previous = position, value
        ranks.append(rank)
    return ranks


@dataclass(slots=True)
class Cell:
    value: float | None
    run_id: int | None = None
    trained: str | None = None  # the training dataset that makes this cell not zero-shot
    excluded: bool = False  # hidden by the zero-shot-only filter
    zero_shot: bool | None = True  # None: unknown (the model lists no training data)


@dataclass(slots=True)
class BoardRow:
    """One model's row, stored column-wise (plain lists) because a board can hold 100,000+ cells."""

    model: ModelInfo
    values: list[float | None]  # main score per column; None = not run
    run_ids: list[int | None]
    trained: dict[int, str]  # column -> training dataset that makes it not zero-shot
    excluded: frozenset[int]  # columns hidden by the zero-shot-only filter
    n_present: int
    complete: bool
    mean: float | None  # only for complete rows (benchmarks.aggregate: CQADupStack's forums count once)
    partial_mean: float | None  # the same mean over the cells present, for partial rows (shown marked, never ranked)
    rank: int | None = None
    covers: tuple[str, ...] = ()  # what the mean averages: "scifact", "cqadupstack (12 tasks)", ...
    training_known: bool = True  # False: the model lists no training data, so zero-shot is unknown

    @property
    def zero_shot(self) -> bool | None:
        """No score of the row is on one of the model's training datasets; None when that is unknown."""
        if not self.training_known:
            return None
        return not any(self.values[i] is not None for i in self.trained)

    @property
    def mean_over_present(self) -> float | None:
        """The mean for a complete row, else the same mean over the cells present (API ``mean_over_present``)."""
        return self.mean if self.complete else self.partial_mean

    def shown(self, i: int) -> float | None:
        """The value counted in column ``i`` (None when missing or excluded)."""
        return None if i in self.excluded else self.values[i]

    def cell_zero_shot(self, i: int) -> bool | None:
        """Column ``i``'s zero-shot state: True, False (trained on it) or None (unknown)."""
        return None if not self.training_known else i not in self.trained

    @property
    def cells(self) -> list[Cell]:
        return [
            Cell(value, run_id, self.trained.get(i), i in self.excluded, self.cell_zero_shot(i))
            for i, (value, run_id) in enumerate(zip(self.values, self.run_ids, strict=True))
        ]


@dataclass(frozen=True)
class Column:
    """A column's header: the task, its short label, its main score's label and the tooltip definition."""

    task: TaskInfo
    label: str
    metric_label: str
    title: str


@dataclass
class BoardTable:
    """A benchmark's model × task table of main scores, after filters, ranked by mean."""

    benchmark: str
    columns: list[TaskInfo]
    rows: list[BoardRow]
    total_models: int = 0  # models with any result on the benchmark, before filters

    @functools.cached_property
    def headers(self) -> list[Column]:
        return [
            Column(
                task,
                task.dataset,
                metric_label(task.main_score, task),
                f"{task.id} ({task.split}) — " + metric_definition(task.main_score, task),
            )
            for task in self.columns
        ]

    @property
    def complete_rows(self) -> list[BoardRow]:
        return [row for row in self.rows if row.complete]

    def main_scores(self) -> list[str]:
        """The main scores' labels (at most two named, else "N main scores (one per task)")."""
        labels = sorted({header.metric_label for header in self.headers})
        return labels if len(labels) <= 2 else [f"{len(labels)} main scores (one per task)"]


def board_table(
    snap: Snapshot, benchmark: str, keep: Callable[[ModelInfo], bool] | None = None, *, zero_shot_only: bool = False
) -> BoardTable:
    """Rows for every model with a result on ``benchmark`` that ``keep`` accepts.

    Columns are the benchmark's tasks that have any result at all (unfiltered, so that a row's
    completeness does not depend on the filters).  A missing cell is ``None`` and never counts
    as 0: the mean (:func:`benchmarks.aggregate.benchmark_mean`, CQADupStack's forums averaged
    first) is given only for complete rows, and only complete rows are ranked, equal means
    sharing a rank.  With ``zero_shot_only``, cells on a model's own training data
    (:mod:`benchmarks.zero_shot`) are excluded, which makes such a row partial; a model whose
    training data is unknown keeps its cells, as MTEB's leaderboard keeps such models.
    """
    columns = [task for task in snap.tasks_of(benchmark) if snap.task_counts.get(task.id)]
    column_ids = [task.id for task in columns]
    model_ids = snap.benchmark_models.get(benchmark, set())
    no_exclusions: frozenset[int] = frozenset()
    rows: list[BoardRow] = []
    for model_id in model_ids:
        model = snap.models[model_id]
        if keep is not None and not keep(model):
            continue
        per_task = snap.cells[model_id]
        matched = trained_columns(model.training_datasets, columns)
        trained = matched or {}
        hits = [per_task.get(task_id) for task_id in column_ids]
        values = [hit[0] if hit is not None else None for hit in hits]
        run_ids = [hit[1] if hit is not None else None for hit in hits]
        excluded = frozenset(i for i in trained if values[i] is not None) if zero_shot_only and trained else no_exclusions
        counted = [None if i in excluded else value for i, value in enumerate(values)] if excluded else values
        mean = benchmark_mean(columns, counted)
        rows.append(
            BoardRow(
                model=model,
                values=values,
                run_ids=run_ids,
                trained=trained,
                excluded=excluded,
                n_present=sum(1 for value in counted if value is not None),
                complete=mean.complete,
                mean=mean.value,
                partial_mean=None if mean.complete else mean.over_present,
                covers=mean.covers,
                training_known=matched is not None,
            )
        )
    rows.sort(key=lambda r: (not r.complete, -(r.mean if r.complete else r.n_present), -(r.partial_mean or 0.0), r.model.name))
    for row, rank in zip(rows, tied_ranks([r.mean if r.complete else None for r in rows]), strict=True):
        row.rank = rank
    return BoardTable(benchmark=benchmark, columns=columns, rows=rows, total_models=len(model_ids))


# ------------------------------------------------------------------ the home page
@dataclass(frozen=True)
class BenchmarkSummary:
    """A benchmark's card on the home page and its entry in the API's ``/benchmarks``."""

    id: str
    name: str
    description: str
    tasks: list[str]  # ids of the tasks with results (the board's columns)
    registered_tasks: int
    models: int  # rows on the board
    complete: int  # rows with every column
    leaders: list[BoardRow]  # the top complete rows
    main_scores: list[str]


def benchmark_summary(table: BoardTable, registered: Iterable[TaskInfo], leaders: int = 5) -> BenchmarkSummary:
    complete = table.complete_rows
    return BenchmarkSummary(
        id=table.benchmark,
        name=benchmark_name(table.benchmark),
        description=benchmark_blurb(table.benchmark),
        tasks=[task.id for task in table.columns],
        registered_tasks=sum(1 for task in registered if task.benchmark == table.benchmark),
        models=len(table.rows),
        complete=len(complete),
        leaders=complete[:leaders],
        main_scores=table.main_scores(),
    )


@dataclass
class OverallRow:
    """A model's benchmark means and the mean of those means (the home page's table and its downloads)."""

    model: ModelInfo
    cells: dict[str, BoardRow] = field(default_factory=dict)  # benchmark -> the model's row there
    n_scores: int = 0
    overall: float | None = None  # only for a model complete on every benchmark with results
    covers: tuple[str, ...] = ()  # the benchmarks the overall mean averages
    n_complete: int = 0
    rank: int | None = None


def overall_table(tables: dict[str, BoardTable]) -> tuple[list[str], list[OverallRow]]:
    """One row per model: its mean on each benchmark with results and the mean of those means.

    A benchmark mean is shown only for a model with every task of that benchmark; the overall
    mean only for a model complete on every benchmark that has results (a mean of benchmark
    means, so Tatoeba's 112 pairs weigh as much as ARO's 4 tasks).  Ranked like a board.
    """
    active = [b for b, table in tables.items() if table.columns]
    rows: dict[int, OverallRow] = {}
    for b in active:
        for row in tables[b].rows:
            entry = rows.setdefault(row.model.id, OverallRow(row.model))
            entry.cells[b] = row
            entry.n_scores += row.n_present
    out = list(rows.values())
    for entry in out:
        means = [entry.cells[b].mean for b in active if b in entry.cells]
        complete = len(means) == len(active) and all(m is not None for m in means)
        entry.overall = sum(means) / len(means) if complete and means else None  # type: ignore[arg-type]
        entry.covers = tuple(benchmark_name(b) for b in active) if entry.overall is not None else ()
        entry.n_complete = sum(1 for m in means if m is not None)
    out.sort(key=lambda e: (e.overall is None, -(e.overall or 0.0), -e.n_complete, -e.n_scores, e.model.name))
    for entry, rank in zip(out, tied_ranks([e.overall for e in out]), strict=True):
        entry.rank = rank
    return active, out


@dataclass
class Comparison:
    """Chosen rows of a board side by side (the compare page); their contrasts are :mod:`leaderboard.views.compare`'s."""

    table: BoardTable
    rows: list[BoardRow]


def comparison(table: BoardTable, names: Sequence[str]) -> Comparison:
    """The rows of ``names`` (in that order; names without a row on the board are left out)."""
    chosen = {row.model.name: row for row in table.rows if row.model.name in names}
    return Comparison(table, [chosen[n] for n in names if n in chosen])
