"""Real data: bm25s-flat on SciFact, exported as a TREC run, gives every stored score back through pytrec_eval, exactly."""

from __future__ import annotations

import time

from click.testing import CliRunner

from benchmarks.registry import get_benchmark, get_task
from leaderboard.cli import main
from leaderboard.db import make_engine, session_factory
from leaderboard.views.artifacts import artifact_info
from tests.unit.test_run_artifacts import run_ids, scores_back_from_trec, stored_scores


def test_bm25s_flat_scifact_exported_trec_round_trips_through_pytrec_eval_exactly(shared_data):
    runner = CliRunner()
    assert runner.invoke(main, ["run", "bm25s-flat", "--tasks", "beir/scifact"], catch_exceptions=False).exit_code == 0
    run_id = run_ids()[-1]
    t0 = time.perf_counter()
    result = runner.invoke(main, ["export-run", str(run_id), "--format", "trec"], catch_exceptions=False)
    export_s = time.perf_counter() - t0
    assert result.exit_code == 0
    qrels = get_benchmark("beir").load(get_task("beir/scifact")).data.qrels
    back, stored = scores_back_from_trec(result.output, qrels), stored_scores(run_id)
    assert len(stored["ndcg_at_10"][1]) == 300
    for metric in stored:
        assert back[metric] == stored[metric], metric  # mean and every per-query value, ==
    with session_factory(make_engine())() as session:
        info = artifact_info(session, run_id)
    assert info is not None and info.queries == 300 and info.hits == len(result.output.splitlines())
    per_1000 = 1000 * info.size / info.queries
    print(f"\nSciFact bm25s-flat: {info.hits:,} hits, {info.size:,} bytes ({per_1000:,.0f} per 1,000 queries); export {export_s:.2f} s")
