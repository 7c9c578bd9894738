"""The per-query explorer: ``/tasks/<id>/queries?a=&b=`` and its JSON twin ``/api/v1/tasks/<id>/queries``.

- every judged query with both models' main metric and Δ, sortable (Δ, a, b, id) and filterable
  (a wins, b wins, ties) with counts; the CSV/JSON download holds the same rows;
- a query opens (a plain link) on its text, its judged documents with grades and both models'
  top 10 side by side, each hit with doc id, title, snippet, relevance mark and "only in A/B";
- texts come from the task's data on the server (a doc-id store in the cache dir, built once);
  without the data: ids only, with a note;
- STS pairs are listed by rank displacement |predicted rank − gold rank|;
- bad model names are a one-line 400, an unknown query a 404.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from click.testing import CliRunner

from benchmarks.registry import all_tasks
from common.settings import cache_dir
from leaderboard.cli import main
from leaderboard.db import make_engine, session_factory
from leaderboard.store import record_run
from leaderboard.views import texts
from runners.execute import run_task
from runners.session import ModelSession
from submissions.registry import resolve_model
from tests.unit.test_fusion import RandomRetriever
from tests.unit.test_run_items import pairs, spearman, store
from web import create_app


@pytest.fixture
def two_runs(tiny_task):
    """bm25s-flat (real) and all-MiniLM-L6-v2 (a random stand-in retriever) on beir/tiny."""
    assert CliRunner().invoke(main, ["run", "bm25s-flat", "--tasks", tiny_task.id], catch_exceptions=False).exit_code == 0
    config, _ = resolve_model("all-MiniLM-L6-v2")
    outcome = run_task(ModelSession(config, retriever=SmallRandom(3)), tiny_task)
    with session_factory(make_engine())() as session:
        record_run(session, config, tiny_task, outcome, is_reference=True)
    texts._STORES.clear()
    return tiny_task


class SmallRandom(RandomRetriever):
    def retrieve(self, corpus, queries, k, corpus_sha256):
        docs = sorted(corpus)
        run = {q: {d: float(np.float32(self.rng.random())) for d in docs} for q in queries}
        from runners.protocols import RetrievalResult

        return RetrievalResult(run)


URL = "/tasks/beir/tiny/queries?a=bm25s-flat&b=all-MiniLM-L6-v2"
API = "/api/v1/tasks/beir/tiny/queries?a=bm25s-flat&b=all-MiniLM-L6-v2"


def test_the_listing_shows_every_judged_query_with_both_values_delta_and_counts(two_runs):
    client = create_app().test_client()
    body = client.get(API).get_json()
    assert body["total"] == 3 and {item["id"] for item in body["items"]} == {"q1", "q2", "q3"}
    for item in body["items"]:
        assert item["delta"] == item["a"] - item["b"] and item["outcome"] == (
            "a" if item["delta"] > 0 else "b" if item["delta"] < 0 else "tie"
        )
    counts = body["counts"]
    assert counts["a"] + counts["b"] + counts["ties"] == counts["all"] == 3
    deltas = [item["delta"] for item in body["items"]]
    assert deltas == sorted(deltas, reverse=True)  # default: Δ descending
    by_id = client.get(API + "&sort=id").get_json()["items"]
    assert [item["id"] for item in by_id] == ["q1", "q2", "q3"]
    for show in ("a", "b", "ties"):
        shown = client.get(API + f"&show={show}").get_json()
        assert shown["total"] == counts[show] and all(item["outcome"] == {"ties": "tie"}.get(show, show) for item in shown["items"])
    zero = client.get(API + "&show=zero").get_json()  # either model scores 0 (Tatoeba: a wrong neighbour)
    assert zero["total"] == counts["zero"] and all(item["a"] == 0 or item["b"] == 0 for item in zero["items"])
    page = client.get(URL).get_data(as_text=True)
    assert 'id="explorer-table"' in page and f"A wins ({counts['a']})" in page and "<script" not in page.split("</head>")[1]
    csv = client.get(URL + "&format=csv").get_data(as_text=True).splitlines()
    assert csv[0] == "id,a,b,delta,outcome" and len(csv) == 4


def test_a_query_opens_with_its_text_judgements_and_both_top_10_side_by_side(two_runs):
    client = create_app().test_client()
    body = client.get("/api/v1/tasks/beir/tiny/queries/item?a=bm25s-flat&b=all-MiniLM-L6-v2&q=q1").get_json()
    assert body["text"] == "vitamin deficiency and fractures"
    assert {(j["doc_id"], j["grade"]) for j in body["judged"]} == {("d1", 1.0), ("d4", 1.0)}
    assert body["a_hits"][0]["doc_id"] in {"d1", "d4"} and body["a_hits"][0]["title"] in {"Vitamin D", "Bones"}
    assert len(body["b_hits"]) == 5  # the stand-in ranks all 5 docs (none is q1 itself)
    a_top = {h["doc_id"] for h in body["a_hits"]}
    for hit in body["b_hits"]:
        assert hit["only_here"] == (hit["doc_id"] not in a_top)
        assert hit["grade"] == (1.0 if hit["doc_id"] in {"d1", "d4"} else None)
    page = client.get("/tasks/beir/tiny/queries/item?a=bm25s-flat&b=all-MiniLM-L6-v2&q=q1").get_data(as_text=True)
    assert "vitamin deficiency and fractures" in page and 'id="hits-a"' in page and 'id="hits-b"' in page and "only in" in page
    listing = client.get(URL).get_data(as_text=True)
    assert "/tasks/beir/tiny/queries/item?" in listing  # each query is a plain link


def test_leaderboard_run_prepares_the_texts_so_the_first_visit_reads_no_dataset(two_runs, monkeypatch):
    """``leaderboard run`` built the store after its run: the explorer's first visit reads rows from it
    and never calls the benchmark's loader (which, on a large corpus, would hold the request)."""
    from benchmarks.beir.benchmark import BeirBenchmark

    assert (cache_dir() / "explorer-texts").is_dir() and any((cache_dir() / "explorer-texts").glob("*.sqlite"))

    def no_loading(*args, **kwargs):
        raise AssertionError("the explorer loaded the dataset")

    monkeypatch.setattr(BeirBenchmark, "load", no_loading)
    body = create_app().test_client().get("/api/v1/tasks/beir/tiny/queries/item?a=bm25s-flat&b=all-MiniLM-L6-v2&q=q1").get_json()
    assert body["text"] and body["a_hits"][0]["title"]


