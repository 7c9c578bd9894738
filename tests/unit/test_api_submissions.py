"""POST/GET /api/v1/submissions: the JSON way in, its refusals, and a full run through a worker."""

from __future__ import annotations

import io
import json
from datetime import datetime

import pytest
from sqlalchemy import func, select

from leaderboard import schema
from leaderboard.db import make_engine, session_factory
from leaderboard.tokens import create_token
from tests.tiny_models import make_tiny_st_model
from web import create_app

REVISION = "a" * 40


@pytest.fixture
def weights_root(tmp_path, monkeypatch):
    root = tmp_path / "weights-root"
    make_tiny_st_model(root / "tiny")
    monkeypatch.setenv("LEADERBOARD_WEIGHT_ROOTS", str(root))
    return root


@pytest.fixture
def client():
    return create_app().test_client()


def make_token(name: str, *, admin: bool = False) -> str:
    with session_factory(make_engine())() as session, session.begin():
        return create_token(session, name, admin=admin)


@pytest.fixture
def token() -> str:
    return make_token("alice")


def auth(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def hub_config(name: str = "api-model", org: str = "sentence-transformers", extra: str = "") -> str:
    return f"name: {name}\nfamily: [dense]\nbackend: dense\nweights: {{hf: {org}/m, revision: {REVISION}}}\n{extra}"


def local_config(weights_root, name: str = "community-tiny") -> str:
    return f"name: {name}\nfamily: [dense]\nbackend: dense\nweights: {{path: {weights_root / 'tiny'}}}\n"


def rows() -> tuple[int, int]:
    with session_factory(make_engine())() as session:
        return (
            session.scalar(select(func.count()).select_from(schema.Submission)),
            session.scalar(select(func.count()).select_from(schema.Model)),
        )


def post(client, body, secret: str | None):
    return client.post("/api/v1/submissions", json=body, headers=auth(secret) if secret else {})


def test_api_submission_runs_and_is_published(tiny_task, weights_root, client, token):
    from leaderboard.worker import Worker

    created = post(client, {"config_yaml": local_config(weights_root), "tasks": "beir/tiny"}, token)
    assert created.status_code == 201, created.json
    body = created.json
    assert {"id", "state", "status_url", "model", "tasks", "needs_review", "review_reason"} <= set(body)
    assert (body["state"], body["model"], body["tasks"], body["needs_review"]) == ("queued", "community-tiny", ["beir/tiny"], False)
    assert body["status_url"].endswith(f"/submissions/{body['id']}")
    assert created.headers["Location"] == f"/api/v1/submissions/{body['id']}"
    assert client.get("/api/v1/benchmarks/beir").json["rows"] == []  # nothing on the board before the run

    assert Worker("test-worker", poll_s=0.1, heartbeat_s=0.2).run_one() is True

    status = client.get(f"/api/v1/submissions/{body['id']}").json
    assert status["state"] == "published" and status["error"] == ""
    assert [step["state"] for step in status["history"]] == ["received", "queued", "running", "done", "published"]
    moments = [datetime.fromisoformat(step["at"]) for step in status["history"]]
    assert moments == sorted(moments)
    assert len(status["run_ids"]) == 1 and "community-tiny" in status["log_tail"]
    assert status["model_url"].endswith("/models/community-tiny")

    board = client.get("/api/v1/benchmarks/beir").json
    row = next(r for r in board["rows"] if r["model"] == "community-tiny")
    run = client.get(f"/api/v1/runs/{status['run_ids'][0]}").json
    main = next(s["value"] for s in run["scores"] if s["metric"] == "ndcg_at_10" and s["variant"] == "")
    assert row["reference"] is False and row["scores"]["beir/tiny"] == main and 0.0 <= main <= 1.0
    page = client.get("/benchmarks/beir").get_data(as_text=True)
    assert 'data-model="community-tiny"' in page and "community · alice" in page
    assert "published" in client.get(f"/submissions/{body['id']}").get_data(as_text=True)


def test_review_policy_and_admin_actions(tiny_task, weights_root, client, token, monkeypatch):
    monkeypatch.setenv("LEADERBOARD_SUBMISSION_POLICY", "review")
    admin = make_token("root", admin=True)
    first = post(client, {"config_yaml": local_config(weights_root, "m1"), "tasks": ["beir/tiny"]}, token).json
    second = post(client, {"config_yaml": local_config(weights_root, "m2"), "tasks": "beir/tiny"}, token).json
    assert first["state"] == "received" and first["needs_review"] and "reviews every submission" in first["review_reason"]

    assert client.post(f"/api/v1/submissions/{first['id']}/approve", headers=auth(token)).status_code == 403
    assert client.post(f"/api/v1/submissions/{first['id']}/approve").status_code == 401
    approved = client.post(f"/api/v1/submissions/{first['id']}/approve", headers=auth(admin))
    assert approved.status_code == 200 and approved.json["state"] == "queued"
    assert client.post(f"/api/v1/submissions/{second['id']}/reject", headers=auth(admin)).json["state"] == "rejected"
    again = client.post(f"/api/v1/submissions/{second['id']}/approve", headers=auth(admin))
    assert again.status_code == 409 and "only received submissions" in again.json["error"]
    early = client.post(f"/api/v1/submissions/{first['id']}/publish", headers=auth(admin))
    assert early.status_code == 409 and "only done submissions" in early.json["error"]
    assert client.post("/api/v1/submissions/999/approve", headers=auth(admin)).status_code == 404
    assert client.post(f"/api/v1/submissions/{first['id']}/delete", headers=auth(admin)).status_code == 404


def test_invalid_config_gives_400_with_each_problem(client, token, tiny_task):
    before = rows()
    bad = "name: bad\nfamily: [dense, magic]\nbackend: dense\nweights: {hf: org/m, revision: main}\npooling: max\ncolour: blue\n"
    response = post(client, {"config_yaml": bad, "tasks": "beir/tiny"}, token)
    assert response.status_code == 400 and response.is_json
    fields = {p["field"] for p in response.json["problems"]}
    assert {"family.1", "pooling", "colour"} <= fields
    assert all(p["message"] for p in response.json["problems"])
    assert "colour" in response.json["error"] and rows() == before
    unknown_task = post(client, {"config_yaml": hub_config(), "tasks": "beir/nope"}, token)
    assert unknown_task.status_code == 400
    assert unknown_task.json["problems"] == [{"field": "tasks", "message": unknown_task.json["problems"][0]["message"]}]
    assert "beir/nope" in unknown_task.json["problems"][0]["message"] and rows() == before


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer lb_wrong"}, {"Authorization": "Bearer "}, {"Authorization": "Basic YTpi"}, {"Authorization": "lb_x"}],
    ids=["missing", "wrong", "empty", "basic", "no-scheme"],
)
def test_missing_or_wrong_token_is_401_and_writes_nothing(client, token, tiny_task, headers):
    response = client.post("/api/v1/submissions", json={"config_yaml": hub_config(), "tasks": "beir/tiny"}, headers=headers)
    assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.json["problems"][0]["field"] == "token" and "token" in response.json["error"]
    assert rows() == (0, 0)


