"""mteb's own evaluators, fed all-MiniLM-L6-v2 embeddings from our encoder, give our scores (to 1e-6).

Small real slices (the first and last 100 pairs of every STS set; two whole Tatoeba pairs), so
that the only thing compared is the scoring: how pairs are pooled, which similarity, which
direction, which averaging.  The adapters are in tests/unit/test_sts_mteb_parity.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.metrics.sts import STS_METRICS, evaluate_sts
from benchmarks.sts.catalog import STS_DATASETS
from benchmarks.sts.loader import load_sts
from benchmarks.tatoeba.benchmark import tatoeba_task
from benchmarks.tatoeba.catalog import FOLDER
from benchmarks.tatoeba.loader import load_pair
from runners.execute import run_task
from runners.run_sentences import mteb_pairwise_similarity
from runners.session import ModelSession
from submissions.registry import resolve_model
from tests.conftest import SHARED_DATA
from tests.integration.conftest import require

pytestmark = pytest.mark.integration
parity = pytest.importorskip("tests.unit.test_sts_mteb_parity")  # skips only where mteb is not installed


@pytest.fixture
def real_data(monkeypatch):
    missing = [entry.folder for entry in STS_DATASETS if not (SHARED_DATA / entry.folder).is_dir()]
    missing += [] if (SHARED_DATA / FOLDER / "tatoeba.ang-eng.eng").is_file() else [FOLDER]
    require(not missing, f"no data under {SHARED_DATA}: {', '.join(missing)}")
    monkeypatch.setenv("LEADERBOARD_DATA_DIR", str(SHARED_DATA))


@pytest.fixture
def minilm_session(real_data):
    config, _ = resolve_model("all-MiniLM-L6-v2")
    recorder = parity.RecordingEncoder(ModelSession(config).sentence_encoder)
    return ModelSession(config, sentence_encoder=recorder), recorder


def test_sts_slices_equal_mteb(minilm_session):
    _, recorder = minilm_session
    for entry in STS_DATASETS:
        pairs = load_sts(entry, SHARED_DATA / entry.folder, entry.name).pairs
        pairs = pairs[:100] + pairs[-100:]
        texts = list(dict.fromkeys([p.sentence1 for p in pairs] + [p.sentence2 for p in pairs]))
        embeddings = dict(zip(texts, recorder.encode(texts), strict=True))
        first = np.stack([embeddings[p.sentence1] for p in pairs])
        second = np.stack([embeddings[p.sentence2] for p in pairs])
        own = mteb_pairwise_similarity(first, second, "cosine")  # as run_sentences computes the model's own similarity
        ours = evaluate_sts(first, second, [p.score for p in pairs], [p.id for p in pairs], own_similarity=own)
        theirs = parity.mteb_sts([p.sentence1 for p in pairs], [p.sentence2 for p in pairs], [p.score for p in pairs], recorder.table)
        compared = [metric for metric in STS_METRICS if metric in theirs]
        assert len(compared) == 8  # pearson, spearman and the cosine, manhattan and euclidean variants
        for metric in compared:
            assert ours[metric].value == pytest.approx(theirs[metric], abs=1e-6), (entry.name, metric)


@pytest.mark.parametrize("language", ["ang", "cha"])
def test_tatoeba_pairs_equal_mteb(minilm_session, language):
    session, recorder = minilm_session
    ours = run_task(session, tatoeba_task(language)).scores
    pair = load_pair(SHARED_DATA / FOLDER, language, language)
    theirs = parity.mteb_bitext(pair.sentences, pair.english, recorder.table)  # sentence1 = xxx, as mteb's Tatoeba
    for metric in ("f1", "accuracy", "precision", "recall"):
        assert ours[metric].value == pytest.approx(theirs[metric], abs=1e-6), metric
    assert ours["accuracy"].value > 0  # MiniLM finds some: the comparison is not 0 == 0
