import math

import numpy as np
import pytest
from scipy.stats import pearsonr, spearmanr

from leaderboard import stats
from leaderboard.grading import decimals_of, grade
from leaderboard.stats import bootstrap_ci, paired_randomization_test, random_effects_meta


def test_grades_at_the_published_precision():
    assert decimals_of(0.925) == 3 and decimals_of(0.64508) == 4 and decimals_of(0.6789) == 4
    assert grade(0.925, 0.92502) == "OK"
    assert grade(0.6789, 0.67891) == "OK"
    assert grade(0.6789, 0.6793) == "OKish"  # 0.0004 away
    assert grade(0.6789, 0.6777) == "FAIL"
    assert grade(0.6789, 0.6795, tolerance=0.001) == "OKish"


def test_paired_test_exact_by_hand():
    """Differences [0.5, -0.25, 1, 0.75]: 4 of the 16 sign patterns reach |mean| >= 0.5, so p = 0.25."""
    a = {"q1": 0.0, "q2": 0.5, "q3": 0.0, "q4": 0.25}
    b = {"q1": 0.5, "q2": 0.25, "q3": 1.0, "q4": 1.0, "extra": 1.0}
    result = paired_randomization_test(a, b)
    assert result.queries == 4
    assert result.mean_difference == pytest.approx(0.5)
    assert result.p_value == pytest.approx(0.25)
    assert result.effect_size == pytest.approx(0.5 / math.sqrt(0.875 / 3))
    assert result.permutations == 16


def test_paired_test_sampled_for_many_queries():
    a = {f"q{i}": 0.0 for i in range(40)}
    b = {f"q{i}": 1.0 if i % 2 else 0.9 for i in range(40)}
    result = paired_randomization_test(a, b)
    assert result.permutations == 10_000
    assert result.p_value == pytest.approx(1 / 10_001)  # no sign pattern reaches the all-positive mean


def test_bootstrap_is_seeded_and_brackets_the_mean():
    values = {f"q{i}": float(i % 5) / 4 for i in range(200)}
    first, second = bootstrap_ci(values), bootstrap_ci(values)
    assert first == second
    assert first.low < sum(values.values()) / 200 < first.high


def test_meta_analysis_of_identical_effects_has_no_heterogeneity():
    meta = random_effects_meta([0.4, 0.4, 0.4], [300, 300, 300])
    assert meta.pooled_effect == pytest.approx(0.4)
    assert meta.tau_squared == 0.0
    assert meta.ci_low < 0.4 < meta.ci_high and meta.p_value < 1e-6


def test_spearman_contributions_average_to_spearman():
    from scipy.stats import spearmanr

    from leaderboard.stats import spearman_contributions

    similarity = {f"p{i}": float((i * 7) % 11) for i in range(30)}
    gold = {f"p{i}": float(i % 5) for i in range(30)}
    terms = spearman_contributions(similarity, gold)
    assert sum(terms.values()) / len(terms) == pytest.approx(spearmanr(list(similarity.values()), list(gold.values()))[0], abs=1e-12)


def test_constant_difference_is_a_large_effect_not_none():
    """One rule for an sd-0 difference, in the CLI's test and in the site's batched cells."""
    zero, tenth = {f"q{i}": 0.0 for i in range(30)}, {f"q{i}": 0.1 for i in range(30)}
    # 0.1 up to float rounding: 0.4 - 0.3 and 0.2 - 0.1 differ in the 17th digit; mean / sd would be 3.5e15
    low = {f"q{i}": (0.3, 0.1)[i % 2] for i in range(30)}
    high = {f"q{i}": (0.4, 0.2)[i % 2] for i in range(30)}
    cases = (
        (zero, tenth, stats.NO_SPREAD_EFFECT),
        (tenth, zero, -stats.NO_SPREAD_EFFECT),
        (zero, zero, 0.0),
        (low, high, stats.NO_SPREAD_EFFECT),
    )
    for a, b, expected in cases:
        assert paired_randomization_test(a, b).effect_size == expected
        assert stats.pair_effect(a, b).effect == expected
    assert paired_randomization_test(zero, {**tenth, "q0": 0.1 + 1e-6}).effect_size < 1e7  # a real, tiny spread is measured


