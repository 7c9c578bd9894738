"""Reproduction grade badges on the site (Flask test client).

A board run and a reproduction graded the way ``leaderboard reproduce`` grades it
(:func:`leaderboard.reproduce.grade_outcome`), stored with ``record_run``; expected grades are
computed here with :func:`leaderboard.grading.grade` from the seeded values.
"""

from __future__ import annotations

import html as html_lib
import re

import numpy as np
import pytest

from benchmarks.registry import all_tasks
from leaderboard import schema
from leaderboard.db import make_engine, session_factory
from leaderboard.grading import grade, tolerance_for, tolerance_rule
from leaderboard.reproduce import board_run, grade_outcome, grade_rows
from tests.unit.test_web_ci import config, mean_result, outcome, per_query, row_html, store
from web import create_app

SOURCE = "paper, Table 3 (fixture)"
MODEL = "model-r"


@pytest.fixture
def client():
    return create_app().test_client()


def cell(row: str, task: str) -> str:
    """A benchmark-table cell of ``row``, found by its tooltip's dataset label."""
    dataset = task.split("/", 1)[1]
    match = re.search(r'<td class="num[^>]*title="' + re.escape(dataset) + r":.*?</td>", row)
    assert match, (task, row)
    return html_lib.unescape(match.group(0))


def reproduce(name: str, task_id: str, values: dict[str, float]) -> tuple[int, list[dict]]:
    """Store a rerun with ``values`` as ``leaderboard reproduce`` does: graded against the reported number and the board run."""
    cfg = seeded_config(name)
    task = all_tasks()[task_id]
    result = outcome(name, task_id, {"ndcg_at_10": mean_result(values)})
    with session_factory(make_engine())() as session:
        board = board_run(session, name, task_id)
        rows = grade_rows(grade_outcome(cfg, task, result, board))
        board_id = board.id if board else None
    return store(cfg, task_id, result.scores, reproduces_run_id=board_id, grades=rows), rows


REPORTED: dict[str, float] = {}


def seeded_config(name: str = MODEL):
    return config(name, [{"task": t, "metric": "ndcg_at_10", "value": v, "source": SOURCE} for t, v in REPORTED.items()])


@pytest.fixture
def board():
    """model-r on scifact (reported number 0.002 off) and nfcorpus, reproduced on scifact only."""
    rng = np.random.default_rng(1)
    values = {t: per_query(rng) for t in ("beir/scifact", "beir/nfcorpus")}
    means = {t: float(np.mean(list(v.values()))) for t, v in values.items()}
    REPORTED.clear()
    REPORTED["beir/scifact"] = round(means["beir/scifact"], 4) + 0.002
    ids = {t: store(seeded_config(), t, {"ndcg_at_10": mean_result(values[t])}) for t in values}
    repro_id, _ = reproduce(MODEL, "beir/scifact", values["beir/scifact"])
    yield {"values": values, "means": means, "ids": ids, "repro": repro_id}
    REPORTED.clear()


def test_benchmark_cells_show_the_grade_badge_with_both_grades_in_the_tooltip(board, client):
    mean = board["means"]["beir/scifact"]
    against_board = grade(round(mean, 4), mean, "ndcg_at_10")
    against_reported = grade(REPORTED["beir/scifact"], mean, "ndcg_at_10")
    assert (against_board, against_reported) == ("OK", "FAIL")  # the fixture is built to show both
    row = row_html(client.get("/benchmarks/beir").get_data(as_text=True), MODEL)
    scifact = cell(row, "beir/scifact")
    badge = re.search(r'<span class="rg (\w+)" title="([^"]*)">(\w+)</span>', scifact)
    assert badge and badge.group(1) == badge.group(3) == against_board  # the grade against the board run is shown
    tooltip = badge.group(2)
    assert tooltip.startswith(f"reproduced {against_board}")
    assert f"vs the board run #{board['ids']['beir/scifact']}: expected {round(mean, 4)!r}" in tooltip
    assert f"vs the reported number ({SOURCE}): expected {REPORTED['beir/scifact']!r}, got {mean:.6f}" in tooltip
    assert f"tolerance ±{tolerance_for('ndcg_at_10'):g} (rule default): {against_reported}" in tooltip
    assert f"rule default: {tolerance_rule('ndcg_at_10').reason}" in tooltip  # the rule's reason, once
    assert f"reproduced once, latest: run #{board['repro']}" in tooltip
    nfcorpus = cell(row, "beir/nfcorpus")
    assert "not reproduced yet" in nfcorpus and 'class="rg' not in nfcorpus and " nr" in nfcorpus
    api = next(r for r in client.get("/api/v1/benchmarks/beir").json["rows"] if r["model"] == MODEL)
    assert api["grade"] == {"beir/nfcorpus": None, "beir/scifact": against_board}


