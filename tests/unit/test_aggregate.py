"""Benchmark means as the field defines them (benchmarks/aggregate.py), on a synthetic board."""

from __future__ import annotations

import pytest

from benchmarks.aggregate import benchmark_mean
from benchmarks.beir.catalog import CQADUPSTACK_FORUMS
from benchmarks.registry import get_task
from leaderboard.views import snapshot
from leaderboard.views.board import board_table

pytestmark = pytest.mark.no_db

FORUMS = [f"beir/cqadupstack-{forum}" for forum in CQADUPSTACK_FORUMS]
OTHERS = ["beir/fiqa", "beir/scifact"]


def _columns():
    return [get_task(task_id) for task_id in sorted([*FORUMS, *OTHERS])]


def _values(columns, forum_value=0.3, fiqa=0.2, scifact=0.7, missing=()):
    by_id = {**dict.fromkeys(FORUMS, forum_value), "beir/fiqa": fiqa, "beir/scifact": scifact}
    return [None if t.id in missing else by_id[t.id] for t in columns]


def test_cqadupstack_counts_once_not_twelve_times():
    columns = _columns()
    values = _values(columns)
    mean = benchmark_mean(columns, values)
    assert mean.complete and mean.value == pytest.approx((0.3 + 0.2 + 0.7) / 3)  # 2CR: forums first, then 3 datasets
    assert mean.value != pytest.approx(sum(values) / len(values))  # what every column counting once gave
    assert mean.covers == ("cqadupstack (12 tasks)", "fiqa", "scifact")


def test_the_forum_mean_is_the_mean_of_the_forums():
    columns = _columns()
    forum_scores = {task_id: 0.1 + i / 100 for i, task_id in enumerate(FORUMS)}
    values = [forum_scores.get(t.id, 0.5) for t in columns]
    forum_mean = sum(forum_scores[t.id] for t in columns if t.id in forum_scores) / 12
    assert benchmark_mean(columns, values).value == pytest.approx((forum_mean + 0.5 + 0.5) / 3)


def test_a_row_missing_one_forum_is_partial():
    columns = _columns()
    mean = benchmark_mean(columns, _values(columns, missing={"beir/cqadupstack-gis"}))
    assert not mean.complete and mean.value is None
    assert mean.covers == ("cqadupstack (11 of 12 tasks)", "fiqa", "scifact")
    assert mean.over_present == pytest.approx((0.3 + 0.2 + 0.7) / 3)


def test_without_groups_the_mean_is_the_plain_mean_bit_for_bit():
    columns = [get_task(t) for t in ("sts/sts12", "sts/sts13", "sts/stsb")]
    values = [0.7236812, 0.8060031, 0.8203207]
    mean = benchmark_mean(columns, values)
    assert mean.value == sum(values) / len(values) and mean.covers == ("sts12", "sts13", "stsb")
    assert benchmark_mean([], []).value is None and not benchmark_mean([], []).complete


def _snapshot(rows: dict[str, dict[str, float]]) -> snapshot.Snapshot:
    tasks = {t.id: snapshot.task_info(t) for t in _columns()}
    models, cells = {}, {}
    for model_id, (name, scores) in enumerate(rows.items(), start=1):
        models[model_id] = snapshot.ModelInfo(model_id, name, "dense", ("dense",), None, None, None, True, True, None, "", None, None, {})
        cells[model_id] = {task_id: (value, 100 * model_id + i) for i, (task_id, value) in enumerate(scores.items())}
    return snapshot.build_snapshot(("v",), models, tasks, cells)


def test_the_board_ranks_by_the_grouped_mean_and_says_what_it_covers():
    everything = {**dict.fromkeys(FORUMS, 0.3), "beir/fiqa": 0.2, "beir/scifact": 0.7}
    # "forums" is better on every forum, worse elsewhere: with each column counting once it would lead
    rows = {
        "forums": {**dict.fromkeys(FORUMS, 0.5), "beir/fiqa": 0.1, "beir/scifact": 0.1},
        "datasets": {**everything, "beir/fiqa": 0.4, "beir/scifact": 0.8},
        "tied": {**everything, "beir/fiqa": 0.4, "beir/scifact": 0.8},
        "one-forum-short": {k: v for k, v in everything.items() if k != "beir/cqadupstack-gis"},
    }
    table = board_table(_snapshot(rows), "beir")
    order = [(row.model.name, row.rank, row.complete) for row in table.rows]
    assert order == [("datasets", 1, True), ("tied", 1, True), ("forums", 3, True), ("one-forum-short", None, False)]
    first = table.rows[0]
    assert first.mean == pytest.approx((0.3 + 0.4 + 0.8) / 3) and first.covers == ("fiqa", "cqadupstack (12 tasks)", "scifact")
    assert table.rows[-1].covers[1] == "cqadupstack (11 of 12 tasks)" and table.rows[-1].mean is None
