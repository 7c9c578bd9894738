"""A query with no text, or none left after analysis, with every retriever that runs without a JVM.

bm25s raised IndexError inside ``bm25s.get_scores`` on such a query.  The rule now: a lexical
query with no term gets no hits (Lucene's behaviour; it counts 0, as trec_eval -c does); dense and
SPLADE models embed any text, an empty one included, as BEIR and MTEB do.  (Lucene itself, checked
by hand through Pyserini: "", "   " and "the of and" get no hits; the JVM is not started in unit tests.)
"""

from __future__ import annotations

import pytest

from runners.retrievers import build_retriever
from submissions.schema import ModelConfig
from tests.conftest import TINY_DOCS
from tests.tiny_models import make_tiny_st_model

CORPUS = {doc: {"title": title, "text": text} for doc, (title, text) in {**TINY_DOCS, "blank": ("", "")}.items()}
QUERIES = {"words": "vitamin deficiency", "stopwords": "the of and", "empty": "", "spaces": "   ", "unknown": "zzqx vvqk"}


def test_bm25s_gives_queries_without_terms_no_hits():
    config = ModelConfig(name="b", family=["sparse"], backend="bm25", bm25={"engine": "bm25s"})
    run = build_retriever(config).retrieve(CORPUS, QUERIES, 10, "0" * 64).run
    assert set(run) == set(QUERIES)
    assert run["words"] and not any(run[q] for q in ("stopwords", "empty", "spaces", "unknown"))


@pytest.mark.parametrize("backend", ["dense", "splade"])
def test_neural_retrievers_embed_empty_text_without_failing(tmp_path, backend):
    if backend == "dense":
        folder, family = make_tiny_st_model(tmp_path / "st"), "dense"
    else:
        from tests.unit.test_splade import make_tiny_mlm

        folder, family = make_tiny_mlm(tmp_path / "mlm"), "sparse"
    config = ModelConfig(name="n", family=[family], backend=backend, weights={"path": str(folder)}, batch_size=2)
    run = build_retriever(config).retrieve(CORPUS, QUERIES, 10, "0" * 64).run
    assert set(run) == set(QUERIES)
    assert all(0 <= len(hits) <= len(CORPUS) for hits in run.values())