def test_task_and_model_pages_show_reproductions_and_the_reported_comparison(board, client):
    mean = board["means"]["beir/scifact"]
    task_page = html_lib.unescape(client.get("/tasks/beir/scifact").get_data(as_text=True))
    assert re.search(r'<span class="rg OK" title="reproduced OK; vs the board run', task_page)
    nf_page = client.get("/tasks/beir/nfcorpus").get_data(as_text=True)
    assert '<span class="rg none" title="not reproduced yet">' in nf_page

    html = client.get(f"/models/{MODEL}").get_data(as_text=True)
    scores = html.split('data-benchmark="beir"', 1)[1].split("</table>", 1)[0]
    scifact = scores.split('data-task="beir/scifact"', 1)[1].split("</tr>", 1)[0]
    nfcorpus = scores.split('data-task="beir/nfcorpus"', 1)[1].split("</tr>", 1)[0]
    assert "reproduced once, last grade OK" in scifact and "not reproduced yet" in nfcorpus
    reported = html.split('id="reported-table"', 1)[1].split("</table>", 1)[0]
    expected = grade(REPORTED["beir/scifact"], mean, "ndcg_at_10")
    assert f'>{mean:.4f}</a> <span class="{expected}">{expected}</span></td>' in reported  # the reproduction and its grade: one cell
    assert html_lib.escape(SOURCE) in reported

    body = client.get(f"/api/v1/models/{MODEL}").json
    rep = next(r for r in body["reported"] if r["task"] == "beir/scifact")
    assert rep["reproduced"] == pytest.approx(mean) and rep["reproduced_grade"] == expected
    assert rep["reproduction_run_id"] == board["repro"] and rep["reproductions"] == 1
    results = {r["task"]: r for r in body["results"]}
    assert results["beir/scifact"]["grade"] == "OK" and results["beir/nfcorpus"]["grade"] is None
    assert results["beir/scifact"]["reproductions"] == 1
    task_api = client.get("/api/v1/tasks/beir/scifact").json["results"][0]
    assert task_api["grade"] == "OK" and task_api["reproductions"] == 1


def test_a_later_reproduction_replaces_the_grade_and_counts(board, client):
    client.get("/benchmarks/beir")  # cache the page first: the new reproduction must refresh it
    off = {q: v + 0.01 for q, v in board["values"]["beir/scifact"].items()}
    repro_id, rows = reproduce(MODEL, "beir/scifact", off)
    expected = next(r["grade"] for r in rows if r["against"] == "board")
    assert expected == grade(round(board["means"]["beir/scifact"], 4), float(np.mean(list(off.values()))), "ndcg_at_10")
    row = row_html(client.get("/benchmarks/beir").get_data(as_text=True), MODEL)
    scifact = cell(row, "beir/scifact")
    assert f'<span class="rg {expected}"' in scifact and f"reproduced 2 times, latest: run #{repro_id}" in scifact
    html = client.get(f"/models/{MODEL}").get_data(as_text=True)
    assert f"reproduced 2 times, last grade {expected}" in html


