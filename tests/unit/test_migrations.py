"""Alembic owns the schema: 0001 (first release) → head keeps data and equals the models."""

from __future__ import annotations

import json

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from common.errors import UserError
from leaderboard.cli import main
from leaderboard.db import make_engine
from leaderboard.migrate import current_revision, head_revision, upgrade
from leaderboard.schema import Base


def schema_differences(engine) -> list:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)


def seed_first_release(engine) -> None:
    """Rows as the first release wrote them (before score variants, run kinds, …)."""
    with engine.begin() as c:
        c.execute(text(
            "INSERT INTO models (id, name, backend, families, config, config_sha256, parameters, license, open_weights,"
            " is_reference, updated_at)"
            " VALUES (1, 'bm25-flat', 'bm25', :fam, :cfg, 'abc', NULL, 'Apache-2.0', true, true, '2026-11-20 10:00:00+00:00')"
        ), {"fam": json.dumps(["sparse"]), "cfg": json.dumps({"name": "bm25-flat"})})  # fmt: skip
        c.execute(text(
            "INSERT INTO tasks (id, benchmark, dataset, split, main_score, metric_spec, license, source_url)"
            " VALUES ('beir/scifact', 'beir', 'scifact', 'test', 'ndcg_at_10', '{}', '', '')"
        ))  # fmt: skip
        c.execute(text(
            "INSERT INTO runs (id, model_id, task_id, status, started_at, finished_at, config_sha256, metric_spec, manifest)"
            " VALUES (1, 1, 'beir/scifact', 'done', '2026-11-20 10:00:00+00:00', '2026-11-20 10:01:00+00:00', 'abc', '{}', '{}')"
        ))  # fmt: skip
        c.execute(text("INSERT INTO scores (id, run_id, metric, value, per_query) VALUES (1, 1, 'ndcg_at_10', 0.6789, '{}')"))
        c.execute(text("INSERT INTO current_results (model_id, task_id, run_id) VALUES (1, 'beir/scifact', 1)"))