def test_without_the_data_on_the_server_the_explorer_shows_ids_with_a_note(two_runs, tiny_beir):
    """A web server that never had the data (the run was made elsewhere, or before the store existed)."""
    shutil.rmtree(cache_dir() / "explorer-texts", ignore_errors=True)
    for path in tiny_beir.rglob("*"):
        if path.is_file():
            path.unlink()
    client = create_app().test_client()
    body = client.get("/api/v1/tasks/beir/tiny/queries/item?a=bm25s-flat&b=all-MiniLM-L6-v2&q=q1").get_json()
    assert body["text"] is None and any("not on this server" in note for note in body["item_notes"])
    assert body["a_hits"] and body["a_hits"][0]["title"] == ""  # ids only


def test_bad_models_are_one_line_400s_and_an_unknown_query_a_404(two_runs):
    client = create_app().test_client()
    bad = client.get("/api/v1/tasks/beir/tiny/queries?a=bm25s-flat&b=nobody")
    assert bad.status_code == 400 and "not a published model" in bad.get_data(as_text=True)
    assert client.get("/api/v1/tasks/beir/tiny/queries/item?a=bm25s-flat&b=all-MiniLM-L6-v2&q=nope").status_code == 404
    assert client.get(API + "&sort=evil").status_code == 400


def test_sts_pairs_are_listed_by_rank_displacement():
    from scipy.stats import rankdata

    sts = all_tasks()["sts/sts12"]
    (pred_a, gold), (pred_b, _) = pairs(1), pairs(2)
    store("model-a", sts, {"cosine_spearman": spearman(pred_a, gold)}, {"gold": gold})
    store("model-b", sts, {"cosine_spearman": spearman(pred_b, gold)}, {"gold": gold})
    body = create_app().test_client().get("/api/v1/tasks/sts/sts12/queries?a=model-a&b=model-b&sort=id&limit=1000").get_json()
    ids = sorted(gold)
    g = rankdata([gold[i] for i in ids])
    expected_a = np.abs(rankdata([pred_a[i] for i in ids]) - g)
    assert body["kind"] == "sts" and body["lower_is_better"] and body["delta"] == "b - a"
    assert [item["a"] for item in body["items"]] == expected_a.tolist()
    assert all(item["delta"] == item["b"] - item["a"] for item in body["items"])


def test_explorer_page_without_models_offers_the_choice(two_runs):
    page = create_app().test_client().get("/tasks/beir/tiny/queries").get_data(as_text=True)
    assert 'name="a"' in page and "bm25s-flat" in page and "all-MiniLM-L6-v2" in page
