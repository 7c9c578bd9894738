"""Freezing COCO-/Flickr30k-Order: ARO's perturbations, seeded as ARO seeds them, with a stub tagger.

spaCy's model and NLTK's punkt are not available offline, so the tagger and tokenizer are
stubs; what is checked is the procedure around them: the option order, ``pre_caption``, and
that private generators seeded with 1 draw exactly what ARO's globally seeded ones draw.
"""

from __future__ import annotations

import json
import random
import re

import numpy as np

from benchmarks.aro.loader import load_aro
from benchmarks.aro.perturb import OrderPerturber, freeze, pre_caption
from benchmarks.registry import all_tasks
from tests.aro_fixture import write_images, write_karpathy

NOUNS = {"man", "horse", "street", "dog", "frisbee", "park", "bus", "city"}
ADJECTIVES = {"brown", "red", "young", "green", "big"}


def stub_tag(text: str):
    return [(t, "NN" if t.lower() in NOUNS else "JJ" if t.lower() in ADJECTIVES else "DT") for t in text.split()]


def stub_tokenize(text: str):
    return re.findall(r"\w+|[^\w\s]", text)


def aro_reference_options(captions: list[str]) -> list[list[str]]:
    """ARO's procedure as main_aro.py runs it: global RNGs seeded by seed_all(1), shared across captions."""
    random.seed(1)
    np.random.seed(1)

    def nouns_adj(ex):
        tagged = stub_tag(ex)
        text = np.array([t for t, _ in tagged])
        noun_idx = [i for i, (_, tag) in enumerate(tagged) if tag in ["NN", "NNS", "NNP", "NNPS"]]
        adj_idx = [i for i, (_, tag) in enumerate(tagged) if tag in ["JJ", "JJR", "JJS"]]
        text[noun_idx] = np.random.permutation(text[noun_idx])
        text[adj_idx] = np.random.permutation(text[adj_idx])
        return " ".join(text)

    def allbut(ex):
        tagged = stub_tag(ex)
        text = np.array([t for t, _ in tagged])
        keep = [i for i, (_, tag) in enumerate(tagged) if tag in ["NN", "NNS", "NNP", "NNPS", "JJ", "JJR", "JJS"]]
        mask = np.ones(text.shape[0])
        mask[keep] = 0
        mask = mask.astype(bool)
        text[mask] = np.random.permutation(text[mask])
        return " ".join(text)

    def groups(tokens):
        out, current = [], []
        for i, token in enumerate(tokens):
            current.append(token)
            if i % 3 == 2:
                out.append(current[:])
                current = []
        if current:
            out.append(current)
        return out

    def within(ex):
        parts = groups(stub_tokenize(ex))
        for part in parts:
            random.shuffle(part)
        return " ".join(" ".join(p) for p in parts)

    def across(ex):
        parts = groups(stub_tokenize(ex))
        random.shuffle(parts)
        return " ".join(" ".join(p) for p in parts)

    return [[pre_caption(c, 30)] + [pre_caption(f(c), 30) for f in (nouns_adj, allbut, within, across)] for c in captions]


CAPTIONS = [
    "A young man riding a brown horse down the street.",
    "A dog catches a red frisbee in the green park!",
    "A big red bus driving through a city street at night with many people waiting",
    "Bus.",
]


def test_pre_caption_is_aros():
    assert pre_caption("A man, (riding) a horse!  Now.") == "a man, riding a horse now"
    assert pre_caption(" ".join(["word"] * 40)) == " ".join(["word"] * 30)


def test_perturbations_equal_aros_globally_seeded_ones():
    perturber = OrderPerturber(stub_tag, stub_tokenize, seed=1)
    ours = [perturber.options(c) for c in CAPTIONS]
    assert ours == aro_reference_options(CAPTIONS)
    first = ours[0]
    assert first[0] == "a young man riding a brown horse down the street"
    assert len(set(first)) > 1  # the perturbations actually move words
    for option in first[1:]:
        assert sorted(option.replace(" .", "").split()) == sorted(first[0].split())


