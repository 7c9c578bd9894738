"""Our metrics against pytrec_eval itself, and the trec_eval semantics around it."""

import random

import pytest
import pytrec_eval

from benchmarks.metrics.retrieval import RETRIEVAL_METRICS, evaluate_retrieval, prepare_run, trec_eval_order


def random_case(seed: int = 7, queries: int = 40, docs: int = 300):
    rng = random.Random(seed)
    qrels = {f"q{i}": {f"d{rng.randrange(docs)}": rng.choice([1, 2]) for _ in range(rng.randint(1, 6))} for i in range(queries)}
    # scores rounded to 2 decimals so that ties are frequent
    run = {q: {f"d{j}": round(rng.random(), 2) for j in rng.sample(range(docs), 120)} for q in qrels}
    return qrels, run


def test_equal_to_pytrec_eval_to_1e9():
    qrels, run = random_case()
    ours = evaluate_retrieval(qrels, run, depth=100)
    truncated = prepare_run(run, depth=100)
    reference = pytrec_eval.RelevanceEvaluator(qrels, {"ndcg_cut.10", "recall.100", "map_cut.100", "P.10"}).evaluate(truncated)
    for name, key in [
        ("ndcg_at_10", "ndcg_cut_10"),
        ("recall_at_100", "recall_100"),
        ("map_at_100", "map_cut_100"),
        ("precision_at_10", "P_10"),
    ]:
        expected = sum(reference[q][key] for q in qrels) / len(qrels)
        assert ours[name].value == pytest.approx(expected, abs=1e-9)
        for q in qrels:
            assert ours[name].per_query[q] == pytest.approx(reference[q][key], abs=1e-9)


def test_full_depth_run_equals_plain_pytrec_eval():
    """Without truncation our numbers are exactly pytrec_eval's on the raw run."""
    qrels, run = random_case(seed=3)
    ours = evaluate_retrieval(qrels, run)
    reference = pytrec_eval.RelevanceEvaluator(qrels, {"ndcg_cut.10", "recall.1000"}).evaluate(run)
    assert ours["ndcg_at_10"].value == pytest.approx(sum(r["ndcg_cut_10"] for r in reference.values()) / len(qrels), abs=1e-9)
    assert ours["recall_at_1000"].value == pytest.approx(sum(r["recall_1000"] for r in reference.values()) / len(qrels), abs=1e-9)


def test_mrr_at_10_is_reciprocal_rank_of_first_relevant_in_top_10():
    qrels = {"a": {"x": 1}, "b": {"y": 1}, "c": {"z": 1}}
    run = {
        "a": {f"n{i}": 1.0 - i / 100 for i in range(10)} | {"x": 0.955},  # x at rank 6
        "b": {f"n{i}": 1.0 - i / 100 for i in range(12)} | {"y": 0.885},  # y at rank 13: outside top 10
        "c": {"z": 2.0},
    }
    result = evaluate_retrieval(qrels, run, ["mrr_at_10"])
    assert result["mrr_at_10"].per_query == {"a": pytest.approx(1 / 6), "b": 0.0, "c": 1.0}


def test_ties_follow_trec_eval_doc_id_descending():
    assert [d for d, _ in trec_eval_order({"a": 1.0, "c": 1.0, "b": 1.0, "z": 0.5})] == ["c", "b", "a", "z"]
    # a cut at depth 2 keeps c and b, as trec_eval ranks them, so a relevant "a" is lost
    result = evaluate_retrieval({"q": {"a": 1}}, {"q": {"a": 1.0, "b": 1.0, "c": 1.0}}, ["recall_at_100"], depth=2)
    assert result["recall_at_100"].value == 0.0


def test_tie_order_agrees_with_pytrec_eval():
    """pytrec_eval's own ranking of tied hits gives the same P@1 as our ordering."""
    qrels = {"q": {"b": 1}}
    run = {"q": {"a": 1.0, "b": 1.0}}
    reference = pytrec_eval.RelevanceEvaluator(qrels, {"P.1"}).evaluate(run)["q"]["P_1"]
    assert reference == 1.0  # trec_eval puts "b" before "a"
    assert trec_eval_order(run["q"])[0][0] == "b"


