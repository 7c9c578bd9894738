"""The CLI end to end on tiny fixtures: runs are stored with history; bad input is one line and writes nothing."""

import gzip
import json

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from leaderboard import schema
from leaderboard.cli import main
from leaderboard.db import make_engine, session_factory
from tests.tiny_models import make_tiny_st_model


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def count(table) -> int:
    with session_factory(make_engine())() as session:
        return session.scalar(select(func.count()).select_from(table))


def assert_one_line_error(result, *fragments: str) -> None:
    assert result.exit_code != 0
    lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, result.output
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in lines[0]
    assert count(schema.Run) == 0 and count(schema.Score) == 0 and count(schema.Model) == 0


def test_run_twice_keeps_history_and_one_current_result(tiny_task):
    first = invoke("run", "bm25s-flat", "--tasks", tiny_task.id)
    assert first.exit_code == 0, first.output
    assert "ndcg_at_10=" in first.output
    assert invoke("run", "bm25s-flat", "--tasks", tiny_task.id).exit_code == 0
    assert count(schema.Run) == 2
    assert count(schema.CurrentResult) == 1
    with session_factory(make_engine())() as session:
        current = session.scalars(select(schema.CurrentResult)).one()
        assert current.run_id == max(session.scalars(select(schema.Run.id)))
        run = session.get(schema.Run, current.run_id)
        assert run.manifest["data_sha256"] and run.manifest["versions"]["python"]
        assert run.metric_spec["remove_identical_ids"] is True
        ndcg = next(s for s in run.scores if s.metric == "ndcg_at_10")
        assert set(ndcg.per_query) == {"q1", "q2", "q3"}

    exported = json.loads(invoke("export", "--format", "json").output)
    assert {r["run_id"] for r in exported} == {1, 2}
    assert sum(r["current"] for r in exported) == 6  # six metrics of the current run
    table = invoke("results").output
    assert "bm25s-flat" in table and "tiny" in table


def test_identical_ids_are_removed_in_a_real_run(tiny_task):
    """Doc "q2" is the query "q2" itself (as in ArguAna); the task removes it, so q2 scores 0."""
    invoke("run", "bm25s-flat", "--tasks", tiny_task.id)
    with session_factory(make_engine())() as session:
        score = session.scalars(select(schema.Score).where(schema.Score.metric == "ndcg_at_10")).one()
    assert score.per_query["q2"] == 0.0
    assert score.per_query["q1"] > 0


def test_missing_dataset(tmp_path):
    result = invoke("run", "bm25s-flat", "--tasks", "beir/scifact")
    assert_one_line_error(result, "beir/scifact", "corpus.jsonl", "qrels/test.tsv", str(tmp_path / "data" / "beir" / "scifact"))


def test_corrupt_corpus_line(tiny_task, tiny_beir):
    corpus = tiny_beir / "corpus.jsonl.gz"
    lines = gzip.decompress(corpus.read_bytes()).decode().splitlines(keepends=True)
    lines[1] = "not json\n"
    corpus.write_bytes(gzip.compress("".join(lines).encode()))
    assert_one_line_error(invoke("run", "bm25s-flat", "--tasks", tiny_task.id), "corpus.jsonl.gz line 2")


def test_unknown_model(tiny_task):
    assert_one_line_error(invoke("run", "no-such-model", "--tasks", tiny_task.id), "unknown model 'no-such-model'")


def test_unknown_task():
    assert_one_line_error(invoke("run", "bm25s-flat", "--tasks", "beir/scifakt"), "unknown task", "beir/scifact")


@pytest.mark.parametrize("damage", ["missing", "garbage"])
def test_unreadable_weights_directory(tiny_task, tmp_path, damage):
    folder = tmp_path / "weights"
    if damage == "garbage":
        make_tiny_st_model(folder)
        (folder / "model.safetensors").write_bytes(b"\x00not safetensors")
    config = tmp_path / "m.yaml"
    config.write_text(f"name: broken\nfamily: [dense]\nbackend: dense\nweights: {{path: {folder}}}\n")
    result = invoke("run", str(config), "--tasks", tiny_task.id)
    assert_one_line_error(result, "broken", str(folder))


def test_wrong_weights_checksum(tiny_task, tmp_path):
    folder = make_tiny_st_model(tmp_path / "weights")
    config = tmp_path / "m.yaml"
    config.write_text(
        f"name: pinned\nfamily: [dense]\nbackend: dense\nweights: {{path: {folder}, sha256: {{model.safetensors: '{'0' * 64}'}}}}\n"
    )
    assert_one_line_error(invoke("run", str(config), "--tasks", tiny_task.id), "model.safetensors", "0" * 64)


def test_dense_model_from_a_config_file_runs(tiny_task, tmp_path):
    folder = make_tiny_st_model(tmp_path / "weights")
    config = tmp_path / "m.yaml"
    config.write_text(f"name: tiny-dense\nfamily: [dense]\nbackend: dense\nweights: {{path: {folder}}}\n")
    result = invoke("run", str(config), "--tasks", tiny_task.id)
    assert result.exit_code == 0, result.output
    with session_factory(make_engine())() as session:
        run = session.scalars(select(schema.Run)).one()
        assert run.manifest["model"]["pooling"] == "mean"
        assert run.manifest["search"]["hits_retrieved"] == 1001
        assert list(run.manifest["weights_sha256"]) == ["model.safetensors"]


def test_data_list_shows_present_and_verified(tiny_task):
    result = invoke("data", "list")
    assert result.exit_code == 0
    line = next(line for line in result.output.splitlines() if line.startswith("beir/tiny"))
    assert "verified" in line
