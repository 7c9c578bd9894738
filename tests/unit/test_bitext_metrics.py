"""Bitext mining scores equal scikit-learn's weighted averages (what MTEB calls), with per-sentence values."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score

from benchmarks.metrics.bitext import BITEXT_METRICS, evaluate_bitext, nearest_neighbours


def test_hand_computed_case():
    # query 0 -> 0 (right), 1 -> 0 (wrong), 2 -> 2 (right), 3 -> 2 (wrong)
    scores = evaluate_bitext([0, 0, 2, 2])
    # line 0: precision 1/2 (two queries picked it), recall 1 -> F1 2/3; line 1: 0; line 2: same as line 0; line 3: 0
    assert scores["accuracy"].value == 0.5 and scores["recall"].value == 0.5
    assert scores["precision"].value == pytest.approx(0.25)
    assert scores["f1"].value == pytest.approx((2 / 3 + 2 / 3) / 4)
    assert scores["f1"].per_query == pytest.approx({"1": 2 / 3, "2": 0.0, "3": 2 / 3, "4": 0.0})
    assert scores["accuracy"].per_query == {"1": 1.0, "2": 0.0, "3": 1.0, "4": 0.0}


@pytest.mark.parametrize("seed", range(5))
def test_equal_to_sklearn_weighted_averages(seed):
    rng = np.random.default_rng(seed)
    n = 50
    predicted = np.where(rng.random(n) < 0.4, np.arange(n), rng.integers(0, n, size=n))
    gold = list(range(n))
    scores = evaluate_bitext(predicted)
    assert scores["f1"].value == pytest.approx(f1_score(gold, predicted, average="weighted", zero_division=0), abs=1e-12)
    assert scores["precision"].value == pytest.approx(precision_score(gold, predicted, average="weighted", zero_division=0), abs=1e-12)
    assert scores["recall"].value == pytest.approx(recall_score(gold, predicted, average="weighted", zero_division=0), abs=1e-12)
    assert scores["accuracy"].value == pytest.approx(accuracy_score(gold, predicted), abs=1e-12)
    for metric in BITEXT_METRICS:  # the score is the mean of the stored per-sentence values
        assert np.mean(list(scores[metric].per_query.values())) == pytest.approx(scores[metric].value, abs=1e-12)


def test_nearest_neighbour_by_cosine_or_dot_and_ties_to_the_lowest_index():
    queries = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    corpus = np.array([[10.0, 0.0], [0.0, 1.0], [0.6, 0.8], [0.6, 0.8]])
    assert nearest_neighbours(queries, corpus).tolist() == [0, 1, 2]  # [1,1]: cos 0.99 with [0.6,0.8], tie -> index 2
    assert nearest_neighbours(queries, corpus, similarity="dot").tolist() == [0, 1, 0]  # length counts for dot
    assert nearest_neighbours(queries, corpus, chunk=1).tolist() == [0, 1, 2]


def test_bad_inputs():
    with pytest.raises(ValueError):
        evaluate_bitext([])
    with pytest.raises(ValueError, match="unique"):
        evaluate_bitext([0, 1], ["a", "a"])
    with pytest.raises(ValueError):
        nearest_neighbours(np.ones((2, 3)), np.ones((2, 4)))
    with pytest.raises(ValueError, match="cosine or dot"):
        nearest_neighbours(np.ones((2, 3)), np.ones((2, 3)), similarity="euclidean")
