"""`leaderboard reproduce` and `compare` end to end on the tiny dataset."""

import json

from click.testing import CliRunner
from sqlalchemy import select

from leaderboard import schema
from leaderboard.cli import main
from leaderboard.db import make_engine, session_factory
from tests.tiny_models import make_tiny_st_model


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def write_config(path, *, k1: float, reported: dict[str, float]) -> str:
    lines = [
        "name: tiny-bm25",
        "family: [sparse]",
        "backend: bm25",
        f"bm25: {{engine: bm25s, k1: {k1}, b: 0.4}}",
        "reported:" if reported else "reported: []",
        *[f"  - {{task: beir/tiny, metric: {m}, value: {v}, source: test}}" for m, v in reported.items()],
    ]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def measured(model: str) -> dict[str, float]:
    records = json.loads(invoke("export").output)
    return {r["metric"]: r["value"] for r in records if r["model"] == model and r["current"]}


def dense_config(path, weights, *, max_length: int, reported: dict[str, float]) -> str:
    lines = [
        "name: tiny-dense",
        "family: [dense]",
        "backend: dense",
        f"weights: {{path: {weights}}}",
        f"max_length: {max_length}",
        "reported:" if reported else "reported: []",
        *[f"  - {{task: beir/tiny, metric: {m}, value: {v}, source: test}}" for m, v in reported.items()],
    ]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def test_reproduce_grades_ok_then_a_perturbed_config_fails(tiny_task, tmp_path):
    weights = make_tiny_st_model(tmp_path / "weights")
    probe = dense_config(tmp_path / "probe.yaml", weights, max_length=32, reported={})
    assert invoke("run", probe, "--tasks", "beir/tiny").exit_code == 0
    scores = measured("tiny-dense")
    published = {"ndcg_at_10": round(scores["ndcg_at_10"], 4), "mrr_at_10": round(scores["mrr_at_10"], 4)}
    config = dense_config(tmp_path / "m.yaml", weights, max_length=32, reported=published)

    ok = invoke("reproduce", config, "--report", str(tmp_path / "r.html"))
    assert ok.exit_code == 0, ok.output
    row = next(line for line in ok.output.splitlines() if line.startswith("beir/tiny") and "ndcg_at_10" in line)
    assert row.rstrip().endswith("OK")
    assert "ndcg_at_10" in (tmp_path / "r.html").read_text()
    with session_factory(make_engine())() as session:
        reproduction = session.scalars(select(schema.Run).where(schema.Run.kind == "reproduction")).one()
        assert reproduction.reproduces_run_id == 1
        assert {g.against for g in session.scalars(select(schema.Grade))} == {"reported", "board"}
        assert session.scalars(select(schema.CurrentResult)).one().run_id == 1  # a reproduction does not replace the board run

    perturbed = dense_config(tmp_path / "m.yaml", weights, max_length=3, reported=published)
    failed = invoke("reproduce", perturbed)
    assert failed.exit_code == 1, failed.output
    assert "FAIL" in failed.output


def test_dry_run_lists_every_reference_command():
    result = invoke("reproduce", "--all", "--dry-run")
    assert result.exit_code == 0
    assert "leaderboard reproduce bm25-flat --tasks beir/scifact" in result.output


def test_compare_prints_the_paired_test(tiny_task, tmp_path):
    strong = write_config(tmp_path / "a.yaml", k1=1.2, reported={})
    assert invoke("run", strong, "--tasks", "beir/tiny").exit_code == 0
    assert invoke("run", "bm25s-flat", "--tasks", "beir/tiny").exit_code == 0
    result = invoke("compare", "bm25s-flat", "tiny-bm25", "--tasks", "beir/tiny")
    assert result.exit_code == 0, result.output
    assert "beir/tiny" in result.output and "sign flips" in result.output


def test_compare_without_results_is_one_line():
    result = invoke("compare", "bm25s-flat", "bm25-flat")
    assert result.exit_code == 1 and "no results on the board" in result.output
