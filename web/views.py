"""The site's views: :mod:`leaderboard.views` built once per data version and cached, for every reader.

Pages, CSV/JSON downloads, the JSON API and the figures all get their tables from here, so a
benchmark table with given filters, a task, a model or a run is built once per data version and
formatted by each reader; none of them queries or computes a number of its own.
"""

from __future__ import annotations

from leaderboard.views import board as board_views
from leaderboard.views.board import BenchmarkSummary, BoardTable, OverallRow, benchmark_summary, overall_table
from leaderboard.views.models import ModelView, model_view
from leaderboard.views.reproductions import Reproduction, main_reproductions
from leaderboard.views.runs import RunView, run_view
from leaderboard.views.snapshot import TaskInfo, known_benchmarks, registered_tasks
from leaderboard.views.speed import Speed, board_speeds
from leaderboard.views.tasks import TaskView, task_view
from web.cache import db_session, memo, snapshot
from web.filters import Filters


def benchmarks() -> list[str]:
    """Every benchmark the site shows: the registered ones in display order, then any other the data holds."""
    return known_benchmarks(snapshot())


def board(benchmark: str, filters: Filters) -> BoardTable:
    """The benchmark's table with these filters (:func:`leaderboard.views.board.board_table`)."""
    snap = snapshot()
    return memo(
        ("board", benchmark, filters.key()),
        lambda: board_views.board_table(snap, benchmark, filters.model_filter(), zero_shot_only=filters.zero_shot),
    )


def summaries() -> list[BenchmarkSummary]:
    """Each benchmark's card (home page) and API entry (``/api/v1/benchmarks``)."""

    def build() -> list[BenchmarkSummary]:
        registered = registered_tasks().values()
        return [benchmark_summary(board(b, Filters()), registered) for b in benchmarks()]

    return memo(("summaries",), build)


def overall() -> tuple[list[str], list[OverallRow]]:
    """The home page's overall table: benchmarks with results, and one ranked row per model."""
    return memo(("overall",), lambda: overall_table({b: board(b, Filters()) for b in benchmarks()}))


def find_task(task_id: str) -> TaskInfo | None:
    """A task with results, else a registered one (its page exists before its first run)."""
    return snapshot().tasks.get(task_id) or registered_tasks().get(task_id)


def task(task_id: str) -> TaskView | None:
    info = find_task(task_id)
    if info is None:
        return None
    snap = snapshot()
    return memo(("task", task_id), lambda: task_view(db_session(), snap, info))


def model(name: str) -> ModelView | None:
    snap = snapshot()
    info = snap.by_name.get(name)
    if info is None:
        return None
    return memo(("model", info.id), lambda: model_view(db_session(), snap, info, registered_tasks()))


def run(run_id: int) -> RunView | None:
    """The run, or None when there is no such run or its model is not published."""
    snap = snapshot()
    return memo(("run", run_id), lambda: run_view(db_session(), snap, run_id))


def speeds(benchmark: str) -> dict[int, Speed]:
    """model id -> the board's speed column on ``benchmark`` (throughput on its hardware, bytes per document)."""
    return memo(("speeds", benchmark), lambda: board_speeds(db_session(), benchmark))


def grades() -> dict[tuple[int, str], Reproduction]:
    """(model id, task id) -> reproductions of the task's main score: every badge of every table."""
    return memo(("reproductions",), lambda: main_reproductions(db_session()))


def explorer(task_id: str, a: str, b: str):
    """The per-query explorer of a task for models a and b (:func:`leaderboard.views.explorer.explorer_view`); None: no task."""
    from leaderboard.views.explorer import explorer_view

    info = find_task(task_id)
    if info is None:
        return None
    snap = snapshot()
    return memo(("explorer", task_id, a, b), lambda: explorer_view(db_session(), snap, info, a, b))
