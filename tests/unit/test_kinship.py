"""Submissions (issue 17 item 6): the same weights as a model on the board are labelled, and so is a tuned variant of a reference config.

Policy: label, never refuse (``submissions/kinship.py``); both model pages link each other.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from benchmarks.metrics.retrieval import MetricResult
from benchmarks.registry import all_tasks
from leaderboard.db import make_engine, session_factory
from leaderboard.store import record_run
from runners.outcome import RunOutcome
from submissions.kinship import HYPERPARAMETERS, fingerprint, same_weights, tuned_fields
from submissions.registry import reference_configs
from web import create_app


def reference(name: str):
    return reference_configs()[name][0]


def dumped(config, **changes) -> dict:
    return config.model_copy(update=changes).model_dump(mode="json")


def bm25_with(**bm25_changes) -> dict:
    config = reference("bm25s-flat")
    return dumped(config, name="my-bm25", bm25=config.bm25.model_copy(update=bm25_changes))


def test_a_bm25_config_that_changes_only_k1_and_b_is_a_tuned_variant():
    ref = reference("bm25s-flat").model_dump(mode="json")
    assert tuned_fields(bm25_with(k1=1.2, b=0.75), ref) == ["bm25.b", "bm25.k1"]
    assert tuned_fields(bm25_with(fields="multifield"), ref) is None  # another document layout: another model
    assert tuned_fields(bm25_with(engine="lucene"), ref) is None
    assert tuned_fields(bm25_with(), ref) is None  # only the name differs: a copy, not a variant


def test_a_dense_config_that_changes_only_pooling_length_or_prompts_is_a_tuned_variant():
    minilm = reference("all-MiniLM-L6-v2")
    ref = minilm.model_dump(mode="json")
    variant = dumped(minilm, name="minilm-cls", pooling="cls", max_length=128, query_prompt="q: ", description="mine", reported=[])
    assert tuned_fields(variant, ref) == ["max_length", "pooling", "query_prompt"]
    assert set(tuned_fields(variant, ref)) <= set(HYPERPARAMETERS["dense"])
    elsewhere = minilm.weights.model_copy(update={"revision": "b" * 40, "package": None})
    other_revision = dumped(minilm, name="x", pooling="cls", weights=elsewhere)
    assert tuned_fields(other_revision, ref) is None  # other weights: not the same model
    assert tuned_fields(other_revision, ref, same_weight_files=True) == ["pooling"]  # unless the files hash the same
    assert tuned_fields(dumped(minilm, name="x", search="faiss-hnsw"), ref) is None  # approximate search is no hyperparameter
    assert tuned_fields(dumped(minilm, name="x", pooling="cls"), reference("bm25s-flat").model_dump(mode="json")) is None


def test_same_weights_needs_a_shared_hash_and_no_conflicting_file():
    a = fingerprint({"weights": {"sha256": {"model.safetensors": "AA"}}})
    assert same_weights(a, fingerprint({}, [{"model.safetensors": "aa", "2_Dense/model.safetensors": "bb"}]))
    assert not same_weights(a, fingerprint({"weights": {"sha256": {"model.safetensors": "cc"}}}))
    assert not same_weights(a, fingerprint({}, [{"model.safetensors": "aa"}, {"model.safetensors": "dd"}]))
    assert not same_weights(fingerprint({}), fingerprint({}))  # no weights (BM25): nothing shared


def store(config, task_id: str, value: float, *, is_reference: bool, weights_sha256: dict | None = None) -> int:
    now = datetime.now(UTC)
    task = all_tasks()[task_id]
    manifest = {"config_sha256": "x", "total_s": 1.0, "weights_sha256": weights_sha256 or {}}
    outcome = RunOutcome(config.name, task_id, {task.main_score: MetricResult(value, {})}, manifest, now, now, task.metric_spec)
    with session_factory(make_engine())() as session:
        return record_run(session, config, task, outcome, is_reference=is_reference)


@pytest.fixture
def board():
    minilm = reference("all-MiniLM-L6-v2")
    loaded = dict(minilm.weights.sha256)
    store(minilm, "sts/stsb", 0.8203, is_reference=True, weights_sha256=loaded)
    # a community copy from the Hub (no package, no pinned hash): its run loaded the same file
    copy = minilm.model_copy(
        update={"name": "my-minilm-cls", "pooling": "cls", "weights": minilm.weights.model_copy(update={"package": None, "sha256": {}})}
    )
    store(copy, "sts/stsb", 0.79, is_reference=False, weights_sha256=loaded)
    bm25 = reference("bm25s-flat")
    store(bm25, "beir/scifact", 0.6777, is_reference=True)
    tuned = bm25.model_copy(update={"name": "bm25s-tuned", "bm25": bm25.bm25.model_copy(update={"k1": 1.2})})
    store(tuned, "beir/scifact", 0.68, is_reference=False)
    return create_app().test_client()


def related_cell(client, name: str) -> str:
    html = client.get(f"/models/{name}").get_data(as_text=True)
    assert 'id="related"' in html, name
    return html.split('id="related"', 1)[1].split("</td>", 1)[0]


def test_the_model_pages_label_same_weights_and_tuned_variants_and_link_each_other(board):
    copy = related_cell(board, "my-minilm-cls")
    assert 'same weights as <a href="/models/all-MiniLM-L6-v2">all-MiniLM-L6-v2</a>' in copy
    assert 'tuned variant of <a href="/models/all-MiniLM-L6-v2">all-MiniLM-L6-v2</a> <span class="muted small">(pooling)</span>' in copy
    original = related_cell(board, "all-MiniLM-L6-v2")
    assert 'same weights as <a href="/models/my-minilm-cls">my-minilm-cls</a>' in original
    assert 'tuned variant: <a href="/models/my-minilm-cls">my-minilm-cls</a>' in original
    tuned = related_cell(board, "bm25s-tuned")
    assert 'tuned variant of <a href="/models/bm25s-flat">bm25s-flat</a> <span class="muted small">(bm25.k1)</span>' in tuned
    assert "same weights" not in tuned  # BM25 has no weights to share
    api = board.get("/api/v1/models/bm25s-tuned").json
    assert api["related"] == [{"kind": "tuned-variant-of", "model": "bm25s-flat", "fields": ["bm25.k1"]}]


def test_a_submissions_status_page_shows_the_relation_before_it_runs(board):
    from tests.unit.test_web_submissions import csrf_of, make_token

    minilm = reference("all-MiniLM-L6-v2")
    ((file, digest),) = minilm.weights.sha256.items()
    yaml_text = (
        "name: minilm-mine\nfamily: [dense]\nbackend: dense\npooling: cls\n"
        f"weights: {{hf: {minilm.weights.hf}, revision: {minilm.weights.revision}, sha256: {{{file}: {digest}}}}}\n"
    )
    data = {"csrf_token": csrf_of(board), "tasks": "sts/stsb", "token": make_token("alice"), "config_yaml": yaml_text}
    response = board.post("/submit", data=data, content_type="multipart/form-data")
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    page = board.get(response.headers["Location"]).get_data(as_text=True)
    related = page.split('id="related"', 1)[1].split("</td>", 1)[0]
    assert 'same weights as <a href="/models/all-MiniLM-L6-v2">all-MiniLM-L6-v2</a>' in related
    assert 'tuned variant of <a href="/models/all-MiniLM-L6-v2">all-MiniLM-L6-v2</a> <span class="muted small">(pooling)</span>' in related