def test_revoked_token_is_refused(client, token, tiny_task):
    with session_factory(make_engine())() as session, session.begin():
        session.scalar(select(schema.ApiToken).where(schema.ApiToken.name == "alice")).revoked = True
    response = post(client, {"config_yaml": hub_config(), "tasks": "beir/tiny"}, token)
    assert response.status_code == 401 and "revoked" in response.json["error"] and rows() == (0, 0)


def test_rate_limit_is_429(client, token, tiny_task, monkeypatch):
    monkeypatch.setenv("LEADERBOARD_RATE_LIMIT_PER_HOUR", "2")
    codes = [post(client, {"config_yaml": hub_config(f"m{n}"), "tasks": "beir/tiny"}, token).status_code for n in range(3)]
    assert codes == [201, 201, 429]
    refused = post(client, {"config_yaml": hub_config("m9"), "tasks": "beir/tiny"}, token)
    assert refused.json["error"].startswith("rate limit") and rows()[0] == 2


def test_a_name_taken_by_someone_else_is_409(client, token, tiny_task):
    assert post(client, {"config_yaml": hub_config("shared-name"), "tasks": "beir/tiny"}, token).status_code == 201
    other = make_token("mallory")
    response = post(client, {"config_yaml": hub_config("shared-name"), "tasks": "beir/tiny"}, other)
    assert response.status_code == 409 and response.json["problems"][0]["field"] == "name" and rows()[0] == 1


