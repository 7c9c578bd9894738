"""ARO scoring on tiny cases worked out by hand, through the pure evaluator and through run_aro.

The VG-Relation case (options in ARO's order [false_caption, true_caption], right = 1):

    item  relation   scores (false, true)  ARO (argmax==1)  MTEB (true >= false)
    0     on         0.1, 0.9              1                1
    1     on         0.2, 0.8              1                1
    2     on         0.7, 0.3              0                0
    3     holding    0.4, 0.6              1                1
    4     holding    0.5, 0.5  (a tie)     0                1
    5-8   next to    false higher          0                0   ("next to" is on ARO's excluded list)

    ARO macro  = mean(on 2/3, holding 1/2)          = 7/12 = 0.58333  ("next to" left out)
    with "next to" kept it would be mean(2/3, 1/2, 0) = 7/18 = 0.38889
    MTEB micro = (2 + 2 + 0) / 9                     = 4/9  = 0.44444
"""

from __future__ import annotations

import dataclasses
import math
import types

import numpy as np
import pytest
import torch
from mteb.abstasks.image.image_text_pair_classification import AbsTaskImageTextPairClassification

from benchmarks.aro.loader import AroCase
from benchmarks.aro.metrics import EXCLUDED_RELATIONS, aro_correct, evaluate_aro, mteb_correct
from benchmarks.errors import UserError
from benchmarks.tasks import all_tasks
from runners.run_aro import run_aro
from submissions.schema import parse_config
from tests.aro_fixture import write_vg_relation

HAND = [  # relation, score of false caption, score of true caption
    ("on", 0.1, 0.9),
    ("on", 0.2, 0.8),
    ("on", 0.7, 0.3),
    ("holding", 0.4, 0.6),
    ("holding", 0.5, 0.5),
    ("next to", 0.9, 0.1),
    ("next to", 0.8, 0.2),
    ("next to", 0.6, 0.4),
    ("next to", 0.7, 0.3),
]


def vg_cases(rows) -> list[AroCase]:
    return [
        AroCase(id=str(i), image=f"{i}.jpg", bbox=(0, 0, 8, 8), captions=(f"false {i}", f"true {i}"), correct=1, group=relation)
        for i, (relation, _f, _t) in enumerate(rows)
    ]


def test_vg_relation_by_hand_macro_and_micro_differ():
    assert "next to" in EXCLUDED_RELATIONS and "on" not in EXCLUDED_RELATIONS and "holding" not in EXCLUDED_RELATIONS
    scores = [(false, true) for _r, false, true in HAND]
    results = evaluate_aro("relation", vg_cases(HAND), scores)
    assert results["macro_accuracy"].value == pytest.approx(7 / 12)
    assert results["text_acc"].value == pytest.approx(4 / 9)
    assert not math.isclose(results["macro_accuracy"].value, 7 / 18)  # the exclusion is applied
    # per-item values: macro keeps only the items it averages; text_acc keeps all, with the tie counted right
    assert results["macro_accuracy"].per_query == {"0": 1.0, "1": 1.0, "2": 0.0, "3": 1.0, "4": 0.0}
    assert results["text_acc"].per_query["4"] == 1.0 and len(results["text_acc"].per_query) == 9


def test_vg_attribution_drops_attribute_pairs_with_fewer_than_25_items():
    rows = [("white_black", 0.2, 0.8)] * 20 + [("white_black", 0.8, 0.2)] * 5 + [("red_blue", 0.1, 0.9)] * 3
    cases = vg_cases(rows)
    results = evaluate_aro("attribution", cases, [(f, t) for _g, f, t in rows])
    assert results["macro_accuracy"].value == pytest.approx(20 / 25)  # red_blue (3 items) is dropped
    assert results["text_acc"].value == pytest.approx(23 / 28)
    assert len(results["macro_accuracy"].per_query) == 25


def test_order_ties_go_to_the_original_caption_in_both_definitions():
    cases = [AroCase(str(i), f"{i}.jpg", None, ("right", "p1", "p2", "p3", "p4"), 0) for i in range(3)]
    scores = [(0.9, 0.1, 0.2, 0.3, 0.4), (0.5, 0.5, 0.1, 0.1, 0.1), (0.1, 0.2, 0.9, 0.3, 0.4)]
    results = evaluate_aro("order", cases, scores)
    assert results["precision_at_1"].value == pytest.approx(2 / 3)
    assert results["text_acc"].value == pytest.approx(2 / 3)
    assert results["precision_at_1"].per_query == {"0": 1.0, "1": 1.0, "2": 0.0}


