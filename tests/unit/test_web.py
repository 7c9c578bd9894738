"""The site through Flask's test client: tables, filters, sorting, pages, downloads, escaping, errors.

The board comes from ``tests/browser/seeding.py`` (real configs and task specs stored with
``record_run``); every expected number is read from what was seeded.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from datetime import UTC, datetime
from urllib.parse import quote

import pytest

from benchmarks.registry import all_tasks, benchmark_ids
from leaderboard import schema
from leaderboard.db import make_engine, session_factory
from leaderboard.grading import grade
from leaderboard.views import snapshot as snapshots
from tests.browser.seeding import BEIR_TASKS, STS_TASK, Seeded, seeded_copy
from web import create_app

XSS = "<script>alert(1)</script>"


@pytest.fixture
def seeded() -> Seeded:
    return seeded_copy(os.environ["LEADERBOARD_DB"])


@pytest.fixture
def client():
    return create_app().test_client()


def rows_of(html: str, table_id: str = "board") -> list[str]:
    """Model names of a table's body rows, in order."""
    body = html.split(f'id="{table_id}"', 1)[1].split("</tbody>", 1)[0]
    return re.findall(r'<tr data-model="([^"]*)"', body)


def add_result(model_name: str, task_id: str, value: float, **model_fields) -> int:
    """A model row, task row, run and main score written directly (names the config schema would refuse)."""
    now = datetime.now(UTC)
    with session_factory(make_engine())() as session, session.begin():
        model = session.query(schema.Model).filter_by(name=model_name).one_or_none()
        if model is None:
            fields = {"backend": "dense", "families": ["dense"], "config": {}, "config_sha256": "x", "updated_at": now}
            model = schema.Model(name=model_name, **(fields | model_fields))
            session.add(model)
        if session.get(schema.Task, task_id) is None:
            session.add(
                schema.Task(
                    id=task_id,
                    benchmark=task_id.split("/")[0],
                    dataset=task_id.split("/")[1],
                    split="test",
                    main_score="ndcg_at_10",
                    metric_spec={},
                )
            )
        session.flush()
        run = schema.Run(
            model_id=model.id, task_id=task_id, started_at=now, finished_at=now, config_sha256="x", metric_spec={}, manifest={}
        )
        session.add(run)
        session.flush()
        session.add(schema.Score(run_id=run.id, metric="ndcg_at_10", value=value, per_query={}))
        current = session.get(schema.CurrentResult, (model.id, task_id))
        if current is None:
            session.add(schema.CurrentResult(model_id=model.id, task_id=task_id, run_id=run.id))
        else:
            current.run_id = run.id
        return run.id


# ------------------------------------------------------------------ empty database, errors
EMPTY_PAGES = [
    "/",
    *[f"/benchmarks/{b}" for b in benchmark_ids()],
    "/tasks/",
    "/tasks/beir/scifact",  # registered, no results
    "/models/",
    "/compare",
    "/about",
    "/?format=csv",
    "/benchmarks/beir?format=json",
    "/api/v1/",
    "/api/v1/benchmarks",
    "/api/v1/benchmarks/beir",
    "/api/v1/tasks",
    "/api/v1/models",
    "/api/v1/scores",
    "/api/v1/runs",
    "/healthz",
]


