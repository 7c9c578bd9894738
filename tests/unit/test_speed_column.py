"""The board's speed column: encode throughput on the stated hardware and bytes per document, never silently compared across machines."""

from __future__ import annotations

import re

import pytest

from leaderboard import schema
from leaderboard.db import make_engine, session_factory
from leaderboard.views.speed import bytes_per_doc, cold_rate, hardware_label, row_speed
from tests.unit.test_web import add_result, rows_of
from web import create_app

CPU = {"device": "cpu", "cpu_model": "AMD EPYC 9B14", "cpu_count": 2, "machine": "x86_64"}
GPU = {"device": "cuda", "gpu": "NVIDIA H200", "cpu_count": 16}


def dense_manifest(docs_per_s: float, hardware: dict, *, measured: str = "cold pass", dim: int = 384) -> dict:
    encode_pass = {"docs_per_s": docs_per_s, "measured": measured, "tokens_per_s": docs_per_s * 50}
    return {"model": {"backend": "dense", "embedding_dim": dim, "encode_pass": encode_pass}, "hardware": hardware, "counts": {"docs": 5183}}


def with_manifest(run_id: int, manifest: dict) -> None:
    with session_factory(make_engine())() as session, session.begin():
        session.get(schema.Run, run_id).manifest = manifest


@pytest.fixture
def client():
    return create_app().test_client()


def speed_cell(html: str, model: str) -> str:
    row = html.split(f'<tr data-model="{model}">', 1)[1].split("</tr>", 1)[0]
    return re.findall(r'<td class="[^"]*speed[^"]*"[^>]*>.*?</td>', row)[0]


def test_a_row_shows_docs_per_s_and_bytes_per_doc_with_the_hardware_in_the_tooltip(client):
    with_manifest(add_result("fast-dense", "beir/scifact", 0.6), dense_manifest(240.0, CPU))
    html = client.get("/benchmarks/beir").get_data(as_text=True)
    cell = speed_cell(html, "fast-dense")
    assert ">240/s · 1.5 KiB<" in cell  # 384 dimensions x 4 bytes
    assert "240.0 docs/s, median over 1 cold encoding pass(es) on AMD EPYC 9B14 (cpu, 2 cores); 1,536 bytes per document" in cell
    header = re.search(r'<th[^>]*data-sort-key="speed"[^>]*>', html).group(0)
    assert "measured on: AMD EPYC 9B14 (cpu, 2 cores)" in header


def test_a_pass_the_embedding_cache_served_is_no_throughput():
    assert cold_rate(dense_manifest(9000.0, CPU, measured="all cached")) is None
    assert cold_rate(dense_manifest(9000.0, CPU, measured="partly cached")) is None
    assert cold_rate({"model": {"corpus_docs_per_s": 404.0, "cache_hits": 5183}}) is None  # an older warm run
    assert cold_rate({"model": {"corpus_docs_per_s": 23.5, "cache_hits": 0}}) == 23.5  # an older cold run
    assert cold_rate({"model": {"corpus_docs_per_s": 50.0}}) == 50.0  # SPLADE: no embedding cache


def test_sparse_rows_show_index_bytes_per_document():
    assert bytes_per_doc({"model": {"backend": "bm25", "index_bytes": 5183 * 300}, "counts": {"docs": 5183}}) == 300
    assert bytes_per_doc({"model": {"backend": "splade"}, "counts": {"docs": 10}}) is None  # not recorded: no number made up
    assert bytes_per_doc(dense_manifest(1.0, CPU, dim=768)) == 3072


def test_a_row_takes_the_median_and_says_when_its_runs_were_on_several_machines():
    speed = row_speed([dense_manifest(100.0, CPU), dense_manifest(300.0, CPU), dense_manifest(200.0, CPU)])
    assert speed.docs_per_s == 200.0 and speed.runs == 3 and not speed.mixed
    mixed = row_speed([dense_manifest(100.0, CPU), dense_manifest(5000.0, GPU)])
    assert mixed.mixed and mixed.machines == ("AMD EPYC 9B14 (cpu, 2 cores)", "NVIDIA H200 (cuda)")
    assert "several machines" in mixed.tooltip
    assert row_speed([{"model": {"backend": "bm25"}}]) is None
    assert hardware_label({"device": "cpu", "processor": "x86_64", "cpu_count": 4}) == "x86_64 (cpu, 4 cores)"


def test_sorting_by_speed_orders_measured_rows_and_puts_unmeasured_last(client):
    with_manifest(add_result("slow", "beir/scifact", 0.7), dense_manifest(20.0, CPU))
    with_manifest(add_result("fast", "beir/scifact", 0.5), dense_manifest(400.0, CPU))
    add_result("unmeasured", "beir/scifact", 0.9)
    html = client.get("/benchmarks/beir?sort=speed").get_data(as_text=True)
    assert rows_of(html) == ["fast", "slow", "unmeasured"]
    assert rows_of(client.get("/benchmarks/beir?sort=speed&order=asc").get_data(as_text=True)) == ["slow", "fast", "unmeasured"]
    assert 'id="speed-mixed-hardware"' not in html  # one machine: nothing to warn about


def test_sorting_by_speed_across_different_hardware_shows_a_warning(client):
    with_manifest(add_result("on-cpu", "beir/scifact", 0.7), dense_manifest(20.0, CPU))
    with_manifest(add_result("on-gpu", "beir/scifact", 0.5), dense_manifest(4000.0, GPU))
    html = client.get("/benchmarks/beir?sort=speed").get_data(as_text=True)
    assert 'id="speed-mixed-hardware"' in html
    note = html.split('id="speed-mixed-hardware"', 1)[1].split("</p>", 1)[0]
    assert "2 machines" in note and "NVIDIA H200 (cuda)" in note and "AMD EPYC 9B14 (cpu, 2 cores)" in note
    assert 'id="speed-mixed-hardware"' not in client.get("/benchmarks/beir").get_data(as_text=True)  # sorted by mean: no speed compared


def test_hostile_or_non_finite_manifest_values_are_no_speed():
    assert cold_rate({"model": {"encode_pass": {"docs_per_s": float("inf"), "measured": "cold pass"}}}) is None
    assert cold_rate({"model": {"encode_pass": {"docs_per_s": "fast", "measured": "cold pass"}}}) is None
    assert cold_rate({"model": {"corpus_docs_per_s": True}}) is None
    assert bytes_per_doc({"model": {"backend": "dense", "embedding_dim": float("nan")}}) is None
    assert bytes_per_doc({"model": {"backend": "bm25", "index_bytes": 10}, "counts": {"docs": 0}}) is None


def test_the_api_gives_the_same_speed_and_sorts_by_it(client):
    with_manifest(add_result("slow", "beir/scifact", 0.7), dense_manifest(20.0, CPU))
    with_manifest(add_result("fast", "beir/scifact", 0.5), dense_manifest(400.0, GPU))
    add_result("unmeasured", "beir/scifact", 0.9)
    body = client.get("/api/v1/benchmarks/beir?sort=speed").get_json()
    assert [row["model"] for row in body["rows"]] == ["fast", "slow", "unmeasured"]
    assert body["rows"][0]["speed"] == {
        "docs_per_s": 400.0,
        "bytes_per_doc": 1536.0,
        "hardware": ["NVIDIA H200 (cuda)"],
        "measured_runs": 1,
    }
    assert body["rows"][2]["speed"] is None
