import math

import pytest

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
    result = paired_randomization_test({f"q{i}": 0.0 for i in range(30)}, {f"q{i}": 0.1 for i in range(30)})
    assert result.effect_size > 1e3
