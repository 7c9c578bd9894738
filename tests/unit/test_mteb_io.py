"""MTEB result files: export validates with mteb's own TaskResult.from_disk, import round-trips."""

from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from mteb.results import TaskResult
from sqlalchemy import select

from benchmarks.metrics.retrieval import MetricResult
from benchmarks.registry import get_task
from leaderboard import schema
from leaderboard.cli import main
from leaderboard.db import make_engine, session_factory
from leaderboard.mteb_io import mteb_name, our_task_id
from leaderboard.store import record_run
from runners.outcome import RunOutcome
from submissions.schema import ModelConfig

CONFIG = ModelConfig(
    name="tiny-hub-model",
    family=["dense"],
    backend="dense",
    weights={"hf": "org/tiny-hub-model", "revision": "a" * 40},
    metadata={"parameters": 1000, "embedding_dim": 16, "license": "MIT"},
)
SCORES = {"ndcg_at_10": 0.712345678, "recall_at_100": 0.95, "mrr_at_10": 0.6}


def store_fake_scifact_run(manifest_model: dict | None = None) -> None:
    """A stored run with known scores (the IO under test does not care how they were made)."""
    now = datetime.now(UTC)
    task = get_task("beir/scifact")
    manifest = {"config_sha256": "x", "total_s": 12.5, **({"model": manifest_model} if manifest_model else {})}
    outcome = RunOutcome(
        model=CONFIG.name, task=task.id, scores={m: MetricResult(v, {"1": v}) for m, v in SCORES.items()},
        manifest=manifest, started_at=now, finished_at=now, metric_spec=task.metric_spec,
    )  # fmt: skip
    with session_factory(make_engine())() as session:
        record_run(session, CONFIG, task, outcome, is_reference=False)


def test_task_name_mapping_round_trips():
    for ours in [
        "beir/scifact",
        "beir/cqadupstack-gis",
        "beir/webis-touche2020",
        "sts/stsb",
        "sts/sick-r",
        "tatoeba/deu-eng",
        "aro/coco-order",
    ]:
        assert our_task_id(*mteb_name(ours)) == ours


def test_export_loads_with_mteb_and_import_gives_the_numbers_back(tmp_path, monkeypatch):
    store_fake_scifact_run()
    out = tmp_path / "results"
    result = CliRunner().invoke(main, ["export", "--format", "mteb", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    path = out / "org__tiny-hub-model" / ("a" * 40) / "SciFact.json"
    loaded = TaskResult.from_disk(path)
    assert loaded.task_name == "SciFact"
    assert loaded.get_score() == pytest.approx(SCORES["ndcg_at_10"], abs=1e-6)
    assert (path.parent / "model_meta.json").is_file()

    monkeypatch.setenv("LEADERBOARD_DB", f"sqlite:///{tmp_path / 'other.db'}")
    with session_factory(make_engine())() as session, session.begin():
        from leaderboard.store import upsert_model

        upsert_model(session, CONFIG, is_reference=False)
    imported = CliRunner().invoke(main, ["import", "--format", "mteb", str(out)], catch_exceptions=False)
    assert imported.exit_code == 0, imported.output
    with session_factory(make_engine())() as session:
        reported = {
            r.metric: r for r in session.scalars(select(schema.ReportedScore).where(schema.ReportedScore.task_id == "beir/scifact"))
        }
    assert reported["ndcg_at_10"].value == pytest.approx(SCORES["ndcg_at_10"], abs=1e-6)
    assert "a" * 40 in reported["ndcg_at_10"].source and reported["ndcg_at_10"].origin == "import"


def test_model_meta_gives_the_max_length_the_run_resolved_not_the_raw_config(tmp_path):
    """The config leaves max_length out (the model's files say 256): MTEB's max_tokens is 256, from the run manifest."""
    import json

    assert CONFIG.max_length is None
    store_fake_scifact_run({"backend": "dense", "max_length": 256, "settings_origin": {"max_length": "sentence-transformers files"}})
    out = tmp_path / "results"
    assert CliRunner().invoke(main, ["export", "--format", "mteb", str(out)], catch_exceptions=False).exit_code == 0
    meta = json.loads((out / "org__tiny-hub-model" / ("a" * 40) / "model_meta.json").read_text())
    assert meta["max_tokens"] == 256


def test_import_of_unknown_models_is_one_line(tmp_path):
    (tmp_path / "nobody__model" / "rev").mkdir(parents=True)
    (tmp_path / "nobody__model" / "rev" / "SciFact.json").write_text("{}")
    result = CliRunner().invoke(main, ["import", "--format", "mteb", str(tmp_path)])
    assert result.exit_code == 1 and "no result folder matches a model" in result.output


def test_import_leaves_out_numbers_the_config_schema_would_refuse(tmp_path, monkeypatch):
    """A result file is input like a config: NaN, Infinity or a percentage never becomes a reported number."""
    import json

    store_fake_scifact_run()
    out = tmp_path / "results"
    assert CliRunner().invoke(main, ["export", "--format", "mteb", str(out)], catch_exceptions=False).exit_code == 0
    path = out / "org__tiny-hub-model" / ("a" * 40) / "SciFact.json"
    data = json.loads(path.read_text())
    entry = data["scores"]["test"][0]
    entry["ndcg_at_10"], entry["recall_at_100"], entry["mrr_at_10"] = float("nan"), float("inf"), 60.0
    path.write_text(json.dumps(data))  # json writes NaN and Infinity, as a careless producer would
    monkeypatch.setenv("LEADERBOARD_DB", f"sqlite:///{tmp_path / 'other.db'}")
    with session_factory(make_engine())() as session, session.begin():
        from leaderboard.store import upsert_model

        upsert_model(session, CONFIG, is_reference=False)
    imported = CliRunner().invoke(main, ["import", "--format", "mteb", str(out)])
    assert imported.exit_code == 0, imported.output
    with session_factory(make_engine())() as session:
        model = session.scalar(select(schema.Model).where(schema.Model.name == CONFIG.name))
        stored = session.scalars(select(schema.ReportedScore).where(schema.ReportedScore.model_id == model.id))
        metrics = {r.metric for r in stored}
    assert metrics == set()  # the three numbers of the file, all refused