def test_freeze_writes_the_test_cases_file_the_task_reads(tmp_path, monkeypatch):
    data = tmp_path / "data"
    annotation = [
        {"image": "val2014/COCO_val2014_000000000001.jpg", "caption": CAPTIONS[:2], "image_id": "1"},
        {"image": "val2014/COCO_val2014_000000000002.jpg", "caption": CAPTIONS[2:], "image_id": "2"},
    ]
    write_karpathy(data, "coco-order", annotation)
    write_images(data / "aro" / "coco", [entry["image"] for entry in annotation])
    path = freeze("aro/coco-order", perturber=OrderPerturber(stub_tag, stub_tokenize, seed=1))
    cases = json.loads(path.read_text())
    assert [case["caption_options"] for case in cases] == aro_reference_options(CAPTIONS)
    assert [case["image"] for case in cases] == [annotation[0]["image"]] * 2 + [annotation[1]["image"]] * 2

    task = all_tasks()["aro/coco-order"]
    loaded = load_aro(task.info, task.folder, task.id)
    assert loaded.counts == {"items": 4, "images": 2}
    assert all(case.correct == 0 and len(case.captions) == 5 for case in loaded.cases)


class FakeToken:
    def __init__(self, text: str, tag: str) -> None:
        self.text, self.tag_ = text, tag


def fake_nlp_libraries(monkeypatch, *, spacy_version="3.7.4", model_version="3.7.1", nltk_version="3.8.1"):
    """en_core_web_sm and NLTK's punkt cannot be downloaded here: modules with the public surface we use stand in."""
    import sys
    import types

    class Language:  # spaCy's pipeline: call it on a text, read .meta
        def __init__(self) -> None:
            self.meta = {"name": "core_web_sm", "lang": "en", "version": model_version}

        def __call__(self, text):
            return [FakeToken(token, tag) for token, tag in stub_tag(text)]

    def load(name):
        if name != "en_core_web_sm":
            raise OSError(f"[E050] Can't find model '{name}'")
        return Language()

    spacy = types.ModuleType("spacy")
    spacy.__version__ = spacy_version
    spacy.load = load
    nltk = types.ModuleType("nltk")
    nltk.__version__ = nltk_version
    nltk.word_tokenize = stub_tokenize
    monkeypatch.setitem(sys.modules, "spacy", spacy)
    monkeypatch.setitem(sys.modules, "nltk", nltk)


def test_freeze_records_the_spacy_model_and_nltk_versions_beside_the_file(tmp_path, monkeypatch):
    import hashlib

    from benchmarks.aro.loader import provenance_path

    fake_nlp_libraries(monkeypatch)
    data = tmp_path / "data"
    annotation = [{"image": "val2014/COCO_val2014_000000000001.jpg", "caption": CAPTIONS}]
    source = write_karpathy(data, "coco-order", annotation)
    write_images(data / "aro" / "coco", [annotation[0]["image"]])
    path = freeze("aro/coco-order")  # the default perturber: spaCy's en_core_web_sm and NLTK
    assert [case["caption_options"] for case in json.loads(path.read_text())] == aro_reference_options(CAPTIONS)
    beside = provenance_path(path)
    assert beside.name == "coco_order_test.provenance.json"
    record = json.loads(beside.read_text())
    assert (record["spacy"], record["en_core_web_sm"], record["nltk"]) == ("3.7.4", "3.7.1", "3.8.1")
    assert record["seed"] == 1 and record["max_words"] == 30 and record["numpy"] == np.__version__
    assert record["cases_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert record["source"] == source.name and record["source_sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()

    task = all_tasks()["aro/coco-order"]
    loaded = load_aro(task.info, task.folder, task.id)
    assert loaded.provenance["record"] == record  # the run manifest carries it as order_options


def test_another_spacy_model_is_recorded_too(tmp_path, monkeypatch):
    fake_nlp_libraries(monkeypatch, spacy_version="3.8.2", model_version="3.8.0", nltk_version="3.9.1")
    data = tmp_path / "data"
    write_karpathy(data, "flickr30k-order", [{"image": "flickr30k-images/1.jpg", "caption": CAPTIONS[:1]}])
    write_images(data / "aro" / "flickr30k", ["flickr30k-images/1.jpg"])
    path = freeze("aro/flickr30k-order")
    record = json.loads(path.with_name("flickr30k_order_test.provenance.json").read_text())
    assert (record["spacy"], record["en_core_web_sm"], record["nltk"]) == ("3.8.2", "3.8.0", "3.9.1")
