"""Our Tatoeba scores equal mteb's own ``AbsTaskBitextMining`` evaluation of the same embeddings (to 1e-6)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

pytest.importorskip("mteb")

from mteb.models.model_meta import ScoringFunction

from benchmarks.metrics.bitext import BITEXT_METRICS, evaluate_bitext, nearest_neighbours
from benchmarks.tatoeba.benchmark import tatoeba_task
from benchmarks.tatoeba.catalog import TatoebaLanguage
from runners.run_sentences import run_sentences
from submissions.schema import ModelConfig
from tests.tiny_models import WORDS
from tests.unit.test_sts_mteb_parity import RecordingEncoder, fake_session, mteb_bitext


class SharedWordEncoder:
    """Bag of pseudo-random word vectors (float32, unnormalised): sentences that share words are close."""

    def __init__(self, dim: int = 24):
        rng = np.random.default_rng(7)
        self.words = {word: rng.normal(size=dim) for word in [*WORDS, "x"]}
        self.dim = dim

    def encode(self, texts, prompt="", desc=""):
        return np.asarray([sum((self.words[w] for w in text.split()), np.full(self.dim, 0.1)) for text in texts], dtype=np.float32)


@pytest.mark.parametrize(("similarity", "fn"), [("cosine", ScoringFunction.COSINE), ("dot", ScoringFunction.DOT_PRODUCT)])
def test_runner_equals_mteb_bitext_mining_evaluator(tmp_path, monkeypatch, similarity, fn):
    rng = np.random.default_rng(1)
    n = 80
    english = list(dict.fromkeys(" ".join(rng.choice(WORDS, size=int(rng.integers(2, 6)))) for _ in range(3 * n)))[:n]
    # the "other language": the English sentence with some words swapped, so that some but not all are found
    other = [" ".join(w if rng.random() < 0.6 else str(rng.choice(WORDS)) for w in sentence.split()) + " x" for sentence in english]
    folder = tmp_path / "data" / "tatoeba" / "v1"
    folder.mkdir(parents=True)
    (folder / "tatoeba.tst-eng.tst").write_text("".join(f"{s}\n" for s in other))
    (folder / "tatoeba.tst-eng.eng").write_text("".join(f"{s}\n" for s in english))
    monkeypatch.setenv("LEADERBOARD_DATA_DIR", str(tmp_path / "data"))

    config = ModelConfig(name="fake", family=["dense"], backend="dense", weights={"path": "/nowhere"}, similarity=similarity)
    recorder = RecordingEncoder(SharedWordEncoder(), similarity)
    task = replace(tatoeba_task("deu"), id="tatoeba/tst-eng", info=TatoebaLanguage("tst", n), expected_counts={"pairs": n})
    ours = run_sentences(fake_session(config, recorder), task).scores

    theirs = mteb_bitext(other, english, recorder.table, fn)  # sentence1 = the other language, as mteb's Tatoeba
    for metric in BITEXT_METRICS:
        assert ours[metric].value == pytest.approx(theirs[metric], abs=1e-6), metric
    assert 0 < ours["accuracy"].value < 1  # a case where the search direction and the metric definitions matter

    reverse = mteb_bitext(english, other, recorder.table, fn)
    table = recorder.table
    reverse_ours = evaluate_bitext(
        nearest_neighbours(np.stack([table[s] for s in english]), np.stack([table[s] for s in other]), similarity=similarity)
    )
    assert reverse_ours["f1"].value == pytest.approx(reverse["f1"], abs=1e-6)