HOSTILE = {
    "trust_remote_code": (hub_config("hostile", extra="trust_remote_code: true\n"), "trust_remote_code"),
    "path traversal": ("name: hostile\nfamily: [dense]\nbackend: dense\nweights: {path: ../../etc}\n", "weights.path"),
    "absolute path outside the roots": ("name: hostile\nfamily: [dense]\nbackend: dense\nweights: {path: /etc}\n", "weights.path"),
    "yaml bomb": ("a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n", "aliases"),
    "huge yaml": (hub_config("hostile", extra="description: " + "x" * 70_000 + "\n"), "at most"),
    "python tag": ("!!python/object/apply:os.system ['id']\n", "could not determine a constructor"),
    "html in the name": (hub_config("<script>alert(1)</script>"), "name"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_configs_are_refused(client, token, tiny_task, weights_root, case):
    text, fragment = HOSTILE[case]
    response = post(client, {"config_yaml": text, "tasks": "beir/tiny"}, token)
    assert response.status_code == 400 and response.is_json
    assert fragment in response.json["error"] or any(fragment in p["field"] for p in response.json["problems"])
    assert "Traceback" not in response.get_data(as_text=True)
    assert rows() == (0, 0)


def test_bad_bodies_get_clear_400s(client, token, tiny_task):
    cases = [
        (dict(data=b"not json", content_type="application/json"), "JSON object"),
        (dict(json=["config_yaml"]), "JSON object"),
        (dict(json={"config_yaml": 5, "tasks": "beir/tiny"}), "config_yaml: must be a string"),
        (dict(json={"config_yaml": hub_config(), "tasks": [1, 2]}), "tasks: must be a string"),
        (dict(json={"config_yaml": hub_config(), "tasks": "beir/tiny", "token": "x"}), "unknown fields: 'token'"),
        (dict(json={"tasks": "beir/tiny"}), "config_yaml: missing"),
        (dict(data='{"config_yaml": "name: \\ud800", "tasks": ""}', content_type="application/json"), "not valid Unicode"),
        (dict(data=b"\xff\xfe\x00garbage", content_type="application/octet-stream"), "JSON object"),
        (dict(json={"config_yaml": hub_config(), "tasks": ""}), "at least one task"),
    ]
    for kwargs, fragment in cases:
        response = client.post("/api/v1/submissions", headers=auth(token), **kwargs)
        assert response.status_code == 400, (kwargs, response.get_data(as_text=True))
        assert fragment in response.json["error"] + json.dumps(response.json["problems"]), (fragment, response.json)
    huge = client.post("/api/v1/submissions", headers=auth(token), data=b"x" * (2 * 1024 * 1024), content_type="application/json")
    assert huge.status_code == 413 and "64 KiB" in huge.json["error"]
    assert rows() == (0, 0)


def test_form_encoded_and_multipart_bodies(client, token, tiny_task):
    form = client.post("/api/v1/submissions", headers=auth(token), data={"config_yaml": hub_config("form-model"), "tasks": "beir/tiny"})
    assert form.status_code == 201 and form.json["model"] == "form-model"
    upload = client.post(
        "/api/v1/submissions",
        headers=auth(token),
        data={"config_file": (io.BytesIO(hub_config("file-model").encode()), "m.yaml"), "tasks": "beir/tiny"},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 201 and upload.json["model"] == "file-model"


def test_status_and_lists(client, token, tiny_task):
    other = make_token("bob")
    mine = post(client, {"config_yaml": hub_config("alice-model"), "tasks": "beir/tiny"}, token).json
    post(client, {"config_yaml": hub_config("bob-model"), "tasks": "beir/tiny"}, other)
    status = client.get(f"/api/v1/submissions/{mine['id']}").json
    assert {"state", "history", "error", "log_tail", "run_ids", "config_yaml", "attempts"} <= set(status)
    assert status["config_yaml"] == hub_config("alice-model") and status["run_ids"] == []
    from leaderboard.next_step import next_step_of
    from leaderboard.submissions import find_submission

    with session_factory(make_engine())() as session:  # the API says what happens next in the status page's words
        assert status["next"] == next_step_of(find_submission(session, mine["id"])) and status["next"]
    missing = client.get("/api/v1/submissions/999")
    assert missing.status_code == 404 and missing.is_json

    own = client.get("/api/v1/submissions?mine", headers=auth(token)).json
    assert [s["model"] for s in own["submissions"]] == ["alice-model"] and own["total"] == 1
    assert client.get("/api/v1/submissions?mine").status_code == 401
    assert client.get("/api/v1/submissions?mine", headers=auth("lb_nope")).status_code == 401
    everyone = client.get("/api/v1/submissions?limit=1").json
    assert everyone["total"] == 2 and [s["model"] for s in everyone["submissions"]] == ["bob-model"]
    assert [s["model"] for s in client.get(everyone["next"]).json["submissions"]] == ["alice-model"]
    assert client.get("/api/v1/submissions?state=queued").json["total"] == 2
    assert client.get("/api/v1/submissions?limit=x").status_code == 400
    index = client.get("/api/v1/").json["endpoints"]
    assert index["submissions"] == "/api/v1/submissions"


def test_json_api_needs_no_csrf_but_cookies_alone_do_not_authenticate(client, token, tiny_task):
    """A browser session that remembers a token must not let a cross-site request use the API."""
    page = client.get("/submit").get_data(as_text=True)
    csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
    signed_in = client.post("/submissions/token", data={"csrf_token": csrf, "token": token})
    assert signed_in.status_code == 303
    response = client.post("/api/v1/submissions", json={"config_yaml": hub_config(), "tasks": "beir/tiny"})
    assert response.status_code == 401 and rows() == (0, 0)


@pytest.fixture
def live_server():
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, create_app(), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


def test_the_cli_submits_through_this_api(live_server, token, tiny_task, tmp_path):
    """``leaderboard submit --server URL --token T`` speaks this API: its reply and its refusals."""
    from click.testing import CliRunner

    from leaderboard.cli import main

    path = tmp_path / "model.yaml"
    path.write_text(hub_config("cli-remote"))
    ok = CliRunner().invoke(main, ["submit", str(path), "--tasks", "beir/tiny", "--server", live_server, "--token", token])
    assert ok.exit_code == 0, ok.output
    assert ok.output.splitlines()[0] == "submission #1 queued" and f"status: {live_server}/submissions/1" in ok.output
    path.write_text(hub_config("cli-bad", extra="pooling: max\n"))
    bad = CliRunner().invoke(main, ["submit", str(path), "--tasks", "beir/tiny", "--server", live_server, "--token", token])
    assert bad.exit_code == 1 and "(pooling: Input should be" in bad.output and "Traceback" not in bad.output
    wrong = CliRunner().invoke(main, ["submit", str(path), "--tasks", "beir/tiny", "--server", live_server, "--token", "lb_x"])
    assert wrong.exit_code == 1 and "unknown or revoked token" in wrong.output
    assert rows()[0] == 1
