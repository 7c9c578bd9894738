"""The compare page answers the question itself (issue 17, item 5), and run pages download as CSV and JSON.

Per task against a baseline: Δ, the paired randomisation test's p and d_z, wins/ties/losses
over the items; per model the pooled random-effects result; models picked with checkboxes;
CSV and JSON downloads of all of it.  The numbers must equal ``leaderboard compare``'s.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime

import numpy as np
import pytest
from click.testing import CliRunner

from benchmarks.registry import all_tasks
from leaderboard import schema, stats
from leaderboard.cli import main
from leaderboard.db import make_engine, session_factory
from web import create_app

TASKS = ("beir/scifact", "beir/nfcorpus", "beir/fiqa")


@pytest.fixture
def client():
    return create_app().test_client()


def add_scored(model_name: str, task_id: str, per_query: dict[str, float]) -> int:
    """A current run whose main score (nDCG@10, a mean) is the mean of its per-query values."""
    now = datetime.now(UTC)
    with session_factory(make_engine())() as session, session.begin():
        model = session.query(schema.Model).filter_by(name=model_name).one_or_none()
        if model is None:
            model = schema.Model(name=model_name, backend="dense", families=["dense"], config={}, config_sha256="x", updated_at=now)
            session.add(model)
        if session.get(schema.Task, task_id) is None:
            benchmark, dataset = task_id.split("/")
            session.add(
                schema.Task(id=task_id, benchmark=benchmark, dataset=dataset, split="test", main_score="ndcg_at_10", metric_spec={})
            )
        session.flush()
        run = schema.Run(
            model_id=model.id, task_id=task_id, started_at=now, finished_at=now, config_sha256="x", metric_spec={}, manifest={}
        )
        session.add(run)
        session.flush()
        session.add(schema.Score(run_id=run.id, metric="ndcg_at_10", value=float(np.mean(list(per_query.values()))), per_query=per_query))
        session.add(schema.CurrentResult(model_id=model.id, task_id=task_id, run_id=run.id))
        return run.id


@pytest.fixture
def board(client) -> dict[str, dict[str, dict[str, float]]]:
    """Three models on three BEIR tasks with different per-query values (30 queries, so p is sampled, not exact)."""
    rng = np.random.default_rng(7)
    values: dict[str, dict[str, dict[str, float]]] = {}
    for shift, model in ((0.0, "base-model"), (0.05, "better-model"), (-0.01, "close-model")):
        values[model] = {}
        for task in TASKS:
            per_query = {f"q{i}": float(np.clip(0.5 + shift + rng.normal(0, 0.2), 0, 1)) for i in range(30)}
            per_query["q0"] = 0.25  # the same on q0 for every model: one tie per task
            values[model][task] = per_query
            add_scored(model, task, per_query)
    return values


def contrast_table(html: str, model: str) -> dict[str, list[str]]:
    part = html.split(f'<table class="board compact contrast" data-model="{model}">', 1)[1].split("</table>", 1)[0]
    rows = {}
    for task, body in re.findall(r'<tr data-task="([^"]+)">(.*?)</tr>', part, re.S):
        rows[task] = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", body, re.S)]
    return rows


def test_models_are_picked_with_checkboxes_in_a_get_form(board, client):
    html = client.get("/compare?benchmark=beir&model=base-model&model=better-model").get_data(as_text=True)
    form = html.split('<form class="filters compare-form" method="get"', 1)[1].split("</form>", 1)[0]
    assert "multiple" not in form and "ctrl" not in form
    checked = re.findall(r'<input type="checkbox" name="model" value="([^"]+)"[^>]* checked>', form)
    assert sorted(checked) == ["base-model", "better-model"]
    assert set(re.findall(r'<input type="checkbox" name="model" value="([^"]+)"', form)) == set(board)
    assert 'type="radio" name="base" value="base-model" aria-label="baseline: base-model" checked' in form


def test_each_task_shows_delta_p_dz_and_wins_ties_losses_against_the_baseline(board, client):
    html = client.get("/compare?benchmark=beir&model=base-model&model=better-model&model=close-model").get_data(as_text=True)
    for other in ("better-model", "close-model"):
        rows = contrast_table(html, other)
        assert set(rows) == set(TASKS)
        for task in TASKS:
            a, b = board["base-model"][task], board[other][task]
            test = stats.paired_randomization_test(a, b)
            diff = np.array([b[q] - a[q] for q in sorted(a)])
            _name, delta, items, d_z, p, wtl, _note = rows[task]
            assert delta == f"{np.mean(list(b.values())) - np.mean(list(a.values())):+.4f}"
            assert int(items) == test.queries == 30
            assert d_z == f"{test.effect_size:+.3f}" and p == f"{test.p_value:.4f}"
            assert wtl == f"{(diff > 0).sum()} / {(diff == 0).sum()} / {(diff < 0).sum()}"
            assert (diff == 0).sum() >= 1  # q0 is a tie


def test_the_pooled_result_is_the_random_effects_meta_analysis(board, client):
    html = client.get("/compare?benchmark=beir&model=base-model&model=better-model").get_data(as_text=True)
    tests = [stats.paired_randomization_test(board["base-model"][t], board["better-model"][t]) for t in TASKS]
    meta = stats.random_effects_meta([t.effect_size for t in tests], [t.queries for t in tests])
    pooled = html.split('<p class="pooled" data-model="better-model">', 1)[1].split("</p>", 1)[0]
    assert f"Pooled over {len(TASKS)} tasks" in pooled
    assert f"d_z {meta.pooled_effect:+.3f} [{meta.ci_low:+.3f}, {meta.ci_high:+.3f}], p {meta.p_value:.4f}" in pooled


def test_the_page_and_leaderboard_compare_agree(board, client):
    html = client.get("/compare?benchmark=beir&model=base-model&model=better-model").get_data(as_text=True)
    rows = contrast_table(html, "better-model")
    printed = CliRunner().invoke(main, ["compare", "base-model", "better-model"]).output
    checked, printed_order = 0, []
    for line in printed.splitlines():
        parts = line.split()
        if parts and parts[0] in TASKS:
            assert f"{float(parts[5]):+.3f}" == rows[parts[0]][3]  # d_z
            assert parts[6] == rows[parts[0]][4]  # p
            checked += 1
            printed_order.append(parts[0])
    assert checked == len(TASKS)
    assert printed_order == [t for t in all_tasks() if t in TASKS]  # the registry's order, as the page


def test_the_baseline_is_chosen_with_base(board, client):
    html = client.get("/compare?benchmark=beir&model=base-model&model=better-model&base=better-model").get_data(as_text=True)
    assert '<strong id="baseline">better-model</strong>' in html
    assert 'data-model="base-model"' in html and '<table class="board compact contrast" data-model="better-model">' not in html


def test_one_model_asks_for_a_second(board, client):
    html = client.get("/compare?benchmark=beir&model=base-model").get_data(as_text=True)
    assert 'id="pick-two"' in html and "contrast" not in html.split('id="compare-table"', 1)[1].split("</table>", 1)[1]


def test_compare_downloads_csv_and_json(board, client):
    url = "/compare?benchmark=beir&model=base-model&model=better-model&model=close-model"
    response = client.get(url + "&format=csv")
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert {(r["model"], r["task"]) for r in rows} == {(m, t) for m in ("better-model", "close-model") for t in (*TASKS, "pooled")}
    scifact = next(r for r in rows if r["model"] == "better-model" and r["task"] == "beir/scifact")
    test = stats.paired_randomization_test(board["base-model"]["beir/scifact"], board["better-model"]["beir/scifact"])
    assert float(scifact["p_value"]) == pytest.approx(test.p_value) and float(scifact["d_z"]) == pytest.approx(test.effect_size)
    response = client.get(url + "&format=json")
    assert response.mimetype == "application/json"
    body = json.loads(response.get_data(as_text=True))
    assert body["baseline"] == "base-model" and body["models"] == ["base-model", "better-model", "close-model"]
    assert len(body["rows"]) == len(rows)


def test_run_pages_download_csv_and_json_not_html(board, client):
    with session_factory(make_engine())() as session:
        run_id = session.query(schema.CurrentResult).first().run_id
    response = client.get(f"/runs/{run_id}?format=csv")
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert rows and rows[0]["metric"] == "ndcg_at_10" and rows[0]["run_id"] == str(run_id) and rows[0]["main"] == "true"
    body = json.loads(client.get(f"/runs/{run_id}?format=json").get_data(as_text=True))
    assert body["id"] == run_id and body["scores"][0]["metric"] == "ndcg_at_10"
    html = client.get(f"/runs/{run_id}").get_data(as_text=True)
    assert 'data-download="csv"' in html and 'data-download="json"' in html
