"""The model page (issue 17 item 4): the Tatoeba mean, benchmark names in commands, a FAIL that explains itself, one grade column, folds.

A model with SciFact, the seven STS sets and all 112 Tatoeba pairs, stored with ``record_run``;
its config reports MTEB's Tatoeba mean and a SICK-R number our file cannot reach.  Expected
values are computed here from what was stored.
"""

from __future__ import annotations

import html as html_lib
import re

import pytest

from benchmarks.metrics.retrieval import MetricResult
from benchmarks.registry import all_tasks, expand_task_ids
from benchmarks.tatoeba.aggregate import PAIR_TASK_IDS
from leaderboard.grading import grade
from tests.unit.test_web_ci import config, store
from web import create_app
from web.formatting import signed4

MODEL = "model-page-m"
STS = [t for t in all_tasks() if t.startswith("sts/")]
SICK_REPORTED = 0.7758  # MTEB's SICK-R on its 9,927 pairs
SICK_OURS = 0.7765
TATOEBA_REPORTED = 0.0420


def pair_f1(index: int) -> float:
    return 0.02 + index * 0.0004


TATOEBA_MEAN = sum(pair_f1(i) for i in range(len(PAIR_TASK_IDS))) / len(PAIR_TASK_IDS)
_PAGE: list[str] = []  # the page is only read by these tests: seeded (120 runs) and rendered once per module


def seed() -> None:
    reported = [
        {"task": "tatoeba", "metric": "f1", "value": TATOEBA_REPORTED, "source": "MTEB (mean over 112 pairs)"},
        {"task": "sts/sick-r", "metric": "cosine_spearman", "value": SICK_REPORTED, "source": "MTEB (SICK-R)"},
    ]
    cfg = config(MODEL, reported)
    store(cfg, "beir/scifact", {"ndcg_at_10": MetricResult(0.6451, {})})
    for task_id in STS:
        value = SICK_OURS if task_id == "sts/sick-r" else 0.8
        store(cfg, task_id, {"cosine_spearman": MetricResult(value, {})})
    for i, task_id in enumerate(PAIR_TASK_IDS):
        store(cfg, task_id, {"f1": MetricResult(pair_f1(i), {}), "accuracy": MetricResult(pair_f1(i) + 0.01, {})})


@pytest.fixture
def page() -> str:
    if not _PAGE:
        seed()
        _PAGE.append(create_app().test_client().get(f"/models/{MODEL}").get_data(as_text=True))
    return _PAGE[0]


def reported_row(html: str, text: str) -> str:
    table = html.split('id="reported-table"', 1)[1].split("</table>", 1)[0]
    return next(row for row in table.split("<tr>") if text in row)


def test_the_tatoeba_mean_row_shows_our_mean_beside_its_delta_and_grade(page):
    mean = TATOEBA_MEAN
    row = reported_row(page, "(benchmark mean)")
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)
    ours = cells[3]
    assert f">{mean:.4f}</a>" in ours and 'href="/benchmarks/tatoeba"' in ours  # not "–"
    assert signed4(mean - TATOEBA_REPORTED) in cells[4]
    assert grade(TATOEBA_REPORTED, mean, "f1") in cells[5]


def test_the_rerun_command_names_whole_benchmarks_not_120_task_ids(page):
    command = html_lib.unescape(page.split('id="cmd-all">', 1)[1].split("</pre>", 1)[0])
    assert command == f"leaderboard run {MODEL}.yaml --tasks beir/scifact,sts,tatoeba"


def test_task_spec_collapses_complete_benchmarks_and_expands_back_to_the_same_tasks():
    from benchmarks.registry import task_spec

    ids = ["beir/scifact", *STS, *PAIR_TASK_IDS]
    assert task_spec(ids) == "beir/scifact,sts,tatoeba"
    assert set(expand_task_ids(task_spec(ids))) == set(ids)
    partial = ["beir/scifact", *STS[:3], *PAIR_TASK_IDS[:5]]
    assert task_spec(partial) == ",".join(partial)  # an incomplete benchmark keeps its ids


def test_a_fail_cell_explains_itself_with_the_tasks_data_difference(page):
    assert grade(SICK_REPORTED, SICK_OURS, "cosine_spearman") == "FAIL"
    row = html_lib.unescape(reported_row(page, "sts/sick-r"))
    grade_cell = row.split('class="text FAIL"', 1)[1].split("</td>", 1)[0]
    assert "<summary>why</summary>" in grade_cell and "9,840 pairs" in grade_cell and "9,927" in grade_cell
    scores = html_lib.unescape(page.split('data-task="sts/sick-r"', 1)[1].split("</tr>", 1)[0])
    assert ">FAIL</span>" in scores and "9,840 pairs" in scores
    stsb = page.split('data-task="sts/stsb"', 1)[1].split("</tr>", 1)[0]
    assert "<summary>why</summary>" not in stsb  # no published number, nothing to explain


def test_grade_and_reproduced_are_one_column(page):
    scores_head = page.split('data-benchmark="sts"', 1)[1].split("</thead>", 1)[0]
    assert len(re.findall(r">Grade</th>", scores_head)) == 1 and ">Reproduced</th>" not in scores_head
    reported_head = page.split('id="reported-table"', 1)[1].split("</thead>", 1)[0]
    assert ">Repro. grade</th>" not in reported_head and len(re.findall(r">Reproduced</th>", reported_head)) == 1
    sick = page.split('data-task="sts/sick-r"', 1)[1].split("</tr>", 1)[0]
    assert "not reproduced yet" in sick  # the reproduction state lives in the grade cell


def test_manifests_and_the_config_fold(page):
    assert re.search(r"<details class=\"manifest\" data-run=\"\d+\">", page)
    assert '<details class="manifest" open' not in page
    config_section = page.split('id="config"', 1)[1]
    assert config_section.index("<details") < config_section.index('id="config-yaml"')