def test_a_grade_written_on_its_own_refreshes_the_badge_and_a_first_run_shows_its_reported_grade(board, client):
    """The data version counts grades: a regrade without a new run still reaches the cached pages."""
    client.get("/benchmarks/beir")
    nf_id, nf_mean = board["ids"]["beir/nfcorpus"], board["means"]["beir/nfcorpus"]
    published = round(nf_mean, 4) + 0.0003
    verdict = grade(published, nf_mean, "ndcg_at_10")
    with session_factory(make_engine())() as session, session.begin():
        session.add(
            schema.Grade(
                run_id=nf_id, metric="ndcg_at_10", against="reported", expected=published, got=nf_mean,
                tolerance=tolerance_for("ndcg_at_10"), grade=verdict, source=SOURCE,
            )
        )  # fmt: skip
    row = row_html(client.get("/benchmarks/beir").get_data(as_text=True), MODEL)
    nfcorpus = cell(row, "beir/nfcorpus")
    assert f'<span class="rg {verdict}" title="reproduced {verdict}; vs the reported number ({SOURCE})' in nfcorpus
    assert "vs the board run" not in nfcorpus  # graded against the reported number only

    # a first run made by `leaderboard reproduce` (no board run yet): graded against the reported number only
    rng = np.random.default_rng(2)
    fiqa = per_query(rng)
    REPORTED["beir/fiqa"] = round(float(np.mean(list(fiqa.values()))), 3)
    run_id, rows = reproduce(MODEL, "beir/fiqa", fiqa)
    assert [r["against"] for r in rows] == ["reported"]
    api = next(r for r in client.get("/api/v1/benchmarks/beir").json["rows"] if r["model"] == MODEL)
    assert api["grade"]["beir/fiqa"] == rows[0]["grade"] and api["run_ids"]["beir/fiqa"] == run_id


def test_an_aro_cell_graded_against_two_published_sources_shows_each_with_its_rule(client):
    """CLIP's ARO numbers come from the paper and from the official code's rerun: the badge's tooltip lists
    both grades with the tolerance each used, its rule and the rule's reason; run and model pages say it too."""
    rng = np.random.default_rng(4)
    values = {str(i): float(rng.random() < 0.47) for i in range(500)}
    mean = float(np.mean(list(values.values())))
    sources = {"ARO paper, Table 6": round(mean - 0.012, 2), "official code rerun, issue #33": round(mean + 0.004, 3)}
    reported = [{"task": "aro/coco-order", "metric": "precision_at_1", "value": v, "source": s} for s, v in sources.items()]
    cfg = config("model-aro", reported)
    task = all_tasks()["aro/coco-order"]
    result = outcome("model-aro", task.id, {"precision_at_1": mean_result(values)})
    rows = grade_rows(grade_outcome(cfg, task, result, None))  # the first run, made by reproduce: graded against both
    run_id = store(cfg, task.id, result.scores, grades=rows)
    rule = tolerance_rule("precision_at_1", task=task.id)
    assert [(r["source"], r["tolerance_rule"]) for r in rows] == [(s, rule.rule) for s in sources]

    row = row_html(client.get("/benchmarks/aro").get_data(as_text=True), "model-aro")
    tooltip = re.search(r'<span class="rg (\w+)" title="([^"]*)">', html_lib.unescape(row)).group(2)
    for source, value in sources.items():
        verdict = grade(value, mean, tolerance=rule)
        assert (
            f"vs the reported number ({source}): expected {value!r}, got {mean:.6f}, tolerance ±0.02 (rule {rule.rule}): {verdict}"
            in tooltip
        )
    assert tooltip.count(f"rule {rule.rule}: {rule.reason}") == 1

    run_page = html_lib.unescape(client.get(f"/runs/{run_id}").get_data(as_text=True))
    grades_table = run_page.split('id="grades"', 1)[1].split("</table>", 1)[0]
    assert grades_table.count(rule.rule) >= 2 and rule.reason in grades_table
    model_page = html_lib.unescape(client.get("/models/model-aro").get_data(as_text=True))
    reported_table = model_page.split('id="reported-table"', 1)[1].split("</table>", 1)[0]
    assert all(source in reported_table for source in sources) and f"(rule {rule.rule}: {rule.reason})" in reported_table
    body = client.get(f"/api/v1/runs/{run_id}").json
    assert {g["tolerance_rule"] for g in body["grades"]} == {rule.rule}


def test_about_lists_every_tolerance_rule_and_the_vg_relation_ambiguity(client):
    from benchmarks.aro.metrics import RARE_RELATIONS_NOTE
    from leaderboard.grading import TOLERANCES

    page = html_lib.unescape(client.get("/about").get_data(as_text=True))
    table = page.split('id="tolerance-table"', 1)[1].split("</table>", 1)[0]
    for rule in TOLERANCES:
        assert f"<code>{rule.name}</code>" in table and rule.reason in table and rule.scope() in table
    assert "search faiss-hnsw" in table and "dtype bfloat16" in table and "against the reported number" in table
    aro = page.split('id="vg-relation-rare"', 1)[1].split("</p>", 1)[0]
    assert RARE_RELATIONS_NOTE in aro and "issue #8" in aro
    assert "fp16-aro" in page and "round((h − 224) / 2)" in page
