"""Our STS scores equal mteb's own ``AbsTaskSTS`` evaluation of the same embeddings (to 1e-6).

mteb runs offline here: a task subclass fills ``self.dataset`` in ``load_data()`` (as mteb's mock
tasks do) and a lookup encoder implementing mteb's encoder protocol hands it the embeddings our
encoder produced.  The helpers are shared with the Tatoeba and integration parity tests.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

mteb = pytest.importorskip("mteb")

from datasets import Dataset, DatasetDict  # noqa: E402  (mteb brings datasets)
from mteb.abstasks.sts import AbsTaskSTS  # noqa: E402
from mteb.abstasks.task_metadata import TaskMetadata  # noqa: E402
from mteb.abstasks.text.bitext_mining import AbsTaskBitextMining  # noqa: E402
from mteb.models.abs_encoder import AbsEncoder  # noqa: E402
from mteb.models.model_meta import ModelMeta, ScoringFunction  # noqa: E402

from benchmarks.metrics.sts import STS_METRICS  # noqa: E402
from benchmarks.sts.benchmark import sts_task  # noqa: E402
from benchmarks.sts.catalog import StsDataset  # noqa: E402
from runners.run_sentences import run_sentences  # noqa: E402
from runners.session import ModelSession  # noqa: E402
from submissions.schema import ModelConfig  # noqa: E402
from tests.tiny_models import WORDS  # noqa: E402

_TASK_ARGS = {
    "description": "parity test",
    "reference": "https://github.com/embeddings-benchmark/mteb",
    "dataset": {"path": "NA", "revision": "NA"},
    "category": "t2t",
    "eval_splits": ["test"],
    "eval_langs": ["eng-Latn"],
    "date": ("2024-01-01", "2024-01-01"),
    "dialect": [],
    "domains": [],
    "task_subtypes": [],
    "license": "cc-by-4.0",
    "annotations_creators": "derived",
    "modalities": ["text"],
    "sample_creation": "found",
    "bibtex_citation": "",
}


class LookupEncoder(AbsEncoder):
    """mteb's encoder protocol over precomputed embeddings (text -> vector)."""

    def __init__(self, table: dict[str, np.ndarray], similarity: ScoringFunction = ScoringFunction.COSINE):
        self.table = table
        self.mteb_model_meta = ModelMeta(
            loader=None,
            name="leaderboard/lookup",
            revision="0",
            release_date=None,
            languages=None,
            n_parameters=0,
            memory_usage_mb=0,
            max_tokens=None,
            embed_dim=None,
            license="mit",
            open_weights=True,
            public_training_code=None,
            public_training_data=None,
            framework=[],
            similarity_fn_name=similarity,
            use_instructions=False,
            training_datasets=set(),
        )

    def encode(self, inputs, *, task_metadata, hf_split, hf_subset, prompt_type=None, **kwargs):
        return np.stack([self.table[text] for batch in inputs for text in batch["text"]])


class ParitySTS(AbsTaskSTS):
    metadata = TaskMetadata(type="STS", name="LeaderboardParitySTS", main_score="cosine_spearman", **_TASK_ARGS)
    min_score = 0
    max_score = 5

    def __init__(self, sentence1: list[str], sentence2: list[str], scores: list[float]):
        super().__init__()
        self._columns = {"sentence1": sentence1, "sentence2": sentence2, "score": scores}

    def load_data(self, num_proc=None, **kwargs):
        self.dataset = DatasetDict({"test": Dataset.from_dict(self._columns)})
        self.data_loaded = True


class ParityBitext(AbsTaskBitextMining):
    metadata = TaskMetadata(type="BitextMining", name="LeaderboardParityBitext", main_score="f1", **_TASK_ARGS)

    def __init__(self, sentence1: list[str], sentence2: list[str]):
        super().__init__()
        self._columns = {"sentence1": sentence1, "sentence2": sentence2}

    def load_data(self, num_proc=None, **kwargs):
        self.dataset = DatasetDict({"test": Dataset.from_dict(self._columns)})
        self.data_loaded = True


def mteb_sts(sentence1, sentence2, scores, table, similarity=ScoringFunction.COSINE) -> dict[str, float]:
    task = ParitySTS(list(sentence1), list(sentence2), [float(s) for s in scores])
    return task.evaluate(LookupEncoder(table, similarity), "test", encode_kwargs={"batch_size": 16})["default"]


def mteb_bitext(sentence1, sentence2, table, similarity=ScoringFunction.COSINE) -> dict[str, float]:
    """mteb's scores with sentence1 as the queries, as its Tatoeba task (sentence1 = xxx, sentence2 = eng)."""
    task = ParityBitext(list(sentence1), list(sentence2))
    return task.evaluate(LookupEncoder(table, similarity), "test", encode_kwargs={"batch_size": 16})["default"]


