"""ARO scoring on tiny cases worked out by hand, through the pure evaluator and through the image-text runner.

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

import numpy as np
import pytest
import torch
from mteb.abstasks.image.image_text_pair_classification import AbsTaskImageTextPairClassification

from benchmarks.aro.loader import AroCase
from benchmarks.aro.metrics import EXCLUDED_RELATIONS, aro_correct, evaluate_aro, mteb_correct
from benchmarks.registry import all_tasks
from common.errors import UserError
from runners.run_image_text import run_image_text
from runners.session import ModelSession
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
    every whole image is (0, 1), so its cosine is sqrt(1 - s^2), which reverses the order of the two captions.
    A caption's "token ids" are its characters, so distinct captions are distinct sequences."""

    logit_scale = 1.0

    def __init__(self, caption_scores: dict[str, float]) -> None:
        self.caption_scores = caption_scores
        self.loaded_sizes: dict = {}

    def token_ids(self, texts):
        return [tuple(ord(c) for c in t) for t in texts]

    def encode_token_ids(self, sequences, desc="", aro_fp16=False):
        scores = [self.caption_scores["".join(map(chr, ids))] for ids in sequences]
        return np.array([[s, math.sqrt(1 - s**2)] for s in scores], dtype=np.float32)

    def encode_images(self, items, load, desc="", aro_fp16=False):
        for item in items:
            self.loaded_sizes[item] = load(item).size
        return np.array([[1.0, 0.0] if bbox is not None else [0.0, 1.0] for _name, bbox in items], dtype=np.float32)

    def describe(self):
        return {"backend": "stub", "device": "cpu"}


def test_the_image_text_runner_with_a_stub_scorer_gives_the_hand_computed_numbers(tmp_path, monkeypatch):
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
    outcome = run_image_text(ModelSession(config, image_text_scorer=scorer), task)

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


def test_vg_relation_spec_states_the_rare_relation_ambiguity():
    from benchmarks.aro.metrics import metric_spec

    spec = metric_spec("relation", num_items=23937)["metrics"]["macro_accuracy"]
    assert "issue #8" in spec["rare_relations"] and "We follow the notebook" in spec["rare_relations"]
    assert "no logit scale" in metric_spec("order", num_items=1)["score"]


# ------------------------------------------------------------------ ARO's fp16 arithmetic (config aro_fp16)
def aro_reference_scores(image16: np.ndarray, captions16: np.ndarray, batch: int) -> np.ndarray:
    """model_zoo/clip_models.py get_retrieval_scores_batched, transcribed: per batch of test cases,
    numpy float16 normalisation of each option's embeddings, then einsum "nkd,nld->nkl"."""
    scores = []
    for start in range(0, len(image16), batch):
        image_embeddings = image16[start : start + batch]
        image_embeddings = image_embeddings / np.linalg.norm(image_embeddings, axis=1, keepdims=True)
        image_options = np.concatenate([np.expand_dims(image_embeddings, axis=1)], axis=1)
        caption_options = []
        for k in range(captions16.shape[1]):
            caption_embeddings = captions16[start : start + batch, k]
            caption_embeddings = caption_embeddings / np.linalg.norm(caption_embeddings, axis=1, keepdims=True)
            caption_options.append(np.expand_dims(caption_embeddings, axis=1))
        caption_options = np.concatenate(caption_options, axis=1)
        scores.append(np.einsum("nkd,nld->nkl", image_options, caption_options))
    return np.concatenate(scores, axis=0)[:, 0, :]


def fp16_fixture(cases_n=70, options=5, dim=512, distinct_texts=200, seed=0):
    rng = np.random.default_rng(seed)
    image16 = (rng.standard_normal((cases_n, dim)) * 0.4).astype(np.float16)
    text16 = (rng.standard_normal((distinct_texts, dim)) * 0.4).astype(np.float16)
    rows = rng.integers(0, distinct_texts, (cases_n, options))
    rows[::7, 1] = rows[::7, 0]  # every 7th case: option 1 has the right caption's token ids
    cases = [AroCase(str(i), f"{i}.jpg", None, tuple(f"t{r}" for r in rows[i]), 0) for i in range(cases_n)]
    image_row = {(f"{i}.jpg", None): i for i in range(cases_n)}
    text_row = {f"t{r}": r for r in range(distinct_texts)}
    return cases, image_row, text_row, image16, text16, rows


def test_fp16_scores_are_aros_numpy_arithmetic_bit_for_bit():
    from runners.run_image_text import ARO_SCORE_BATCH, aro_fp16_scores

    cases, image_row, text_row, image16, text16, rows = fp16_fixture()
    ours = np.stack(aro_fp16_scores(cases, image_row, text_row, image16, text16))
    reference = aro_reference_scores(image16, text16[rows], ARO_SCORE_BATCH)
    assert ours.dtype == np.float16 and np.array_equal(ours, reference)
    for batch in (1, 7, 16):  # the notebook used 16, main_aro.py 32: the bits do not depend on it
        assert np.array_equal(np.stack(aro_fp16_scores(cases, image_row, text_row, image16, text16, batch=batch)), reference)
    ties = ours[::7]
    assert np.array_equal(ties[:, 0], ties[:, 1])  # token-identical options tie exactly in float16
    results = evaluate_aro("order", cases, list(ours))
    assert all(results["precision_at_1"].per_query[c.id] == (1.0 if ours[int(c.id)].argmax() == 0 else 0.0) for c in cases)


def test_fp16_ties_are_common_and_follow_aros_tie_rules():
    """Float16 cosines keep 11 bits: near-ties become ties, which ARO counts wrong on VG and right on order."""
    from runners.run_image_text import aro_fp16_scores

    image16 = np.array([[1.0, 0.0]], dtype=np.float16)
    text16 = np.array([[0.50012, 0.866], [0.50024, 0.866]], dtype=np.float16)  # distinct in float32, one float16 apart
    assert np.float32(0.50012) != np.float32(0.50024)
    vg = [AroCase("0", "a.jpg", (0.0, 0.0, 1.0, 1.0), ("false", "true"), 1, "on")]
    scores = aro_fp16_scores(vg, {("a.jpg", (0.0, 0.0, 1.0, 1.0)): 0}, {"false": 0, "true": 1}, image16, text16)
    false, true = scores[0]
    assert false == true  # the float16 normalisation rounds both to one value
    assert evaluate_aro("relation", vg, scores)["macro_accuracy"].value == 0.0  # VG: a tie is wrong
    order = [AroCase("0", "a.jpg", None, ("right", "other"), 0)]
    scores = aro_fp16_scores(order, {("a.jpg", None): 0}, {"right": 1, "other": 0}, image16, text16)
    assert evaluate_aro("order", order, scores)["precision_at_1"].value == 1.0  # order: a tie is right
    with pytest.raises(ValueError, match="float16"):
        aro_fp16_scores(order, {("a.jpg", None): 0}, {"right": 1, "other": 0}, image16.astype(np.float32), text16)
