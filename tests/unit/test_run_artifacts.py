"""Every retrieval run keeps the ranking its scores came from, and gives it back as a TREC run file.

- the codec (``common/rankings.py``) round-trips hits and scores exactly, picks float32 only when
  every score is one, is deterministic (one sha256 per content) and refuses damaged bytes;
- a run stores its top 1,000 per judged query in trec_eval order, identical ids removed, in the
  run's transaction, with the sha256 in the manifest;
- ``leaderboard export-run`` and ``/api/v1/runs/<id>/run.trec`` write the same TREC file, and
  pytrec_eval on it with the task's qrels gives every stored score, mean and per query, exactly;
- a run stored before rankings were kept says so (CLI error, API ``ranking: null`` + a note).
"""

from __future__ import annotations

import zlib
from datetime import UTC, datetime

import numpy as np
import pytest
import pytrec_eval
from click.testing import CliRunner
from sqlalchemy import select

from benchmarks.beir.benchmark import beir_task, extra_datasets
from benchmarks.metrics.retrieval import RETRIEVAL_METRICS, MetricResult, judged_grades
from benchmarks.registry import all_tasks, get_benchmark
from common import rankings
from common.errors import UserError
from leaderboard import schema
from leaderboard.cli import main
from leaderboard.db import make_engine, session_factory
from leaderboard.store import record_run
from runners.execute import run_task
from runners.outcome import RunOutcome
from runners.protocols import RetrievalResult
from runners.session import ModelSession
from submissions.registry import resolve_model
from tests.conftest import write_beir


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def scores_back_from_trec(text: str, qrels) -> dict[str, tuple[float, dict[str, float]]]:
    """pytrec_eval on a TREC run file, computed as the metric spec says: grades <= 0 as 0, MRR@10 on the first 10 lines."""
    run: dict[str, dict[str, float]] = {}
    ranks: dict[str, dict[str, int]] = {}
    for line in text.splitlines():
        qid, q0, doc, rank, score, _tag = line.split(" ")
        assert q0 == "Q0"
        run.setdefault(qid, {})[doc] = float(score)
        ranks.setdefault(qid, {})[doc] = int(rank)
    grades = judged_grades(qrels)
    back = {}
    for metric in RETRIEVAL_METRICS.values():
        cut = (
            run
            if metric.truncate_to is None
            else {q: {d: s for d, s in h.items() if ranks[q][d] <= metric.truncate_to} for q, h in run.items()}
        )
        raw = pytrec_eval.RelevanceEvaluator(grades, {metric.trec_measure}).evaluate(cut)
        per_query = {q: float(raw.get(q, {}).get(metric.result_key, 0.0)) for q in grades}
        back[metric.name] = (sum(per_query.values()) / len(per_query), per_query)
    return back


def stored_scores(run_id: int) -> dict[str, tuple[float, dict[str, float]]]:
    with session_factory(make_engine())() as session:
        rows = session.scalars(select(schema.Score).where(schema.Score.run_id == run_id, schema.Score.variant == "")).all()
        return {row.metric: (row.value, dict(row.per_query)) for row in rows}


def run_ids() -> list[int]:
    with session_factory(make_engine())() as session:
        return list(session.scalars(select(schema.Run.id).order_by(schema.Run.id)))


# --------------------------------------------------------------------------- the codec
def test_codec_round_trips_hits_and_scores_exactly_and_picks_float32_only_when_exact():
    as32 = {"q2": [("d9", float(np.float32(0.1))), ("d1", float(np.float32(0.1)))], "q1": [("b", 3.0)], "q3": []}
    encoded = rankings.encode("ranking", as32)
    decoded = rankings.decode(encoded.data, sha256=encoded.sha256)
    assert decoded.scores.dtype == np.float32
    assert decoded.queries == ("q1", "q2", "q3") and decoded.hits("q2") == as32["q2"] and decoded.hits("q3") == []
    as64 = {"q1": [("b", 0.1), ("a", 1 / 3)]}  # 0.1 is not a float32: every score is kept as float64
    decoded64 = rankings.decode(rankings.encode("ranking", as64).data)
    assert decoded64.scores.dtype == np.float64 and decoded64.hits("q1") == as64["q1"]
    assert (encoded.queries, encoded.hits) == (3, 3)


def test_codec_bytes_and_sha256_are_deterministic():
    one = rankings.encode("ranking", {"b": [("x", 1.5)], "a": [("y", 2.0), ("x", 1.0)]})
    two = rankings.encode("ranking", {"a": [("y", 2.0), ("x", 1.0)], "b": [("x", 1.5)]})
    assert one.data == two.data and one.sha256 == two.sha256
    assert one.sha256 != rankings.encode("ranking", {"a": [("x", 1.0), ("y", 2.0)], "b": [("x", 1.5)]}).sha256  # order is content