# ------------------------------------------------------------------ the batched kernels (the site's cells) equal the definitions
def test_batched_bootstraps_equal_the_single_call_bootstrap():
    rng = np.random.default_rng(11)
    arrays = [rng.random(n) for n in (2, 17, 17, 250)]
    for values, (low, high) in zip(arrays, stats.mean_intervals(arrays), strict=True):
        expected = bootstrap_ci(values)
        assert (low, high) == (pytest.approx(expected.low, abs=1e-12), pytest.approx(expected.high, abs=1e-12))
    for kind, corr in (("spearman", lambda a, b: spearmanr(a, b).statistic), ("pearson", lambda a, b: np.corrcoef(a, b)[0, 1])):
        x = np.round(rng.random(120), 1)
        gold = np.round(x + rng.normal(0, 0.3, 120), 1)
        expected = bootstrap_ci(x, statistic=lambda idx, corr=corr, x=x, gold=gold: corr(gold[idx], x[idx]))
        assert stats.correlation_interval(x, gold, kind) == (
            pytest.approx(expected.low, abs=1e-9),
            pytest.approx(expected.high, abs=1e-9),
        )


@pytest.mark.parametrize("n", [5, 14, 31, 200])
def test_batched_randomization_p_values_equal_the_library(n):
    rng = np.random.default_rng(n)
    pairs = []
    for shift in (0.0, 0.02, 0.2):
        a = {f"q{i}": float(v) for i, v in enumerate(rng.random(n))}
        b = {q: v + shift + float(rng.normal(0, 0.1)) for q, v in a.items()}
        pairs.append((a, b))
    got = stats.randomization_p_values([stats.difference(a, b) for a, b in pairs])
    for (a, b), p in zip(pairs, got, strict=True):
        expected = paired_randomization_test(a, b)
        assert p == pytest.approx(expected.p_value, abs=1e-12)
        assert stats.pair_effect(a, b).effect == pytest.approx(expected.effect_size, abs=1e-12)


# ------------------------------------------------------------------ the statistic comes from the metric's declaration
def test_the_statistic_is_read_from_the_metric_declaration_not_the_task_id():
    assert stats.statistic_for("sts/stsb", "cosine_spearman") == "spearman"
    assert stats.statistic_for("sts/stsb", "cosine_pearson") == "pearson"
    assert stats.statistic_for("beir/scifact", "ndcg_at_10") == "mean"
    assert stats.statistic_for("aro/vg-relation", "macro_accuracy") == "macro"
    assert stats.statistic_for("tatoeba/deu-eng", "f1") == "mean"
    assert stats.statistic_for("sts/stsb", "no_such_metric") == "mean"  # undeclared: a mean, checked against the score


def test_correlation_contributions_average_to_the_correlation():
    rng = np.random.default_rng(2)
    x = np.round(rng.random(50), 1)
    gold = np.round(x + rng.normal(0, 0.3, 50), 1)
    values = {f"p{i}": float(v) for i, v in enumerate(x)}
    golds = {f"p{i}": float(v) for i, v in enumerate(gold)}
    for kind, expected in (("spearman", spearmanr(gold, x).statistic), ("pearson", pearsonr(gold, x).statistic)):
        terms = stats.paired_values(kind, values, golds)
        assert sum(terms.values()) / len(terms) == pytest.approx(expected, abs=1e-12)
    assert stats.paired_values("spearman", values, None) is None  # a correlation without the run's gold has nothing to compare
    assert stats.paired_values("macro", values, None) == values  # a macro average compares the items it averages


def test_a_correlation_interval_needs_the_gold_and_a_macro_has_none():
    from leaderboard.views.items import ItemValues

    rng = np.random.default_rng(4)
    x = np.round(rng.random(40), 2)
    gold = np.round(x + rng.normal(0, 0.2, 40), 1)
    per_pair = {f"p{i}": float(v) for i, v in enumerate(x)}
    golds = {f"p{i}": float(v) for i, v in enumerate(gold)}
    rho = float(spearmanr(gold, x).statistic)
    got = stats.compute_intervals(
        {
            1: ItemValues(1, "sts/sts12", "cosine_spearman", rho, per_pair, golds),
            2: ItemValues(2, "sts/sts12", "cosine_spearman", rho, per_pair, None),
            3: ItemValues(3, "aro/vg-relation", "macro_accuracy", 0.5, {"a": 0.0, "b": 1.0}, None),
        }
    )
    expected = bootstrap_ci(x, statistic=lambda idx: spearmanr(gold[idx], x[idx]).statistic)
    assert (got[1].low, got[1].high) == (pytest.approx(expected.low, abs=1e-9), pytest.approx(expected.high, abs=1e-9))
    assert not got[2].ok and "gold" in got[2].note
    assert not got[3].ok and "macro" in got[3].note
