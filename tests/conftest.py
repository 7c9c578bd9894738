"""Shared fixtures: an isolated data dir, cache dir and SQLite database per test."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("LEADERBOARD_TEST_DATA_DIR", REPO.parent / "shared" / "datasets")).resolve()


def pytest_addoption(parser):
    parser.addoption(
        "--db",
        choices=["sqlite", "postgresql"],
        default="sqlite",
        help="database behind LEADERBOARD_DB in every test: a fresh SQLite file, or the PostgreSQL at "
        "LEADERBOARD_TEST_PG_URL emptied before each test (CI runs the storage and web tests both ways)",
    )


def pytest_configure(config):
    if config.getoption("--db") == "postgresql":
        # the second, PostgreSQL pass checks the database side of the fuzz tests (nothing written
        # on refusal); the parser side had its full run on SQLite, so a fifth of the examples do
        os.environ.setdefault("LEADERBOARD_FUZZ_SCALE", "0.2")


def fuzz_examples(count: int) -> int:
    """Hypothesis examples for a fuzz test: ``count``, scaled by LEADERBOARD_FUZZ_SCALE (at least 20)."""
    return max(20, round(count * float(os.environ.get("LEADERBOARD_FUZZ_SCALE", "1"))))


# Test modules that never open the database.  They carry the ``no_db`` marker: the PostgreSQL
# pass of .ci/run deselects them (``-m "not no_db"``), and every run points LEADERBOARD_DB at an
# unusable URL for them, so a test here that starts to touch the database fails instead of
# silently escaping the PostgreSQL pass.
DB_FREE_MODULES = {
    "test_aro_metrics",
    "test_beir_loader",
    "test_bitext_metrics",
    "test_clip_scorer",
    "test_dense_encoder",
    "test_dense_st_modules",
    "test_embedding_cache",
    "test_empty_queries",
    "test_exact_search",
    "test_faiss_search",
    "test_layering",
    "test_lucene_analyzer",
    "test_model_loading",
    "test_ray_backend",
    "test_registry",
    "test_retrieval_metrics",
    "test_run_outcomes",
    "test_schema",
    "test_session",
    "test_sts_mteb_parity",
    "test_tatoeba_mteb_parity",
    "test_weights",
}
NO_DATABASE_URL = "no-database://this-test-is-marked-no_db"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.module is not None and item.module.__name__.rsplit(".", 1)[-1] in DB_FREE_MODULES:
            item.add_marker(pytest.mark.no_db)
        # every test under tests/integration is an integration test, marked here once: a new file that
        # forgot its pytestmark would otherwise run its real models in the PostgreSQL pass too
        if item.module is not None and item.module.__name__.startswith("tests.integration."):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(autouse=True)
def isolated_env(tmp_path, monkeypatch, request):
    """Every test gets its own cache and database; nothing touches the user's files.

    The task registry is built here, before the test changes the environment: ``all_tasks()`` is
    cached, and one first built inside a test that sets ``LEADERBOARD_BEIR_EXTRA`` (``tiny_task``)
    would keep that test's private datasets for every later test, once a test that registers a
    benchmark (and so clears the cache) ran before it.
    """
    from benchmarks.registry import all_tasks

    all_tasks()
    monkeypatch.setenv("LEADERBOARD_CACHE_DIR", str(tmp_path / "cache"))
    if request.node.get_closest_marker("no_db"):
        monkeypatch.setenv("LEADERBOARD_DB", NO_DATABASE_URL)
    elif request.config.getoption("--db") == "postgresql":
        url = os.environ.get("LEADERBOARD_TEST_PG_URL")
        if not url:
            pytest.fail("--db postgresql needs LEADERBOARD_TEST_PG_URL")
        reset_database(url)
        monkeypatch.setenv("LEADERBOARD_DB", url)
    else:
        monkeypatch.setenv("LEADERBOARD_DB", f"sqlite:///{tmp_path / 'board.db'}")
    monkeypatch.setenv("LEADERBOARD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    yield


def write_beir(
    folder: Path,
    docs: dict[str, tuple[str, str]],
    queries: dict[str, str],
    qrels: list[tuple[str, str, int]],
    *,
    gz: bool = True,
    crlf: bool = True,
    split: str = "test",
) -> Path:
    """Write a tiny BEIR-format dataset the way the official files look (gz corpus, CRLF qrels with header)."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = "".join(json.dumps({"_id": i, "title": t, "text": x}) + "\n" for i, (t, x) in docs.items())
    if gz:
        with gzip.open(folder / "corpus.jsonl.gz", "wt", encoding="utf-8") as handle:
            handle.write(lines)
    else:
        (folder / "corpus.jsonl").write_text(lines, encoding="utf-8")
    (folder / "queries.jsonl").write_text("".join(json.dumps({"_id": q, "text": t}) + "\n" for q, t in queries.items()))
    (folder / "qrels").mkdir(exist_ok=True)
    end = "\r\n" if crlf else "\n"
    rows = ["query-id\tcorpus-id\tscore"] + [f"{q}\t{d}\t{s}" for q, d, s in qrels]
    (folder / "qrels" / f"{split}.tsv").write_bytes((end.join(rows) + end).encode())
    return folder