def test_codec_refuses_damaged_bytes_with_one_line():
    encoded = rankings.encode("ranking", {"q": [("d", 1.0)]})
    with pytest.raises(UserError, match="not a readable ranking"):
        rankings.decode(b"garbage")
    with pytest.raises(UserError, match="does not match its sha256"):
        rankings.decode(encoded.data, sha256="0" * 64)
    payload = zlib.decompress(encoded.data)
    with pytest.raises(UserError, match="bytes of hits"):
        rankings.decode(zlib.compress(payload[:-2]))


# --------------------------------------------------------------------------- stored with the run
class TiedRetriever:
    """1,100 hits for each query, in bands of exactly tied float64 scores, and the query's own id among them."""

    extra_hit_for_identical_ids = True

    def retrieve(self, corpus, queries, k, corpus_sha256):
        docs = sorted(corpus)
        run = {q: {doc: float(i // 7) * 0.1 + 1 / 3 for i, doc in enumerate(docs[: k + 99])} for q in queries}
        for q in queries:
            if q in corpus:
                run[q][q] = 99.0  # the query itself on top: removed before the cut
        return RetrievalResult(run)

    def describe(self):
        return {}


@pytest.fixture
def wide_task(tmp_path, monkeypatch):
    """``beir/wide``: 1,200 docs, 4 judged queries (one of them also a doc), graded 2 / 1 / 0 / -2."""
    docs = {f"d{i:04d}": (f"title {i}", f"text {i}") for i in range(1199)} | {"q1": ("self", "the query as a document")}
    queries = {"q1": "one", "q2": "two", "q3": "three", "q4": "four"}
    qrels = [("q1", "d0005", 2), ("q1", "d1000", 1), ("q2", "d0700", 1), ("q2", "d0001", 0), ("q3", "d0002", -2), ("q4", "d0999", 1)]
    write_beir(tmp_path / "data" / "beir" / "wide", docs, queries, qrels)
    extra = tmp_path / "wide.yaml"
    extra.write_text(f"- {{name: wide, docs: {len(docs)}, queries: {len(queries)}}}\n")
    monkeypatch.setenv("LEADERBOARD_BEIR_EXTRA", str(extra))
    task = beir_task(extra_datasets()[0])
    monkeypatch.setitem(all_tasks(), task.id, task)
    return task


def run_tied(task) -> tuple[RunOutcome, int]:
    config, _ = resolve_model("all-MiniLM-L6-v2")
    outcome = run_task(ModelSession(config, retriever=TiedRetriever()), task)
    with session_factory(make_engine())() as session:
        return outcome, record_run(session, config, task, outcome, is_reference=True)


def test_a_run_keeps_the_ranking_the_metrics_used(wide_task):
    outcome, run_id = run_tied(wide_task)
    ranking = rankings.decode(outcome.artifacts["ranking"].data)
    hits = ranking.hits("q1")
    assert len(hits) == 1000 and "q1" not in dict(hits)  # the identical id removed, then cut to 1,000
    assert hits == sorted(hits, key=lambda h: (h[1], h[0]), reverse=True)  # score desc, ties by doc id desc (trec_eval)
    assert ranking.queries == ("q1", "q2", "q3", "q4")  # every judged query
    entry = outcome.manifest["artifacts"]["ranking"]
    assert entry["sha256"] == outcome.artifacts["ranking"].sha256 and entry["format_version"] == rankings.FORMAT_VERSION
    with session_factory(make_engine())() as session:
        row = session.get(schema.RunArtifact, (run_id, "ranking"))
        assert row.sha256 == entry["sha256"] and row.size == len(row.data) == entry["bytes"]


@pytest.mark.parametrize("source", ["tied float64 run", "bm25s-flat"])
def test_pytrec_eval_on_the_exported_trec_file_gives_every_stored_score_exactly(source, wide_task, tiny_task):
    if source == "bm25s-flat":
        assert invoke("run", "bm25s-flat", "--tasks", tiny_task.id).exit_code == 0
        run_id, task = run_ids()[-1], tiny_task
    else:
        run_id, task = run_tied(wide_task)[1], wide_task
    result = invoke("export-run", str(run_id), "--format", "trec")
    assert result.exit_code == 0, result.output
    first = result.output.splitlines()[0].split(" ")
    assert first[1] == "Q0" and first[3] == "1" and first[5].endswith(f".run{run_id}")
    qrels = get_benchmark("beir").load(task).data.qrels
    back, stored = scores_back_from_trec(result.output, qrels), stored_scores(run_id)
    assert set(back) == set(stored) == set(RETRIEVAL_METRICS)
    for metric in stored:
        assert back[metric][1] == stored[metric][1], metric  # every per-query value, ==
        assert back[metric][0] == stored[metric][0], metric  # and the mean, ==


def test_export_run_writes_a_file_and_the_api_serves_the_same_bytes(tiny_task, tmp_path):
    from web import create_app

    assert invoke("run", "bm25s-flat", "--tasks", tiny_task.id).exit_code == 0
    run_id = run_ids()[-1]
    out = tmp_path / "run.trec"
    assert invoke("export-run", str(run_id), "--output", str(out)).exit_code == 0
    client = create_app().test_client()
    served = client.get(f"/api/v1/runs/{run_id}/run.trec")
    assert served.status_code == 200 and served.data.decode() == out.read_text()
    page = client.get(f"/api/v1/runs/{run_id}/ranking?limit=2&offset=1").get_json()
    assert page["total"] == 3 and [q["query_id"] for q in page["queries"]] == ["q2", "q3"]
    assert page["queries"][0]["hits"] == [] and page["queries"][1]["hits"][0]["rank"] == 1  # q2: only itself matched, removed
    record = client.get(f"/api/v1/runs/{run_id}").get_json()
    assert record["ranking"]["trec"] == f"/api/v1/runs/{run_id}/run.trec" and record["ranking"]["queries"] == 3


def test_a_run_stored_before_rankings_says_so(tiny_task):
    from web import create_app

    config, _ = resolve_model("bm25s-flat")
    now = datetime.now(UTC)
    scores = {"ndcg_at_10": MetricResult(0.5, {"q1": 0.5})}
    old = RunOutcome("bm25s-flat", tiny_task.id, scores, {"config_sha256": "x"}, now, now, tiny_task.metric_spec)
    with session_factory(make_engine())() as session:
        run_id = record_run(session, config, tiny_task, old, is_reference=True)
    result = invoke("export-run", str(run_id))
    assert result.exit_code == 1 and "no ranking stored" in result.output and "Traceback" not in result.output
    client = create_app().test_client()
    record = client.get(f"/api/v1/runs/{run_id}").get_json()
    assert record["ranking"] is None and "before rankings were kept" in record["ranking_note"]
    assert client.get(f"/api/v1/runs/{run_id}/run.trec").status_code == 404
    assert invoke("export-run", "999").exit_code == 1


def test_the_run_page_links_the_ranking_or_says_none_was_stored(tiny_task):
    from web import create_app

    assert invoke("run", "bm25s-flat", "--tasks", tiny_task.id).exit_code == 0
    run_id = run_ids()[-1]
    page = create_app().test_client().get(f"/runs/{run_id}").get_data(as_text=True)
    assert f'href="/api/v1/runs/{run_id}/run.trec"' in page and f'href="/api/v1/runs/{run_id}/ranking"' in page
    assert "explore query by query" in page
    with session_factory(make_engine())() as session:
        session.delete(session.get(schema.RunArtifact, (run_id, "ranking")))
        session.commit()
    page = create_app().test_client().get(f"/runs/{run_id}").get_data(as_text=True)
    assert "no ranking stored" in page and "run.trec" not in page


def test_a_tatoeba_run_keeps_each_sentences_nearest_neighbour(tmp_path, monkeypatch):
    from dataclasses import replace

    from benchmarks.tatoeba.benchmark import tatoeba_task
    from benchmarks.tatoeba.catalog import TatoebaLanguage
    from runners.run_sentences import run_sentences
    from tests.unit.test_tatoeba import FakeEncoder, fake_config, fake_session, write_pair

    monkeypatch.setenv("LEADERBOARD_DATA_DIR", str(tmp_path))
    write_pair(tmp_path / "tatoeba" / "v1", "tst", ["x0", "x1"], ["e0", "e1"])
    task = replace(tatoeba_task("deu"), id="tatoeba/tst-eng", info=TatoebaLanguage("tst", 2), expected_counts={"pairs": 2})
    encoder = FakeEncoder({"x0": [1, 0], "x1": [1, 0.1], "e0": [1, 0], "e1": [0, 1]})
    outcome = run_sentences(fake_session(fake_config(), encoder), task)
    neighbours = rankings.decode(outcome.artifacts["neighbours"].data)
    assert neighbours.kind == "neighbours" and neighbours.hits("1") == [("1", 1.0)]
    ((line, similarity),) = neighbours.hits("2")  # x1 finds e0 (wrong): its similarity is cos(x1, e0)
    assert line == "1" and similarity == pytest.approx(1 / np.sqrt(1.01), abs=1e-6)
    assert outcome.manifest["artifacts"]["neighbours"]["sha256"] == outcome.artifacts["neighbours"].sha256
