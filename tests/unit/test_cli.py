"""The CLI end to end on tiny fixtures: runs are stored with history; bad input is one line and writes nothing."""

import gzip
import json
from pathlib import Path

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


# ---------------------------------------------------------------- hostile and careless input (issue 12)
def lexical_config(tmp_path, bm25: str = "{engine: bm25s}", name: str = "lexical"):
    path = tmp_path / f"{name}.yaml"
    path.write_text(f"name: {name}\nfamily: [sparse]\nbackend: bm25\nbm25: {bm25}\n")
    return path


def test_infinite_k1_is_refused_before_anything_runs(tiny_task, tmp_path):
    """``k1: .inf`` passed validation, ran, and stored Infinity in the manifest (500s on every board page)."""
    result = invoke("run", str(lexical_config(tmp_path, "{engine: bm25s, k1: .inf}")), "--tasks", tiny_task.id)
    assert_one_line_error(result, "bm25.k1: Input should be a finite number")


def test_manifest_is_strict_json_with_paths_relative_to_their_roots(tiny_task, tmp_path):
    assert invoke("run", "bm25s-flat", "--tasks", tiny_task.id).exit_code == 0
    with session_factory(make_engine())() as session:
        manifest = session.scalars(select(schema.Run)).one().manifest
    text = json.dumps(manifest, allow_nan=False)
    assert str(tmp_path) not in text  # no data dir, cache dir or any other absolute path of this machine
    assert manifest["data_files"] == {
        "corpus": "beir/tiny/corpus.jsonl.gz",
        "queries": "beir/tiny/queries.jsonl",
        "qrels": "beir/tiny/qrels/test.tsv",
    }
    assert manifest["counts"]["queries_with_hits"] == 2 and "non_finite" not in manifest  # q2's one hit is itself, removed


def test_package_weights_are_named_by_the_package_in_the_manifest(tiny_task, tmp_path, monkeypatch):
    """A community run's manifest is public: the weights folder is ``package:<spec>``, not site-packages."""
    site = tmp_path / "site"
    (site / "tiny_weights_pkg").mkdir(parents=True)
    (site / "tiny_weights_pkg" / "__init__.py").write_text("")
    make_tiny_st_model(site / "tiny_weights_pkg" / "model")
    monkeypatch.syspath_prepend(str(site))
    config = tmp_path / "m.yaml"
    config.write_text("name: packaged\nfamily: [dense]\nbackend: dense\nweights: {package: tiny_weights_pkg/model}\n")
    result = invoke("run", str(config), "--tasks", tiny_task.id)
    assert result.exit_code == 0, result.output
    with session_factory(make_engine())() as session:
        manifest = session.scalars(select(schema.Run)).one().manifest
    assert manifest["model"]["weights_folder"] == "package:tiny_weights_pkg/model"
    assert str(tmp_path) not in json.dumps(manifest, allow_nan=False)


def write_tiny(tmp_path, name: str, queries=None, qrels=None):
    from tests.conftest import TINY_DOCS, TINY_QRELS, TINY_QUERIES, write_beir

    return write_beir(tmp_path / "data" / "beir" / name, TINY_DOCS, queries or TINY_QUERIES, qrels or TINY_QRELS)


@pytest.fixture
def two_tiny_tasks(tmp_path, monkeypatch):
    """``beir/tiny`` and ``beir/tiny2``: two registered copies of the tiny dataset."""
    from benchmarks.beir.benchmark import beir_task, extra_datasets
    from benchmarks.registry import all_tasks

    for name in ("tiny", "tiny2"):
        write_tiny(tmp_path, name)
    extra = tmp_path / "extra-tasks.yaml"
    extra.write_text("".join(f"- {{name: {name}, docs: 5, queries: 3}}\n" for name in ("tiny", "tiny2")))
    monkeypatch.setenv("LEADERBOARD_BEIR_EXTRA", str(extra))
    tasks = [beir_task(entry) for entry in extra_datasets()]
    for task in tasks:
        monkeypatch.setitem(all_tasks(), task.id, task)
    return tasks


def flip_a_byte(path, offset: int = 60) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


def test_corrupt_second_task_stores_nothing(two_tiny_tasks, tmp_path):
    """``run bm25s-flat --tasks beir/scifact,beir/<corrupt>`` stored SciFact, then failed."""
    flip_a_byte(tmp_path / "data" / "beir" / "tiny2" / "corpus.jsonl.gz")
    result = invoke("run", "bm25s-flat", "--tasks", "beir/tiny,beir/tiny2")
    assert_one_line_error(result, "tiny2/corpus.jsonl.gz: cannot be read")
    assert "running bm25s-flat" not in result.output and "ndcg_at_10=" not in result.output


def test_count_mismatch_of_a_later_task_stores_nothing(two_tiny_tasks, tmp_path):
    write_tiny(tmp_path, "tiny2", queries={"q1": "vitamin", "q2": "measles", "q3": "memory", "q4": "extra"})
    with (tmp_path / "data" / "beir" / "tiny2" / "qrels" / "test.tsv").open("a") as handle:
        handle.write("q4\td1\t1\r\n")
    assert_one_line_error(invoke("run", "bm25s-flat", "--tasks", "beir/tiny,beir/tiny2"), "beir/tiny2", "4 queries", "3 queries")


@pytest.mark.parametrize("offset", [30, 60, 90, -12, -4])  # deflate data (after the header and file name), CRC, size
def test_bit_flipped_gzip_corpus_is_one_line_in_run_and_data_verify(tiny_task, tiny_beir, offset):
    flip_a_byte(tiny_beir / "corpus.jsonl.gz", offset)
    assert_one_line_error(invoke("run", "bm25s-flat", "--tasks", tiny_task.id), "corpus.jsonl.gz")
    verify = invoke("data", "verify", tiny_task.id)
    assert verify.exit_code == 1 and "Traceback" not in verify.output
    assert verify.output.startswith("beir/tiny: corrupt") and "corpus.jsonl.gz" in verify.output