TINY_DOCS = {
    "d1": ("Vitamin D", "Vitamin D deficiency is linked to bone fractures in older adults."),
    "d2": ("Cancer cells", "Tumour cells divide rapidly and evade the immune system."),
    "d3": ("Sleep", "Sleep deprivation impairs memory consolidation."),
    "d4": ("Bones", "Calcium and vitamin intake support bone density."),
    "q2": ("Vaccines", "Vaccination reduces the spread of measles."),
}
TINY_QUERIES = {"q1": "vitamin deficiency and fractures", "q2": "measles vaccination", "q3": "memory and sleep"}
TINY_QRELS = [("q1", "d1", 1), ("q1", "d4", 1), ("q2", "q2", 1), ("q3", "d3", 2)]


@pytest.fixture
def tiny_beir(tmp_path) -> Path:
    return write_beir(tmp_path / "data" / "beir" / "tiny", TINY_DOCS, TINY_QUERIES, TINY_QRELS)


@pytest.fixture
def tiny_task(tiny_beir, tmp_path, monkeypatch):
    """A registered task ``beir/tiny`` over the tiny dataset (counts match, ids overlap like ArguAna).

    Registered through ``LEADERBOARD_BEIR_EXTRA`` so that child processes (the submission worker's
    jobs) see it too.
    """
    from benchmarks.beir.benchmark import beir_task, extra_datasets
    from benchmarks.registry import all_tasks

    extra = tmp_path / "extra-tasks.yaml"
    extra.write_text(f"- {{name: tiny, docs: {len(TINY_DOCS)}, queries: {len(TINY_QUERIES)}, license: CC0}}\n")
    monkeypatch.setenv("LEADERBOARD_BEIR_EXTRA", str(extra))
    task = beir_task(extra_datasets()[0])
    monkeypatch.setitem(all_tasks(), task.id, task)
    return task


def reset_database(url: str) -> None:
    """Drop every table (ours and Alembic's) so the next engine starts from an empty database."""
    from sqlalchemy import MetaData, create_engine

    engine = create_engine(url)
    meta = MetaData()
    meta.reflect(engine)
    meta.drop_all(engine)
    engine.dispose()


@pytest.fixture
def postgres_url():
    """A PostgreSQL URL (CI starts a throwaway cluster), emptied before and after the test."""
    url = os.environ.get("LEADERBOARD_TEST_PG_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("CI must run the PostgreSQL tests: LEADERBOARD_TEST_PG_URL is not set")
        pytest.skip("no PostgreSQL (set LEADERBOARD_TEST_PG_URL)")
    reset_database(url)
    yield url
    reset_database(url)