def test_mteb_rule_equals_mtebs_own_compute_metrics():
    """Our per-item MTEB rule against mteb's AbsTaskImageTextPairClassification._compute_metrics."""
    rng = np.random.default_rng(0)
    rows = [rng.random(2).round(1) for _ in range(40)] + [np.array([0.5, 0.5])]
    # MTEB's columns are (true_caption, false_caption); ours are ARO's (false, true)
    mteb_scores = [torch.tensor([[row[1], row[0]]]) for row in rows]
    expected = AbsTaskImageTextPairClassification._compute_metrics(None, mteb_scores, 1, 2)["text_acc"]
    ours = float(np.mean([mteb_correct(row, 1) for row in rows]))
    assert ours == pytest.approx(expected, abs=1e-7)
    assert aro_correct([0.5, 0.5], 1) == 0.0 and mteb_correct([0.5, 0.5], 1) == 1.0


def test_only_excluded_relations_is_an_error():
    rows = [("next to", 0.1, 0.9), ("near", 0.2, 0.8)]
    with pytest.raises(UserError, match="no relation is left"):
        evaluate_aro("relation", vg_cases(rows), [(f, t) for _r, f, t in rows])


class StubScorer:
    """Fixed embeddings: a caption with score s is (s, sqrt(1 - s^2)); every crop is (1, 0), so its cosine is s;
    every whole image is (0, 1), so its cosine is sqrt(1 - s^2), which reverses the order of the two captions."""

    logit_scale = 1.0

    def __init__(self, caption_scores: dict[str, float]) -> None:
        self.caption_scores = caption_scores
        self.loaded_sizes: dict = {}

    def encode_texts(self, texts, desc=""):
        return np.array([[self.caption_scores[t], math.sqrt(1 - self.caption_scores[t] ** 2)] for t in texts], dtype=np.float32)

    def encode_images(self, items, load, desc=""):
        for item in items:
            self.loaded_sizes[item] = load(item).size
        return np.array([[1.0, 0.0] if bbox is not None else [0.0, 1.0] for _name, bbox in items], dtype=np.float32)

    def describe(self):
        return {"backend": "stub", "device": "cpu"}


def test_run_aro_with_a_stub_scorer_gives_the_hand_computed_numbers(tmp_path, monkeypatch):
    rows = [
        (relation, f"{relation} true {i}", f"{relation} false {i}", f"{i % 3}.jpg", (1, 2, 20 + i, 10 + i))
        for i, (relation, _f, _t) in enumerate(HAND)
    ]
    write_vg_relation(tmp_path / "data", rows)
    caption_scores = {}
    for (_relation, false, true), (_r, true_caption, false_caption, _n, _b) in zip(HAND, rows, strict=True):
        caption_scores[true_caption] = true
        caption_scores[false_caption] = false
    task = dataclasses.replace(all_tasks()["aro/vg-relation"], expected_counts={"items": len(HAND)})
    config = parse_config("name: stub\nfamily: [contrastive]\nbackend: clip\nweights: {path: /nowhere}\n", "stub.yaml")
    scorer = StubScorer(caption_scores)
    outcome = run_aro(types.SimpleNamespace(config=config, image_text_scorer=scorer), task)

    assert outcome.scores["macro_accuracy"].value == pytest.approx(7 / 12)  # crops
    assert outcome.scores["text_acc_cropped"].value == pytest.approx(4 / 9)  # crops, MTEB's rule
    # whole images: the true caption wins iff sqrt(1 - t^2) >= sqrt(1 - f^2), i.e. t <= f: items 2, 4 (tie), 5-8
    assert outcome.scores["text_acc"].value == pytest.approx(6 / 9)
    assert outcome.metric_spec["main_score"] == "macro_accuracy"
    assert outcome.manifest["counts"]["items"] == 9 and outcome.manifest["data_sha256"]
    # ARO crops (x, y, x + w, y + h); whole images are 64 x 48
    for i, (_r, _t, _f, name, box) in enumerate(rows):
        assert scorer.loaded_sizes[(name, tuple(float(v) for v in box))] == (20 + i, 10 + i)
        assert scorer.loaded_sizes[(name, None)] == (64, 48)