def test_identical_ids_removed_only_when_asked():
    qrels = {"q1": {"d1": 1}}
    run = {"q1": {"q1": 9.0, "d1": 1.0}}
    kept = evaluate_retrieval(qrels, run, ["precision_at_10", "mrr_at_10"])
    removed = evaluate_retrieval(qrels, run, ["precision_at_10", "mrr_at_10"], remove_identical_ids=True)
    assert kept["mrr_at_10"].value == 0.5
    assert removed["mrr_at_10"].value == 1.0


def test_queries_without_hits_count_as_zero_like_trec_eval_c():
    qrels = {"q1": {"d1": 1}, "q2": {"d2": 1}}
    result = evaluate_retrieval(qrels, {"q1": {"d1": 1.0}}, ["ndcg_at_10"])
    assert result["ndcg_at_10"].per_query == {"q1": 1.0, "q2": 0.0}
    assert result["ndcg_at_10"].value == 0.5


def test_every_named_metric_is_computed():
    qrels, run = random_case(seed=11, queries=5)
    assert set(evaluate_retrieval(qrels, run)) == set(RETRIEVAL_METRICS)


# Found by the hostile-input review: a query whose every grade is -2 or lower (TREC's "junk") made
# pytrec_eval's bundled trec_eval memset a negative size: the process died with SIGSEGV, no message.
NEGATIVE_QRELS = {"q297": {"d2": -3, "d0": 2, "d1": 2}, "q298": {"d3": -2, "d4": -5}}
NEGATIVE_RUN = {
    "q297": {"d0": 0.61, "d4": 0.18, "d1": 0.58, "d3": 0.66, "d2": 0.16},
    "q298": {"d4": 0.18, "d1": 0.99, "d3": 0.28, "d0": 0.34, "d2": 0.24},
}


def test_negative_grades_do_not_crash_the_evaluation():
    """Run in a child process: before the fix this case killed the interpreter (exit -11)."""
    import json
    import subprocess
    import sys

    code = (
        "import json, sys; from benchmarks.metrics.retrieval import evaluate_retrieval; "
        f"qrels, run = json.loads({json.dumps(json.dumps([NEGATIVE_QRELS, NEGATIVE_RUN]))}); "
        "print(json.dumps({m: r.per_query for m, r in evaluate_retrieval(qrels, run).items()}))"
    )
    child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert child.returncode == 0, (child.returncode, child.stderr[-500:])
    per_query = json.loads(child.stdout)
    assert set(per_query["ndcg_at_10"]) == {"q297", "q298"}  # the all-negative query stays judged and counts 0
    assert all(values["q298"] == 0.0 for values in per_query.values())


def test_grades_up_to_zero_are_not_relevant_as_in_trec_eval():
    """Negative grades score exactly as grade 0 does, and grade 0 exactly as an unjudged document (our six measures)."""
    zeroed = {q: {d: max(g, 0) for d, g in docs.items()} for q, docs in NEGATIVE_QRELS.items()}
    dropped = {"q297": {"d0": 2, "d1": 2}, "q298": {"d3": 0}}  # q298 kept judged, with nothing relevant
    got, as_zero, as_unjudged = (evaluate_retrieval(q, NEGATIVE_RUN) for q in (NEGATIVE_QRELS, zeroed, dropped))
    for metric in RETRIEVAL_METRICS:
        assert got[metric].per_query == as_zero[metric].per_query == as_unjudged[metric].per_query
    # q297: d1 (grade 2) at rank 2 behind d3, and d0 (grade 2) at rank 3; d2 (grade -3) adds nothing
    assert got["mrr_at_10"].per_query["q297"] == pytest.approx(1 / 2)
    assert got["recall_at_100"].per_query["q297"] == 1.0


def test_positive_grades_reach_pytrec_eval_unchanged():
    """SciFact-like qrels (every grade 1, or graded 1/2): rewriting grades <= 0 leaves them as they are."""
    from benchmarks.metrics.retrieval import judged_grades

    qrels, _ = random_case()
    assert judged_grades(qrels) == qrels


def test_metric_spec_states_the_relevance_rule():
    from benchmarks.metrics.retrieval import metric_spec

    spec = metric_spec(split="test", remove_identical_ids=False)
    assert "grades <= 0" in spec["relevance"] and "not relevant" in spec["relevance"] and ">= 1" in spec["relevance"]