def check_upgrade_keeps_data(url: str) -> None:
    engine = create_engine(url)
    upgrade(engine, "0001")
    seed_first_release(engine)
    with pytest.raises(UserError, match="run 'leaderboard db upgrade'"):
        make_engine(url)  # nothing runs on an unmigrated schema
    result = CliRunner().invoke(main, ["db", "upgrade"], env={"LEADERBOARD_DB": url}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert f"schema at revision {head_revision()} (was 0001)" in result.output
    assert current_revision(engine) == head_revision()
    assert schema_differences(engine) == []
    with engine.connect() as c:
        assert c.execute(text("SELECT value, variant FROM scores")).one() == (0.6789, "")
        assert c.execute(text("SELECT kind FROM runs")).scalar_one() == "board"
        assert c.execute(text("SELECT published FROM models")).scalar_one() in (True, 1)
    exported = json.loads(CliRunner().invoke(main, ["export"], env={"LEADERBOARD_DB": url}).output)
    assert exported[0]["value"] == 0.6789 and exported[0]["current"] is True
    engine.dispose()


def test_upgrade_from_the_previous_schema_on_sqlite(tmp_path):
    check_upgrade_keeps_data(f"sqlite:///{tmp_path / 'old.db'}")


def test_upgrade_from_the_previous_schema_on_postgresql(postgres_url):
    check_upgrade_keeps_data(postgres_url)


def test_empty_postgresql_gets_the_newest_schema(postgres_url):
    result = CliRunner().invoke(main, ["db", "upgrade"], env={"LEADERBOARD_DB": postgres_url}, catch_exceptions=False)
    assert result.exit_code == 0
    engine = create_engine(postgres_url)
    assert current_revision(engine) == head_revision()
    assert schema_differences(engine) == []


def test_migrations_and_create_all_agree(tmp_path):
    migrated = create_engine(f"sqlite:///{tmp_path / 'migrated.db'}")
    upgrade(migrated)
    assert schema_differences(migrated) == []
    fresh = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    assert current_revision(fresh) == head_revision()


def test_a_first_release_database_without_alembic_is_recognised(tmp_path):
    url = f"sqlite:///{tmp_path / 'legacy.db'}"
    engine = create_engine(url)
    upgrade(engine, "0001")
    with engine.begin() as c:
        c.execute(text("DROP TABLE alembic_version"))  # as created by the first release's create_all
    seed_first_release(engine)
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM scores")).scalar_one() == 1


def check_case_variants_survive_the_upgrade(url: str) -> None:
    """A database from before 0003 may hold ``bm25s-flat`` and ``BM25S-FLAT``, and two pending submissions of one name."""
    from leaderboard.schema import name_key

    engine = create_engine(url)
    upgrade(engine, "0002")
    model = (
        "INSERT INTO models (id, name, backend, families, config, config_sha256, open_weights, is_reference, updated_at,"
        " published, submitter) VALUES (:id, :name, 'bm25', '[]', '{}', 'x', true, :ref, '2026-11-20 10:00:00+00:00', true, :who)"
    )
    submission = (
        "INSERT INTO submissions (id, model_name, config_yaml, config, tasks, state, needs_review, review_reason, submitter,"
        " created_at, updated_at, history, attempts, max_attempts, error, log_tail, run_ids)"
        " VALUES (:id, :name, '', '{}', '[]', :state, false, '', 'x', '2026-11-20 10:00:00+00:00', '2026-11-20 10:00:00+00:00',"
        " '[]', 0, 3, '', '', '[]')"
    )
    with engine.begin() as c:
        c.execute(text(model), {"id": 1, "name": "BM25S-FLAT", "ref": False, "who": "mallory"})
        c.execute(text(model), {"id": 2, "name": "bm25s-flat", "ref": True, "who": None})
        for number, (name, state) in enumerate([("dup", "queued"), ("DUP", "received"), ("Dup", "published")], start=1):
            c.execute(text(submission), {"id": number, "name": name, "state": state})
    upgrade(engine)
    assert schema_differences(engine) == []
    with engine.connect() as c:
        keys = dict(c.execute(text("SELECT name, name_key FROM models")).all())
        assert keys == {"bm25s-flat": "bm25s-flat", "BM25S-FLAT": "bm25s-flat#1"}  # the reference keeps the name
        pending = dict(c.execute(text("SELECT model_name, name_key FROM submissions")).all())
        assert pending == {"dup": "dup", "DUP": "dup#2", "Dup": "dup"}  # only pending ones must differ
        assert c.execute(text("SELECT session_generation FROM api_tokens")).all() == []
    assert name_key("BM25S-FLAT") == "bm25s-flat"
    engine.dispose()


def test_case_variants_survive_the_upgrade_on_sqlite(tmp_path):
    check_case_variants_survive_the_upgrade(f"sqlite:///{tmp_path / 'variants.db'}")


def test_case_variants_survive_the_upgrade_on_postgresql(postgres_url):
    check_case_variants_survive_the_upgrade(postgres_url)


def as_json(value):
    """A JSON column read with plain SQL: text on SQLite (spacing may differ), already decoded on PostgreSQL."""
    return json.loads(value) if isinstance(value, str) else value


def check_gold_scores_move_to_run_items(url: str) -> None:
    """Revision 0005: every ``gold_score`` row becomes the run's item data ``gold``; every other score stays as it was."""
    import numpy as np

    engine = create_engine(url)
    upgrade(engine, "0004")
    gold = {"p1": 0.2, "p2": 0.8, "p3": 0.4}
    sims = {"p1": 0.1, "p2": 0.9, "p3": 0.5}
    score = "INSERT INTO scores (run_id, metric, variant, value, per_query) VALUES (:run, :metric, :variant, :value, :pq)"
    with engine.begin() as c:
        c.execute(text(
            "INSERT INTO models (id, name, name_key, backend, families, config, config_sha256, open_weights, is_reference, updated_at,"
            " published) VALUES (1, 'minilm', 'minilm', 'dense', '[]', '{}', 'abc', true, true, '2026-11-20 10:00:00+00:00', true)"
        ))  # fmt: skip
        c.execute(text("INSERT INTO tasks (id, benchmark, dataset, split, main_score, metric_spec, license, source_url)"
                       " VALUES ('sts/sts12', 'sts', 'sts12', 'test', 'cosine_spearman', '{}', '', '')"))  # fmt: skip
        for run in (2, 3):
            c.execute(text(
                "INSERT INTO runs (id, model_id, task_id, status, started_at, finished_at, config_sha256, metric_spec, manifest, kind)"
                " VALUES (:id, 1, 'sts/sts12', 'done', '2026-11-20 10:00:00+00:00', '2026-11-20 10:01:00+00:00', 'abc', '{}', '{}',"
                " 'board')"
            ), {"id": run})  # fmt: skip
            for variant in ("", "dim=64"):
                c.execute(text(score), {"run": run, "metric": "cosine_spearman", "variant": variant, "value": 0.5, "pq": json.dumps(sims)})
                c.execute(text(score), {"run": run, "metric": "gold_score", "variant": variant, "value": 0.4666, "pq": json.dumps(gold)})
    with engine.connect() as c:
        before = sorted(tuple(r) for r in c.execute(text("SELECT run_id, metric, variant, value, per_query FROM scores")))
    upgrade(engine)
    assert schema_differences(engine) == []
    with engine.connect() as c:
        items = [(run, name, as_json(values)) for run, name, values in c.execute(text('SELECT run_id, name, "values" FROM run_items'))]
        after = sorted(tuple(r) for r in c.execute(text("SELECT run_id, metric, variant, value, per_query FROM scores")))
    assert sorted(items) == [(2, "gold", gold), (3, "gold", gold)]
    assert after == [row for row in before if row[1] != "gold_score"]  # the other scores, untouched
    exported = json.loads(CliRunner().invoke(main, ["export"], env={"LEADERBOARD_DB": url}).output)
    assert "gold_score" not in {r["metric"] for r in exported}

    from alembic import command

    from leaderboard.migrate import _config

    with engine.begin() as connection:
        command.downgrade(_config(connection), "0004")
    with engine.connect() as c:
        restored = sorted(tuple(r) for r in c.execute(text("SELECT run_id, metric, variant, value, per_query FROM scores")))
    mean = float(np.asarray(list(gold.values()), dtype=np.float64).mean())
    expected = [row for row in before if row[1] != "gold_score"]
    expected += [(run, "gold_score", variant, mean, json.dumps(gold)) for run in (2, 3) for variant in ("", "dim=64")]
    assert sorted((r, m, v, x, as_json(p)) for r, m, v, x, p in restored) == sorted((r, m, v, x, as_json(p)) for r, m, v, x, p in expected)
    engine.dispose()


def test_gold_scores_move_to_run_items_on_sqlite(tmp_path):
    check_gold_scores_move_to_run_items(f"sqlite:///{tmp_path / 'gold.db'}")


def test_gold_scores_move_to_run_items_on_postgresql(postgres_url):
    check_gold_scores_move_to_run_items(postgres_url)
