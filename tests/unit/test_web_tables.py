"""The board's tables read as their legends say (issue 17, item 2).

Columns in the benchmark's own order, bold only on the best cell of a column, task counts
labelled as such, a search box on the models page, no weights badge for BM25, links only for
http(s) URLs, no mid-word wrapping, and an overall ranking that says whom it covers.
"""

from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path

import pytest
from markupsafe import Markup

from benchmarks.registry import all_tasks
from leaderboard import schema
from leaderboard.db import make_engine, session_factory
from tests.browser.seeding import BEIR_TASKS, Seeded, seeded_copy
from tests.unit.test_web import add_result
from web import create_app
from web.formatting import link

STS_ORDER = ["sts/sts12", "sts/sts13", "sts/sts14", "sts/sts15", "sts/sts16", "sts/stsb", "sts/sick-r"]


@pytest.fixture
def seeded() -> Seeded:
    return seeded_copy(os.environ["LEADERBOARD_DB"])


@pytest.fixture
def client():
    return create_app().test_client()


def cells_of(html: str, table_id: str) -> list[list[str]]:
    """Each body row's <td> elements (opening tag and content), in order."""
    body = html.split(f'id="{table_id}"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [re.findall(r"<td[^>]*>.*?</td>", row) for row in body.split("</tr>") if "<td" in row]


def mean_cell(row: list[str]) -> str:
    """A board row's mean cell (the speed column comes after it)."""
    return next(cell for cell in row if cell.startswith('<td class="mean'))


def is_bold(cell: str) -> bool:
    return bool(re.match(r'<td class="[^"]*\bbest\b', cell))


# ------------------------------------------------------------------ column order
def test_sts_columns_come_in_the_benchmarks_order_not_alphabetically(client):
    """Alphabetical ids put SICK-R first and STS-B before STS12; the registry's order is STS12–16, STS-B, SICK-R."""
    from click.testing import CliRunner

    from leaderboard.cli import main

    assert [t for t in all_tasks() if t.startswith("sts/")] == STS_ORDER
    for value, task_id in enumerate(reversed(STS_ORDER)):
        add_result("sts-model", task_id, 0.5 + value / 100)
    html = client.get("/benchmarks/sts").get_data(as_text=True)
    headers = re.findall(r'data-sort-key="(sts/[^"]+)"', html)
    assert headers == STS_ORDER
    assert [c["task"] for c in client.get("/api/v1/benchmarks/sts").json["columns"]] == STS_ORDER
    csv_header = client.get("/benchmarks/sts?format=csv").get_data(as_text=True).splitlines()[0].split(",")
    assert [c for c in csv_header if c.startswith("sts/")] == STS_ORDER
    printed = CliRunner().invoke(main, ["results", "--benchmark", "sts"]).output
    header = printed.splitlines()[0].split()
    assert header[2:-2] == [t.split("/")[1] for t in STS_ORDER]
    model = client.get("/models/sts-model").get_data(as_text=True)
    assert re.findall(r'<a href="/tasks/(sts/[^"]+)">', model.split("<h2", 2)[1])[: len(STS_ORDER)] == STS_ORDER


# ------------------------------------------------------------------ bold
def test_bold_marks_only_the_best_cell_of_each_column_and_the_best_complete_mean(seeded, client):
    html = client.get("/benchmarks/beir").get_data(as_text=True)
    columns = [t for t in all_tasks() if t in BEIR_TASKS]
    rows = cells_of(html, "board")
    names = re.findall(r'<tr data-model="([^"]*)"', html)
    for i, task in enumerate(columns):
        values = {m: seeded.main[m][task] for m in names if task in seeded.main[m]}
        bold = {m for m, row in zip(names, rows, strict=True) if is_bold(row[2 + i])}
        assert bold == {m for m, v in values.items() if v == max(values.values())}, task
    means = {m: seeded.beir_mean(m) for m in names if seeded.beir_mean(m) is not None}
    bold_means = {m for m, row in zip(names, rows, strict=True) if is_bold(mean_cell(row))}
    assert bold_means == {max(means, key=means.get)}
    css = Path("web/static/style.css").read_text()
    assert re.search(r"table\.board td\.mean \{[^}]*font-weight", css) is None  # every mean was bold


def test_tied_best_cells_are_all_bold_and_a_partial_row_never_has_the_bold_mean(client):
    for task in BEIR_TASKS:
        add_result("tie-a", task, 0.8)
        add_result("tie-b", task, 0.8)
    add_result("partial-high", BEIR_TASKS[0], 0.99)  # best cell of one column, no mean
    html = client.get("/benchmarks/beir").get_data(as_text=True)
    names = re.findall(r'<tr data-model="([^"]*)"', html)
    rows = dict(zip(names, cells_of(html, "board"), strict=True))
    assert is_bold(mean_cell(rows["tie-a"])) and is_bold(mean_cell(rows["tie-b"]))
    assert not is_bold(mean_cell(rows["partial-high"]))
    scifact = [t for t in all_tasks() if t in BEIR_TASKS].index(BEIR_TASKS[0])
    assert is_bold(rows["partial-high"][2 + scifact]) and not is_bold(rows["tie-a"][2 + scifact])


def test_a_lone_value_is_not_bold(client):
    add_result("alone", "beir/scifact", 0.5)
    html = client.get("/benchmarks/beir").get_data(as_text=True)
    assert not any(is_bold(c) for row in cells_of(html, "board") for c in row)


def test_compare_and_home_tables_bold_only_the_best_mean(seeded, client):
    complete = [m for m in seeded.main if seeded.beir_mean(m) is not None]
    query = "&".join(f"model={m}" for m in complete)
    html = client.get(f"/compare?benchmark=beir&{query}").get_data(as_text=True)
    mean_row = html.split('id="compare-means"', 1)[1].split("</tr>", 1)[0]
    bold = re.findall(r'<td class="[^"]*\bbest\b[^"]*"[^>]*>([0-9.]+)', mean_row)
    assert bold == [f"{max(seeded.beir_mean(m) for m in complete):.4f}"]
    home = client.get("/").get_data(as_text=True)
    overall = home.split('id="overall-table"', 1)[1].split("</table>", 1)[0]
    beir_best = f"{max(seeded.beir_mean(m) for m in complete):.4f}"
    assert re.findall(r'<td class="num best"[^>]*>([0-9.]+)', overall).count(beir_best) == 1


# ------------------------------------------------------------------ models page
def test_models_page_labels_its_count_columns_as_task_counts(seeded, client):
    html = client.get("/models/").get_data(as_text=True)
    head = html.split('id="models-table"', 1)[1].split("</thead>", 1)[0]
    labelled = re.findall(r'title="number of [^"]+ tasks with a current result"', head)
    assert head.count('<span class="sub">tasks run</span>') == len(labelled) > 0
    rows = list(csv.DictReader(io.StringIO(client.get("/models/?format=csv").get_data(as_text=True))))
    minilm = next(r for r in rows if r["name"] == "all-MiniLM-L6-v2")
    assert minilm["beir_tasks"] == str(sum(t in BEIR_TASKS for t in seeded.main["all-MiniLM-L6-v2"]))


def test_models_page_search_box_filters_on_the_server(seeded, client):
    html = client.get("/models/?q=minilm").get_data(as_text=True)
    assert '<input type="search" name="q" value="minilm"' in html
    body = html.split('id="models-table"', 1)[1].split("</tbody>", 1)[0]
    assert re.findall(r'href="/models/([^"]+)"', body) == ["all-MiniLM-L6-v2"]
    assert "1 model matching" in html
    rows = list(csv.DictReader(io.StringIO(client.get("/models/?q=minilm&format=csv").get_data(as_text=True))))
    assert [r["name"] for r in rows] == ["all-MiniLM-L6-v2"]
    hostile = client.get("/models/?q=%3Cscript%3E").get_data(as_text=True)
    assert "<script>" not in hostile.split("<main", 1)[1] and "&lt;script&gt;" in hostile and 'id="empty"' in hostile
    assert "<script" not in client.get("/models/").get_data(as_text=True).split("<main", 1)[1]  # no inline script


# ------------------------------------------------------------------ badges and links
def test_bm25_gets_no_open_weights_badge(seeded, client):
    bm25 = client.get("/models/bm25s-flat").get_data(as_text=True)
    assert "open weights" not in bm25.split("<main", 1)[1].replace("open weights only", "") and "closed weights" not in bm25
    assert "no weights (lexical)" in bm25
    dense = client.get("/models/all-MiniLM-L6-v2").get_data(as_text=True)
    assert '<span class="badge open">open weights</span>' in dense


def test_only_http_and_https_urls_become_links():
    assert link("https://arxiv.org/abs/1908.10084") == Markup(
        '<a href="https://arxiv.org/abs/1908.10084" rel="nofollow noopener noreferrer">https://arxiv.org/abs/1908.10084</a>'
    )
    assert link("http://example.org/a?b=1&c=<x>").startswith('<a href="http://example.org/a?b=1&amp;c=&lt;x&gt;"')
    for hostile in ("javascript:alert(1)", "data:text/html,<script>", "//evil.example/x", "arXiv:1908.10084", "https://", "https://a b"):
        assert "<a" not in link(hostile) and "<script>" not in link(hostile)
    assert link(None) == "–"


def test_paper_url_and_source_links_are_clickable_on_the_pages(seeded, client):
    with session_factory(make_engine())() as session, session.begin():
        model = session.query(schema.Model).filter_by(name="community-e5-small").one()
        config = dict(model.config)
        config["metadata"] = {**config["metadata"], "paper": "https://arxiv.org/abs/2212.03533", "url": "javascript:alert(1)"}
        model.config = config
    html = client.get("/models/community-e5-small").get_data(as_text=True)
    assert '<a href="https://arxiv.org/abs/2212.03533" rel="nofollow noopener noreferrer">' in html
    assert 'href="javascript:' not in html and "javascript:alert(1)" in html
    task = client.get("/tasks/beir/scifact").get_data(as_text=True)
    source = all_tasks()["beir/scifact"].source_url
    if source and source.startswith("http"):
        assert f'<a href="{source}"' in task


def test_no_style_breaks_words_in_the_middle_or_hyphenates():
    css = Path("web/static/style.css").read_text()
    assert "break-all" not in css and "hyphens: auto" not in css
    assert "hyphens: manual" in css


# ------------------------------------------------------------------ the overall ranking
def test_overall_ranking_says_whom_it_covers_and_ranks_each_benchmark_beside_it(seeded, client):
    html = client.get("/").get_data(as_text=True)
    assert "The overall rank covers only models that ran every benchmark" in html
    overall = html.split('id="overall-table"', 1)[1].split("</table>", 1)[0]
    bm25 = overall.split("/models/bm25s-flat", 1)[1].split("</tr>", 1)[0]
    beir_rank = next(r["rank"] for r in client.get("/api/v1/benchmarks/beir").json["rows"] if r["model"] == "bm25s-flat")
    assert f'<span class="bench-rank">#{beir_rank}</span>' in bm25
    rows = {r["model"]: r for r in csv.DictReader(io.StringIO(client.get("/?format=csv").get_data(as_text=True)))}
    assert rows["bm25s-flat"]["beir_rank"] == str(beir_rank) and rows["bm25s-flat"]["rank"] == ""