@pytest.mark.parametrize("url", EMPTY_PAGES)
def test_empty_database_renders_every_page(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.data[:300]


@pytest.mark.parametrize("kind", ["params", "bars", "dims", "throughput"])
def test_empty_database_plots_are_images(client, kind):
    response = client.get(f"/plots/{kind}.png?benchmark=beir&model=nobody")
    assert response.status_code == 200
    assert response.mimetype == "image/png" and response.data.startswith(b"\x89PNG")


def test_empty_home_says_how_to_add_results(client):
    html = client.get("/").get_data(as_text=True)
    assert 'id="empty"' in html and "leaderboard run" in html
    for benchmark in benchmark_ids():
        assert f'id="card-{benchmark}"' in html


@pytest.mark.parametrize(
    "url",
    [
        "/models/nobody",
        "/tasks/beir/no-such-task",
        "/tasks/nothing",
        "/benchmarks/mteb",
        "/runs/999",
        "/compare?benchmark=nope",
        "/nowhere",
    ],
)
def test_unknown_things_give_a_404_page(seeded, client, url):
    response = client.get(url)
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert 'id="error"' in html and "404" in html and "Traceback" not in html


@pytest.mark.parametrize("url", ["/api/v1/models/nobody", "/api/v1/tasks/beir/nope", "/api/v1/runs/999", "/api/v1/benchmarks/mteb"])
def test_unknown_things_in_the_api_give_json_404(seeded, client, url):
    response = client.get(url)
    assert response.status_code == 404
    assert response.json["status"] == 404 and response.json["error"] == "Not Found"


# ------------------------------------------------------------------ escaping and headers
def test_a_script_in_names_is_rendered_escaped(seeded, client):
    add_result(XSS, "beir/scifact", 0.5, license=XSS, config={"description": XSS, "metadata": {"training_datasets": [XSS]}})
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    urls = ["/", "/benchmarks/beir", "/tasks/beir/scifact", "/models/", f"/models/{quote(XSS, safe='')}", "/compare?model=" + quote(XSS)]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.get_data(as_text=True)
        assert XSS not in html, url
        assert escaped in html, url
    api = client.get(f"/api/v1/models/{quote(XSS, safe='')}")
    assert api.mimetype == "application/json" and api.json["name"] == XSS


def test_security_headers_and_no_inline_script(seeded, client):
    response = client.get("/benchmarks/beir")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    html = response.get_data(as_text=True)
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []  # every script is an external file
    assert "<style" not in html and " style=" not in html


# ------------------------------------------------------------------ the benchmark table
def test_benchmark_table_ranks_complete_rows_and_marks_partial_ones(seeded, client):
    html = client.get("/benchmarks/beir").get_data(as_text=True)
    complete = sorted((m for m in seeded.main if seeded.beir_mean(m) is not None), key=lambda m: -seeded.beir_mean(m))
    partial = [m for m in seeded.main if seeded.beir_mean(m) is None and any(t in seeded.main[m] for t in BEIR_TASKS)]
    assert rows_of(html) == complete + partial
    for model in complete:
        assert f"{seeded.beir_mean(model):.4f}" in html
    n_present = sum(t in seeded.main[partial[0]] for t in BEIR_TASKS)
    assert f"partial {n_present}/{len(BEIR_TASKS)}" in html
    row = html.split(f'data-model="{partial[0]}"', 1)[1].split("</tr>", 1)[0]
    assert '<td class="rank"></td>' in row  # a partial row has no rank
    assert 'class="missing"' in row and ">–<" in row  # the missing cell is a dash, not 0
    assert "0.0000" not in row


def test_header_tooltip_carries_the_metric_definition(seeded, client):
    html = client.get("/benchmarks/beir").get_data(as_text=True)
    header = re.search(r'<th scope="col"[^>]*data-sort-key="beir/scifact"[^>]*>', html).group(0)
    assert "nDCG@10" in header and "ndcg_cut.10" in header  # the trec_eval measure from the stored metric_spec


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_sorting_by_a_task_column_puts_missing_cells_last(seeded, client, order):
    task = "beir/fiqa"
    html = client.get(f"/benchmarks/beir?sort={task}&order={order}").get_data(as_text=True)
    have = [m for m in seeded.main if task in seeded.main[m]]
    expected = sorted(have, key=lambda m: seeded.main[m][task], reverse=order == "desc")
    missing = [m for m in seeded.main if task not in seeded.main[m] and any(t in seeded.main[m] for t in BEIR_TASKS)]
    assert rows_of(html) == expected + missing


def test_sorting_by_model_name_and_mean_ascending(seeded, client):
    beir_models = [m for m in seeded.main if any(t in seeded.main[m] for t in BEIR_TASKS)]
    html = client.get("/benchmarks/beir?sort=model&order=asc").get_data(as_text=True)
    assert rows_of(html) == sorted(beir_models, key=str.casefold)
    html = client.get("/benchmarks/beir?sort=mean&order=asc").get_data(as_text=True)
    complete = sorted((m for m in beir_models if seeded.beir_mean(m) is not None), key=seeded.beir_mean)
    assert rows_of(html)[: len(complete)] == complete


@pytest.mark.parametrize(
    ("query", "keep"),
    [
        ("family=sparse", lambda c: "sparse" in c.family),
        ("family=dense&family=sparse", lambda c: {"dense", "sparse"} & set(c.family)),
        ("size=lt100m", lambda c: c.metadata.parameters is not None and c.metadata.parameters < 100_000_000),
        ("size=unknown", lambda c: c.metadata.parameters is None),
        ("size=1b-5b", lambda c: c.metadata.parameters is not None and 10**9 <= c.metadata.parameters < 5 * 10**9),
        ("open=1", lambda c: c.metadata.open_weights),
        ("license=MIT", lambda c: c.metadata.license == "MIT"),
        ("origin=reference", lambda c: c.name in {"bm25s-flat", "all-MiniLM-L6-v2"}),
        ("origin=community", lambda c: c.name not in {"bm25s-flat", "all-MiniLM-L6-v2"}),
    ],
)
def test_filters_keep_the_right_rows(seeded, client, query, keep):
    html = client.get(f"/benchmarks/beir?{query}").get_data(as_text=True)
    expected = {m for m, c in seeded.configs.items() if keep(c) and any(t in seeded.main[m] for t in BEIR_TASKS)}
    assert set(rows_of(html)) == expected
    assert expected, "the fixture should make every filter keep some rows"


def test_zero_shot_filter_hides_cells_on_training_data_and_unranks_the_row(seeded, client):
    trained = "community-e5-small"  # lists FiQA among its training datasets
    html = client.get("/benchmarks/beir").get_data(as_text=True)
    row = html.split(f'data-model="{trained}"', 1)[1].split("</tr>", 1)[0]
    assert "trained" in row and f"{seeded.main[trained]['beir/fiqa']:.4f}" in row  # shown, marked †
    html = client.get("/benchmarks/beir?zero_shot=1").get_data(as_text=True)
    row = html.split(f'data-model="{trained}"', 1)[1].split("</tr>", 1)[0]
    assert f"{seeded.main[trained]['beir/fiqa']:.4f}</a>" not in row
    assert "excluded" in row and "partial 2/3" in row and '<td class="rank"></td>' in row


def test_a_model_without_training_data_is_zero_shot_unknown_and_kept_by_the_filter(seeded, client):
    """It was shown as zero-shot; MTEB and users treat a model that lists no training data as unknown."""
    add_result("lists-nothing", "beir/fiqa", 0.31, config={})
    add_result("declares-none", "beir/fiqa", 0.29, config={"metadata": {"training_datasets": []}})
    for query in ("", "?zero_shot=1"):
        html = client.get(f"/benchmarks/beir{query}").get_data(as_text=True)
        unknown = html.split('data-model="lists-nothing"', 1)[1].split("</tr>", 1)[0]
        assert "zs-unknown" in unknown and "zero-shot unknown" in unknown and "0.3100</a>" in unknown  # kept by the filter
        assert "zs-unknown" not in html.split('data-model="declares-none"', 1)[1].split("</tr>", 1)[0]
    assert "unknown kept" in html and "kept by the filter" in html
    rows = {r["model"]: r for r in client.get("/api/v1/benchmarks/beir").json["rows"]}
    assert rows["lists-nothing"]["zero_shot"] is None and rows["declares-none"]["zero_shot"] is True
    results = {r["model"]: r for r in client.get("/api/v1/tasks/beir/fiqa").json["results"]}
    assert results["lists-nothing"]["zero_shot"] is None and results["declares-none"]["zero_shot"] is True
    assert results["community-e5-small"]["zero_shot"] is False and results["community-e5-small"]["trained_on"] == "FiQA"
    task_page = client.get("/tasks/beir/fiqa").get_data(as_text=True)
    assert 'title="the model lists no training data">unknown</span>' in task_page.split("lists-nothing", 2)[-1]
    csv_rows = client.get("/tasks/beir/fiqa?format=csv").get_data(as_text=True).splitlines()
    assert next(line for line in csv_rows if line.startswith("lists-nothing,")).split(",")[-2] == ""  # zero_shot: empty = unknown
    assert client.get("/api/v1/models/lists-nothing").json["results"][0]["zero_shot"] is None


def test_filter_form_reflects_the_url_and_links_keep_filters(seeded, client):
    html = client.get("/benchmarks/beir?family=dense&open=1").get_data(as_text=True)
    assert re.search(r'name="family" value="dense" checked', html)
    assert re.search(r'name="open" value="1" checked', html)
    sort_link = re.search(r'data-sort-key="beir/scifact"[^>]*>\s*<a href="([^"]+)"', html).group(1)
    assert "family=dense" in sort_link and "open=1" in sort_link and "sort=beir%2Fscifact" in sort_link


def test_csv_download_is_the_filtered_sorted_table_at_full_precision(seeded, client):
    response = client.get("/benchmarks/beir?format=csv&family=dense")
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    dense = [m for m, c in seeded.configs.items() if "dense" in c.family and any(t in seeded.main[m] for t in BEIR_TASKS)]
    assert {r["model"] for r in rows} == set(dense)
    for row in rows:
        for task in BEIR_TASKS:
            value = seeded.main[row["model"]].get(task)
            assert row[task] == ("" if value is None else repr(value))
        mean = seeded.beir_mean(row["model"])
        assert (row["mean"] == "") == (mean is None)
        if mean is not None:
            assert float(row["mean"]) == pytest.approx(mean, abs=1e-12)
    body = client.get("/benchmarks/beir?format=json").json
    assert body["benchmark"] == "beir" and body["columns"][7:10] == [t for t in all_tasks() if t in BEIR_TASKS]  # the registry's order


def test_home_shows_leaders_per_benchmark_and_the_overall_table(seeded, client):
    html = client.get("/").get_data(as_text=True)
    card = html.split('id="card-beir"', 1)[1].split("</section>", 1)[0]
    leaders = re.findall(r'href="/models/([^"]+)"', card)
    complete = sorted((m for m in seeded.main if seeded.beir_mean(m) is not None), key=lambda m: -seeded.beir_mean(m))
    assert leaders == complete
    assert 'id="overall-table"' in html
    overall = list(csv.DictReader(io.StringIO(client.get("/?format=csv").get_data(as_text=True))))
    by_model = {r["model"]: r for r in overall}
    assert set(by_model) == set(seeded.main)
    assert by_model["all-MiniLM-L6-v2"]["sts"] == repr(seeded.main["all-MiniLM-L6-v2"][STS_TASK])
    assert by_model["all-MiniLM-L6-v2"]["beir"] == ""  # partial on BEIR: no mean


# ------------------------------------------------------------------ task, model, run, compare pages
def test_task_page_lists_every_model_with_every_metric(seeded, client):
    html = client.get("/tasks/beir/scifact").get_data(as_text=True)
    task = seeded.tasks["beir/scifact"]
    assert set(rows_of(html, "task-table")) == {m for m in seeded.main if "beir/scifact" in seeded.main[m]}
    for metric in task.metrics[:4]:
        assert f'data-sort-key="{metric}"' in html
    assert "trec_eval" in html  # the metric spec is shown


def test_model_page_shows_config_manifest_reported_difference_and_command(seeded, client):
    name = "all-MiniLM-L6-v2"
    config = seeded.configs[name]
    html = client.get(f"/models/{name}").get_data(as_text=True)
    assert "dense, contrastive, distilled" in html
    assert "22.7M parameters" in html and config.metadata.license in html
    assert f"leaderboard run {name} --tasks beir/scifact" in html
    assert 'id="config-yaml"' in html and "revision: " + config.weights.revision in html
    # the manifest: hashes, versions, hardware, timings
    for key in ("config_sha256", "data_sha256", "git_commit", "Versions", "transformers", "Hardware", "Timings (seconds)", "encode_corpus"):
        assert key in html, key
    reported = next(r for r in config.reported if r.task == "beir/scifact" and r.metric == "ndcg_at_10")
    ours = seeded.main[name]["beir/scifact"]
    table = html.split('id="reported-table"', 1)[1].split("</table>", 1)[0]
    delta = ours - reported.value
    assert (f"{delta:+.4f}" if abs(delta) >= 0.00005 else ">0.0000<") in table  # a zero difference carries no sign
    assert f'class="text {grade(reported.value, ours, "ndcg_at_10")}"' in table


def test_community_model_page_offers_the_config_download(seeded, client):
    html = client.get("/models/community-e5-small").get_data(as_text=True)
    assert "leaderboard run community-e5-small.yaml --tasks beir/scifact" in html
    config = client.get("/models/community-e5-small?format=yaml")
    assert config.mimetype == "application/yaml" and b"name: community-e5-small" in config.data


def test_run_page_shows_scores_variants_and_manifest(seeded, client):
    run_id = seeded.run_ids[("community-e5-small", "beir/nfcorpus")]
    html = client.get(f"/runs/{run_id}").get_data(as_text=True)
    assert "dim=64" in html and "dim=128" in html and f"{seeded.main['community-e5-small']['beir/nfcorpus']:.4f}" in html
    assert "corpus_docs_per_s" in html and "shown on the board" in html
    old = client.get(f"/runs/{seeded.old_run_id}").get_data(as_text=True)
    assert "history" in old
    manifest = client.get(f"/runs/{run_id}?format=json").json
    assert manifest["manifest"]["versions"]["python"] and manifest["metric_spec"]["main_score"] == "ndcg_at_10"


def test_compare_page_shows_the_chosen_models_side_by_side(seeded, client):
    html = client.get("/compare?benchmark=beir&model=bm25s-flat&model=community-e5-small").get_data(as_text=True)
    a, b = seeded.main["bm25s-flat"]["beir/scifact"], seeded.main["community-e5-small"]["beir/scifact"]
    assert f"{b - a:+.4f}" in html and 'id="plot-compare"' in html


# ------------------------------------------------------------------ plots and caching
def test_plots_are_png_with_etags(seeded, client):
    for kind in ("params", "dims", "throughput"):
        response = client.get(f"/plots/{kind}.png?benchmark=beir")
        assert response.status_code == 200 and response.data.startswith(b"\x89PNG"), kind
        etag = response.headers["ETag"]
        again = client.get(f"/plots/{kind}.png?benchmark=beir", headers={"If-None-Match": etag})
        assert again.status_code == 304
    bars = client.get("/plots/bars.png?benchmark=beir&model=bm25s-flat&model=all-MiniLM-L6-v2")
    assert bars.data.startswith(b"\x89PNG")


def test_pages_and_plots_change_when_a_run_lands(seeded, client):
    before = client.get("/benchmarks/beir").get_data(as_text=True)
    etag = client.get("/plots/params.png?benchmark=beir").headers["ETag"]
    assert "0.9876" not in before
    add_result("bm25s-flat", "beir/fiqa", 0.9876)
    after = client.get("/benchmarks/beir").get_data(as_text=True)
    assert "0.9876" in after
    assert client.get("/plots/params.png?benchmark=beir", headers={"If-None-Match": etag}).status_code == 200


def test_incremental_snapshot_equals_a_full_reload(seeded):
    engine = make_engine()
    with session_factory(engine)() as session:
        old = snapshots.load_snapshot(session)
    add_result("bm25s-flat", "beir/fiqa", 0.1111)
    add_result("brand-new-model", "beir/scifact", 0.2222)
    with session_factory(engine)() as session:
        version = snapshots.data_version(session)
        refreshed = snapshots.refresh_snapshot(session, old, version)
        full = snapshots.load_snapshot(session, version)
    assert refreshed.cells == full.cells and set(refreshed.models) == set(full.models)
    assert refreshed.task_counts == full.task_counts and refreshed.benchmark_models == full.benchmark_models


def test_api_json_is_valid_and_stable_for_the_board(seeded, client):
    body = json.loads(client.get("/api/v1/benchmarks/beir").data)
    assert [c["task"] for c in body["columns"]] == [t for t in all_tasks() if t in BEIR_TASKS]  # the registry's order


def test_unpublished_submissions_stay_off_the_site_until_published(seeded, client):
    run_id = add_result("pending-submission", "beir/scifact", 0.8123, published=False)
    assert "pending-submission" not in rows_of(client.get("/benchmarks/beir").get_data(as_text=True))
    assert client.get("/models/pending-submission").status_code == 404
    assert client.get(f"/runs/{run_id}").status_code == 404
    assert client.get(f"/api/v1/runs/{run_id}").status_code == 404
    assert client.get("/api/v1/scores?model=pending-submission").json["total"] == 0
    assert client.get("/api/v1/runs?model=pending-submission").json["total"] == 0
    assert "pending-submission" not in client.get("/tasks/beir/scifact").get_data(as_text=True)
    with session_factory(make_engine())() as session, session.begin():
        session.query(schema.Model).filter_by(name="pending-submission").one().published = True  # as submissions.publish does
    assert "pending-submission" in rows_of(client.get("/benchmarks/beir").get_data(as_text=True))
    assert client.get(f"/runs/{run_id}").status_code == 200


def test_cli_results_ranks_exactly_as_the_site(seeded, client):
    """`leaderboard results` had its own ranking: unpublished models listed, no tied ranks."""
    from click.testing import CliRunner

    from leaderboard.cli import main

    for task_id in BEIR_TASKS:
        add_result("tie-a", task_id, 0.9)
        add_result("tie-b", task_id, 0.9)
        add_result("hidden-submission", task_id, 0.95, published=False)
    printed = CliRunner().invoke(main, ["results", "--benchmark", "beir"]).output
    assert "hidden-submission" not in printed
    lines = {line.split()[1]: line.split()[0] for line in printed.splitlines()[1:] if line.split() and line.split()[0].isdigit()}
    site = {r["model"]: r["rank"] for r in client.get("/api/v1/benchmarks/beir").json["rows"] if r["rank"] is not None}
    assert {name: int(rank) for name, rank in lines.items()} == site
    assert site["tie-a"] == site["tie-b"] == 1


def test_cli_results_shows_the_zero_shot_state_the_site_shows(seeded, client):
    """Zero-shot is true, false or unknown in every view: the board, its API and CSV, and `leaderboard results`."""
    from click.testing import CliRunner

    from leaderboard.cli import main

    for task_id in BEIR_TASKS:
        add_result("lists-nothing", task_id, 0.31)  # no config: training data unknown
    printed = CliRunner().invoke(main, ["results", "--benchmark", "beir"]).output
    header, *lines = printed.splitlines()
    assert header.split()[-1] == "zero-shot"
    printed_state = {line.split()[1]: line.split()[-1] for line in lines if line.split() and line.split()[0].isdigit()}
    api = {r["model"]: r["zero_shot"] for r in client.get("/api/v1/benchmarks/beir").json["rows"] if r["rank"] is not None}
    as_csv = {
        r["model"]: r["zero_shot"] for r in csv.DictReader(io.StringIO(client.get("/benchmarks/beir?format=csv").get_data(as_text=True)))
    }
    words = {True: "yes", False: "no", None: "unknown"}
    assert printed_state == {model: words[state] for model, state in api.items()}
    assert api["community-e5-small"] is False and api["lists-nothing"] is None and api["bm25s-flat"] is True
    assert as_csv["community-e5-small"] == "false" and as_csv["lists-nothing"] == "" and as_csv["bm25s-flat"] == "true"
    trained = next(line for line in lines if line.split()[1:2] == ["community-e5-small"])
    assert f"{seeded.main['community-e5-small']['beir/fiqa']:.4f}†" in trained  # the score on its training data, marked
    assert "†: on the model's training data" in printed


def test_every_mean_says_what_it_covers(seeded, client):
    """The board's HTML, API and CSV, the home page's overall download and `leaderboard results` list what a mean averages."""
    from click.testing import CliRunner

    from leaderboard.cli import main

    covers = [t.split("/")[1] for t in all_tasks() if t in BEIR_TASKS]  # the registry's order
    rows = {r["model"]: r for r in client.get("/api/v1/benchmarks/beir").json["rows"]}
    assert rows["bm25s-flat"]["mean_covers"] == covers
    board_csv = {r["model"]: r for r in csv.DictReader(io.StringIO(client.get("/benchmarks/beir?format=csv").get_data(as_text=True)))}
    assert board_csv["bm25s-flat"]["mean_covers"] == "; ".join(covers)
    overall = {r["model"]: r for r in csv.DictReader(io.StringIO(client.get("/?format=csv").get_data(as_text=True)))}
    assert overall["bm25s-flat"]["beir_covers"] == "; ".join(covers) and overall["all-MiniLM-L6-v2"]["beir_covers"] == ""
    html = client.get("/benchmarks/beir").get_data(as_text=True)
    assert f"mean over 3 datasets ({', '.join(covers)})" in html.split('data-model="bm25s-flat"', 1)[1].split("</tr>", 1)[0]
    assert f"mean over: {', '.join(covers)}" in CliRunner().invoke(main, ["results", "--benchmark", "beir"]).output


def test_export_leaves_out_unpublished_models_unless_an_admin_asks(seeded):
    """`leaderboard export` listed submissions the site hides until they are published."""
    from click.testing import CliRunner

    from leaderboard.cli import main

    add_result("pending-submission", "beir/scifact", 0.8123, published=False)
    public = json.loads(CliRunner().invoke(main, ["export", "--format", "json"]).output)
    assert "pending-submission" not in {r["model"] for r in public} and "bm25s-flat" in {r["model"] for r in public}
    as_csv = CliRunner().invoke(main, ["export", "--format", "csv"]).output
    assert "pending-submission" not in as_csv
    everything = json.loads(CliRunner().invoke(main, ["export", "--format", "json", "--include-unpublished"]).output)
    assert {r["value"] for r in everything if r["model"] == "pending-submission"} == {0.8123}


def test_a_number_reported_for_all_of_beir_is_compared_with_the_mean_as_beir_takes_it(client):
    """CQADupStack's 12 forums count once in our mean too when a model reports one BEIR average."""
    from benchmarks.registry import all_tasks

    beir = sorted(t.id for t in all_tasks().values() if t.benchmark == "beir")
    forums = [t for t in beir if all_tasks()[t].group == "cqadupstack"]
    assert len(forums) == 12
    for task_id in beir:
        add_result("averaged", task_id, 0.0 if task_id in forums else 1.0)
    with session_factory(make_engine())() as session, session.begin():
        model = session.query(schema.Model).filter_by(name="averaged").one()
        session.add(schema.ReportedScore(model_id=model.id, task_id="beir", metric="ndcg_at_10", value=0.9, source="paper"))
    reported = client.get("/api/v1/models/averaged").json["reported"][0]
    datasets = len(beir) - len(forums) + 1
    assert reported["ours"] == pytest.approx((datasets - 1) / datasets)  # not (26 - 12) / 26
    assert "cqadupstack (12 tasks)" in reported["mean_covers"] and len(reported["mean_covers"]) == datasets