class HashEncoder:
    """Deterministic pseudo-embeddings per text (float32, unnormalised), standing in for a model.

    Hashed rather than the tiny BERT of tests/tiny_models.py: independent per text, so no two
    similarities tie by accident, and there is no model to load.
    """

    def __init__(self, dim: int = 16):
        self.dim = dim

    def encode(self, texts, prompt="", desc=""):
        rows = []
        for text in texts:
            seed = int.from_bytes(hashlib.sha256((prompt + text).encode()).digest()[:8], "little")
            rows.append(np.random.default_rng(seed).normal(size=self.dim) + 0.5)
        return np.asarray(rows, dtype=np.float32)


def fake_session(config: ModelConfig, encoder) -> ModelSession:
    """A session whose sentence encoder is ``encoder`` (nothing is loaded)."""
    return ModelSession(config, sentence_encoder=encoder)


class RecordingEncoder:
    """Wraps an encoder and remembers every embedding it produced, by text (a :class:`runners.protocols.SentenceEncoder`).

    ``similarity``: the model's (default: the wrapped encoder's own, for a real one).
    """

    def __init__(self, inner, similarity: str | None = None):
        self.inner = inner
        self.similarity = similarity or inner.similarity
        self.unit_length = bool(getattr(inner, "unit_length", False))  # a stand-in encoder has no such attribute
        self.table: dict[str, np.ndarray] = {}

    def describe(self) -> dict:
        return self.inner.describe() if hasattr(self.inner, "describe") else {"backend": "test stand-in"}

    def encode(self, texts, prompt="", desc=""):
        out = self.inner.encode(texts, prompt, desc)
        self.table.update(zip(texts, out, strict=True))
        return out


# ---------------------------------------------------------------- the STS tests
def write_sts_fixture(folder: Path, n: int = 60, seed: int = 0) -> None:
    """SemEval layout, real release quirks (blank gold lines, a repeated sentence), sentences from the tiny vocabulary."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)

    def sentence() -> str:
        return " ".join(rng.choice(WORDS, size=int(rng.integers(2, 7))))

    pairs = [(sentence(), sentence()) for _ in range(n)]
    pairs[5] = (pairs[3][0], pairs[5][1])  # the same sentence in two pairs: encoded once, scored twice
    gold = [f"{rng.integers(0, 26) / 5:.2f}" if i % 7 else "" for i in range(n)]  # integer-ish gold: rank ties
    (folder / "STS.input.one.txt").write_text("".join(f"{a}\t{b}\n" for a, b in pairs))
    (folder / "STS.gs.one.txt").write_text("".join(f"{g}\n" for g in gold))


@pytest.mark.parametrize("similarity", ["cosine", "dot"])
def test_sts_runner_equals_mteb_evaluator(tmp_path, monkeypatch, similarity):
    monkeypatch.setenv("LEADERBOARD_DATA_DIR", str(tmp_path / "data"))
    write_sts_fixture(tmp_path / "data" / "sts" / "parity")
    entry = StsDataset(
        name="parity", folder="sts/parity", layout="semeval", num_pairs=51, mteb_name="-", license="-", source_url="-", subsets=("one",)
    )
    config = ModelConfig(name="fake", family=["dense"], backend="dense", weights={"path": "/nowhere"}, similarity=similarity)
    recorder = RecordingEncoder(HashEncoder(), similarity)  # unnormalised: cosine, dot and the distances all rank differently
    outcome = run_sentences(fake_session(config, recorder), sts_task(entry))

    from benchmarks.sts.loader import load_sts

    data = load_sts(entry, tmp_path / "data" / "sts" / "parity", "t")
    fn = ScoringFunction.COSINE if similarity == "cosine" else ScoringFunction.DOT_PRODUCT
    theirs = mteb_sts(
        [p.sentence1 for p in data.pairs], [p.sentence2 for p in data.pairs], [p.score for p in data.pairs], recorder.table, fn
    )
    compared = [m for m in STS_METRICS if m in theirs]
    assert len(compared) == 8  # pearson, spearman and the cosine, manhattan, euclidean variants
    for metric in compared:
        assert outcome.scores[metric].value == pytest.approx(theirs[metric], abs=1e-6), metric
    assert outcome.scores["cosine_spearman"].value == pytest.approx(theirs["main_score"], abs=1e-6)
    if similarity == "dot":  # MTEB v2 reports dot through the model's own similarity
        assert outcome.scores["dot_spearman"].value == pytest.approx(theirs["spearman"], abs=1e-6)