@pytest.mark.parametrize("file", ["corpus.jsonl.gz", "queries.jsonl", "qrels/test.tsv"])
def test_empty_data_files_are_one_line_errors(tmp_path, monkeypatch, file):
    """An extra dataset declared with 0 documents used to run on nothing (counts matched)."""
    from benchmarks.beir.benchmark import beir_task, extra_datasets
    from benchmarks.registry import all_tasks

    folder = write_tiny(tmp_path, "void")
    target = folder / file
    target.write_bytes(gzip.compress(b"") if file.endswith(".gz") else b"query-id\tcorpus-id\tscore\n" if "qrels" in file else b"")
    extra = tmp_path / "extra-tasks.yaml"
    extra.write_text("- {name: void, docs: 0, queries: 0}\n")
    monkeypatch.setenv("LEADERBOARD_BEIR_EXTRA", str(extra))
    task = beir_task(extra_datasets()[0])
    monkeypatch.setitem(all_tasks(), task.id, task)
    assert_one_line_error(invoke("run", "bm25s-flat", "--tasks", task.id), file, "holds no")


def test_config_that_is_not_utf8_is_one_line(tiny_task, tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: caf\xe9\nfamily: [sparse]\nbackend: bm25\nbm25: {engine: bm25s}\n".encode("latin-1"))
    assert_one_line_error(invoke("run", str(path), "--tasks", tiny_task.id), "latin1.yaml: not UTF-8")


@pytest.mark.parametrize("spec", ["", ",", " , ,"])
def test_an_empty_task_list_is_an_error(spec):
    assert_one_line_error(invoke("run", "bm25s-flat", "--tasks", spec), "--tasks names no task")


def test_a_run_with_one_unsupported_task_still_runs_the_others(tiny_task):
    from benchmarks.registry import all_tasks

    unsupported = next(task.id for task in all_tasks().values() if task.benchmark == "sts")
    result = invoke("run", "bm25s-flat", "--tasks", f"{unsupported},{tiny_task.id}")
    assert result.exit_code == 0 and f"skipping {unsupported}" in result.output and count(schema.Run) == 1


def test_query_empty_after_analysis_gets_no_hits_and_counts_zero(tmp_path, monkeypatch, tiny_task):
    """bm25s raised IndexError in get_scores on a query with no term left (stopwords, unknown words, empty text)."""
    write_tiny(tmp_path, "tiny", queries={"q1": "vitamin deficiency and fractures", "q2": "the of and", "q3": ""})
    result = invoke("run", "bm25s-flat", "--tasks", tiny_task.id)
    assert result.exit_code == 0, result.output
    with session_factory(make_engine())() as session:
        score = session.scalars(select(schema.Score).where(schema.Score.metric == "ndcg_at_10")).one()
        manifest = session.scalars(select(schema.Run)).one().manifest
    assert score.per_query["q2"] == score.per_query["q3"] == 0.0 and score.per_query["q1"] > 0
    assert score.value == pytest.approx(score.per_query["q1"] / 3)  # the mean is over every judged query
    assert manifest["counts"]["queries_with_hits"] == 1


def test_a_run_in_which_no_query_gets_a_hit_is_refused(tmp_path, tiny_task):
    """Every score 0 by construction is not a measurement: refused, never stored as 0."""
    write_tiny(tmp_path, "tiny", queries={"q1": "the", "q2": "of and", "q3": "zzzz qqqq"})
    assert_one_line_error(invoke("run", "bm25s-flat", "--tasks", tiny_task.id), "beir/tiny", "no hit for any of the 3 judged queries")


def test_negative_grades_run_and_data_verify_reports_them(tmp_path, tiny_task):
    """Grades of -2 and lower crashed pytrec_eval (exit -11) while `data verify` said "verified"."""
    import os
    import subprocess
    import sys

    write_tiny(tmp_path, "tiny", qrels=[("q1", "d1", 1), ("q1", "d4", -2), ("q2", "d2", 1), ("q3", "d2", -2), ("q3", "d4", -5)])
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    child = subprocess.run(
        [sys.executable, "-m", "leaderboard.cli", "run", "bm25s-flat", "--tasks", tiny_task.id], env=env, capture_output=True, text=True
    )
    assert child.returncode == 0, (child.returncode, child.stderr[-800:])
    with session_factory(make_engine())() as session:
        score = session.scalars(select(schema.Score).where(schema.Score.metric == "ndcg_at_10")).one()
    assert score.per_query["q3"] == 0.0 and set(score.per_query) == {"q1", "q2", "q3"}
    verify = invoke("data", "verify", tiny_task.id)
    assert verify.exit_code == 0 and "verified" in verify.output
    assert "3 judgements with grade <= 0, treated as not relevant" in verify.output


def test_qrels_without_any_relevant_judgement_are_refused(tmp_path, tiny_task):
    """Every grade <= 0: every score would be 0 whatever the model; refused, in `run` and in `data verify`."""
    write_tiny(tmp_path, "tiny", qrels=[("q1", "d1", 0), ("q2", "d2", -1), ("q3", "d3", -2)])
    assert_one_line_error(invoke("run", "bm25s-flat", "--tasks", tiny_task.id), "qrels/test.tsv", "no judgement has a grade >= 1")
    verify = invoke("data", "verify", tiny_task.id)
    assert verify.exit_code == 1 and "corrupt" in verify.output and "grade >= 1" in verify.output
