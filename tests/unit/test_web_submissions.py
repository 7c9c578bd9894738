"""The submit form, status pages, lists, admin review and the community/reference badges (Flask test client)."""

from __future__ import annotations

import io
import os
import re

import pytest
from sqlalchemy import func, select

from leaderboard import schema
from leaderboard.db import make_engine, session_factory
from leaderboard.tokens import create_token
from web import create_app

REVISION = "b" * 40


@pytest.fixture
def seeded():
    """The browser tests' fixture board (copied in before the app opens the database)."""
    from tests.browser.seeding import seeded_copy

    return seeded_copy(os.environ["LEADERBOARD_DB"])


@pytest.fixture
def client():
    return create_app().test_client()


def make_token(name: str, *, admin: bool = False) -> str:
    with session_factory(make_engine())() as session, session.begin():
        return create_token(session, name, admin=admin)


@pytest.fixture
def token() -> str:
    return make_token("alice")


def config(name: str = "web-model", extra: str = "", org: str = "sentence-transformers") -> str:
    return f"name: {name}\nfamily: [dense]\nbackend: dense\nweights: {{hf: {org}/m, revision: {REVISION}}}\n{extra}"


def csrf_of(client, path: str = "/submit") -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def submit(client, *, token: str | None = "", csrf: str | None = None, **fields):
    data = {"csrf_token": csrf if csrf is not None else csrf_of(client), "tasks": "beir/tiny", **fields}
    if token:
        data["token"] = token
    return client.post("/submit", data=data, content_type="multipart/form-data")


def count(table=schema.Submission) -> int:
    with session_factory(make_engine())() as session:
        return session.scalar(select(func.count()).select_from(table))


def errors(page: str, which: str) -> str:
    found = re.search(rf'<ul class="field-errors" id="errors-{which}"[^>]*>(.*?)</ul>', page, re.S)
    return found.group(1) if found else ""


def test_form_page_has_every_input_and_a_csrf_token(client):
    page = client.get("/submit").get_data(as_text=True)
    for needle in ('name="config_yaml"', 'name="config_file"', 'name="tasks"', 'name="token"', 'name="csrf_token"'):
        assert needle in page
    assert 'enctype="multipart/form-data"' in page and "<script>" not in page.split("</head>")[1]
    assert 'href="/submit"' in client.get("/about").get_data(as_text=True)  # the nav link
    assert client.get("/submit").headers["Content-Security-Policy"].startswith("default-src 'self'")


def test_a_valid_form_redirects_to_the_status_page(client, token, tiny_task):
    response = submit(client, token=token, config_yaml=config(extra="description: '<b>bold</b> & more'\n"))
    assert response.status_code == 303 and response.headers["Location"] == "/submissions/1"
    page = client.get("/submissions/1").get_data(as_text=True)
    assert "Submission #1 received" in page  # the flash message
    assert 'data-state="queued"' in page and "Waiting for a worker" in page
    history = re.search(r'<table class="kv" id="history">(.*?)</table>', page, re.S).group(1)
    assert re.findall(r'<tr data-state="(\w+)"><th>(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC)</th>', history)[0][0] == "received"
    assert len(re.findall(r"<tr data-state=", history)) == 2
    config_block = re.search(r'<pre id="config">(.*?)</pre>', page, re.S).group(1)
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; more" in config_block and "<b>" not in config_block
    with session_factory(make_engine())() as session:
        sub = session.get(schema.Submission, 1)
        assert (sub.submitter, sub.state, sub.tasks) == ("alice", "queued", ["beir/tiny"])


def test_the_token_is_remembered_as_its_hash_and_can_be_forgotten(client, token, tiny_task):
    assert submit(client, token=token, config_yaml=config("first"), remember="1").status_code == 303
    with client.session_transaction() as session:
        assert token not in str(dict(session)) and len(session["token_sha256"]) == 64
    page = client.get("/submit").get_data(as_text=True)
    assert 'id="remembered"' in page and "alice" in page
    assert submit(client, config_yaml=config("second")).status_code == 303  # no token typed: the remembered one
    mine = client.get("/submissions?mine").get_data(as_text=True)
    assert "first" in mine and "second" in mine
    assert client.post("/submissions/forget", data={"csrf_token": csrf_of(client)}).status_code == 303
    again = submit(client, config_yaml=config("third"))
    assert again.status_code == 401 and "a token is required" in errors(again.get_data(as_text=True), "token")
    assert count() == 2


def test_not_remembered_unless_asked(client, token, tiny_task):
    assert submit(client, token=token, config_yaml=config("once")).status_code == 303
    with client.session_transaction() as session:
        assert "token_sha256" not in session


def test_a_valid_token_is_remembered_even_when_the_config_is_refused(client, token, tiny_task):
    refused = submit(client, token=token, config_yaml=config("bad", extra="pooling: max\n"), remember="1")
    assert refused.status_code == 400 and 'id="remembered"' in refused.get_data(as_text=True)
    assert submit(client, config_yaml=config("fixed")).status_code == 303  # no need to paste the token again
    wrong = create_app().test_client()
    submit(wrong, token="lb_wrong", config_yaml=config("x"), remember="1")
    with wrong.session_transaction() as session:
        assert "token_sha256" not in session


def test_errors_are_shown_next_to_their_input_and_escaped(client, token, tiny_task):
    hostile_yaml = config("ok-name", extra="pooling: max\ncolour: '</textarea><script>alert(1)</script>'\n")
    response = submit(client, token=token, config_yaml=hostile_yaml, tasks="beir/<img src=x onerror=alert(1)>")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    config_errors = errors(page, "config")
    assert "<code>pooling</code>" in config_errors and "<code>colour</code>" in config_errors and "unknown key" in config_errors
    assert "<script>alert(1)" not in page and "</textarea><script>" not in page
    assert "&lt;/textarea&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page  # the input comes back, escaped
    tasks = submit(client, token=token, config_yaml=config(), tasks="beir/<img src=x onerror=alert(1)>")
    task_errors = errors(tasks.get_data(as_text=True), "tasks")
    assert "unknown task ids: beir/&lt;img src=x onerror=alert(1)&gt;" in task_errors
    assert "<img src=x" not in tasks.get_data(as_text=True)
    token_error = submit(client, token="lb_wrong", config_yaml=config())
    assert token_error.status_code == 401 and "unknown or revoked token" in errors(token_error.get_data(as_text=True), "token")
    empty = submit(client, token=token, config_yaml="   ")
    assert empty.status_code == 400 and "paste a model config" in errors(empty.get_data(as_text=True), "config")
    assert count() == 0


HOSTILE = {
    "trust_remote_code": (config("hostile", extra="trust_remote_code: true\n"), "trust_remote_code"),
    "path traversal": ("name: hostile\nfamily: [dense]\nbackend: dense\nweights: {path: ../../../etc/passwd}\n", "weights.path"),
    "yaml bomb": ("a: &a [x, x, x]\nb: &b [*a, *a, *a]\nc: [*b, *b, *b]\n", "aliases"),
    "huge yaml": (config("hostile", extra="description: " + "x" * 70_000 + "\n"), "at most 65,536"),
    "html in the model name": (config("<script>alert(1)</script>"), "<code>name</code>"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_configs_through_the_form(client, token, tiny_task, case):
    text, fragment = HOSTILE[case]
    response = submit(client, token=token, config_yaml=text)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and fragment in errors(page, "config")
    assert "<script>alert(1)</script>" not in page and "Traceback" not in page
    assert count() == 0 and count(schema.Model) == 0


def test_upload_a_file(client, token, tiny_task):
    upload = (io.BytesIO(config("uploaded").encode()), "model.yaml")
    response = submit(client, token=token, config_file=upload, config_yaml="ignored: when a file is chosen")
    assert response.status_code == 303
    latin1 = (io.BytesIO("name: caf\xe9\n".encode("latin-1")), "model.yaml")
    refused = submit(client, token=token, config_file=latin1)
    assert refused.status_code == 400 and "not UTF-8 text" in errors(refused.get_data(as_text=True), "config")
    big = (io.BytesIO(b"#" * 70_000), "big.yaml")
    assert "larger than 65,536 bytes" in errors(submit(client, token=token, config_file=big).get_data(as_text=True), "config")
    assert count() == 1


def test_a_replayed_form_without_its_csrf_token_is_refused(client, token, tiny_task, monkeypatch):
    fields = {"config_yaml": config(), "tasks": "beir/tiny", "token": token}
    assert client.post("/submit", data=fields).status_code == 400  # no token at all
    assert client.post("/submit", data={**fields, "csrf_token": "forged"}).status_code == 400
    other = create_app().test_client()
    stolen = csrf_of(other)  # valid, but for another browser's session
    refused = client.post("/submit", data={**fields, "csrf_token": stolen})
    assert refused.status_code == 400 and "CSRF" in refused.get_data(as_text=True)
    fresh = csrf_of(client)
    monkeypatch.setenv("LEADERBOARD_CSRF_MAX_AGE_S", "-1")  # every token has expired
    assert client.post("/submit", data={**fields, "csrf_token": fresh}).status_code == 400
    monkeypatch.delenv("LEADERBOARD_CSRF_MAX_AGE_S")
    assert count() == 0
    assert client.post("/submit", data={**fields, "csrf_token": fresh}).status_code == 303  # the real form still works
    assert count() == 1


def test_the_rate_limit_and_name_clash_through_the_form(client, token, tiny_task, monkeypatch):
    monkeypatch.setenv("LEADERBOARD_RATE_LIMIT_PER_HOUR", "1")
    assert submit(client, token=token, config_yaml=config("one")).status_code == 303
    limited = submit(client, token=token, config_yaml=config("two"))
    assert limited.status_code == 429 and "rate limit" in errors(limited.get_data(as_text=True), "token")
    clash = submit(client, token=make_token("bob"), config_yaml=config("one"))
    assert clash.status_code == 409 and "already on the board" in errors(clash.get_data(as_text=True), "config")
    assert count() == 1


def test_a_failed_run_is_explained_in_plain_words(client, token, tiny_task):
    from leaderboard.submissions import claim_next, fail_attempt

    assert submit(client, token=token, config_yaml=config()).status_code == 303
    make_session = session_factory(make_engine())
    with make_session() as session:
        submission_id, claim = claim_next(session, "w1")
    with make_session() as session:
        reason = "weights: cannot download org/m at bbbb (offline)"
        fail_attempt(session, submission_id, claim, reason, "12:00:01 INFO line 1\n12:00:02 INFO <b>line 2</b>", retry=False)
    page = client.get(f"/submissions/{submission_id}").get_data(as_text=True)
    failure = re.search(r'<div class="form-errors" id="failure"[^>]*>(.*?)</div>', page, re.S).group(1)
    assert "Why it failed:</strong> weights: cannot download org/m at bbbb (offline)" in failure
    assert "Nothing was written to the board" in failure
    assert '<pre id="log-tail">12:00:01 INFO line 1\n12:00:02 INFO &lt;b&gt;line 2&lt;/b&gt;</pre>' in page
    assert 'data-state="failed"' in page
    assert client.get("/submissions/999").status_code == 404


def test_lists_of_submissions(client, token, tiny_task):
    submit(client, token=token, config_yaml=config("alice-model"))
    bob = create_app().test_client()
    submit(bob, token=make_token("bob"), config_yaml=config("bob-model"))
    everyone = client.get("/submissions").get_data(as_text=True)
    assert "alice-model" in everyone and "bob-model" in everyone
    assert 'id="need-token"' in client.get("/submissions?mine").get_data(as_text=True)  # no token remembered yet
    signed_in = client.post("/submissions/token", data={"csrf_token": csrf_of(client), "token": token})
    assert signed_in.status_code == 303 and signed_in.headers["Location"] == "/submissions?mine=1"
    mine = client.get("/submissions?mine").get_data(as_text=True)
    assert "alice-model" in mine and "bob-model" not in mine
    assert "bob-model" in client.get("/submissions?state=queued").get_data(as_text=True)
    assert 'id="empty"' in client.get("/submissions?state=failed").get_data(as_text=True)
    wrong = client.post("/submissions/token", data={"csrf_token": csrf_of(client), "token": "lb_nope"}, follow_redirects=True)
    assert "unknown or revoked token" in wrong.get_data(as_text=True)


def test_admin_reviews_with_csrf(client, token, tiny_task, monkeypatch):
    monkeypatch.setenv("LEADERBOARD_SUBMISSION_POLICY", "review")
    submit(client, token=token, config_yaml=config("needs-review"))
    submit(client, token=token, config_yaml=config("to-reject"))
    assert 'id="need-token"' in client.get("/submissions/admin").get_data(as_text=True)
    client.post("/submissions/token", data={"csrf_token": csrf_of(client), "token": token, "next": "admin"})
    assert client.get("/submissions/admin").status_code == 403  # alice is no admin
    refused = client.post("/submissions/1/review", data={"csrf_token": csrf_of(client), "action": "approve"})
    assert refused.status_code == 403

    admin = create_app().test_client()
    admin.post("/submissions/token", data={"csrf_token": csrf_of(admin), "token": make_token("root", admin=True), "next": "admin"})
    page = admin.get("/submissions/admin").get_data(as_text=True)
    waiting = re.search(r'<table class="board" id="waiting">(.*?)</table>', page, re.S).group(1)
    assert "needs-review" in waiting and "to-reject" in waiting and "reviews every submission" in waiting
    assert admin.post("/submissions/1/review", data={"action": "approve"}).status_code == 400  # no CSRF token
    assert admin.post("/submissions/1/review", data={"action": "approve", "csrf_token": csrf_of(client)}).status_code == 400
    with session_factory(make_engine())() as session:
        assert session.get(schema.Submission, 1).state == "received"
    approved = admin.post("/submissions/1/review", data={"action": "approve", "csrf_token": csrf_of(admin)}, follow_redirects=True)
    assert "Submission #1 is now queued" in approved.get_data(as_text=True)
    admin.post("/submissions/2/review", data={"action": "reject", "csrf_token": csrf_of(admin), "back": "status"})
    twice = admin.post("/submissions/2/review", data={"action": "approve", "csrf_token": csrf_of(admin)}, follow_redirects=True)
    assert "only received submissions can be reviewed" in twice.get_data(as_text=True)
    assert admin.post("/submissions/2/review", data={"action": "delete", "csrf_token": csrf_of(admin)}).status_code == 400
    with session_factory(make_engine())() as session:
        assert [s.state for s in session.scalars(select(schema.Submission).order_by(schema.Submission.id))] == ["queued", "rejected"]
        history = session.get(schema.Submission, 2).history
        assert history[-1]["state"] == "rejected" and "root" in history[-1]["note"]
    status = admin.get("/submissions/2").get_data(as_text=True)
    assert 'id="admin-actions"' not in status and "An admin rejected this submission" in status


def test_admin_publishes_a_finished_submission(seeded, client, tiny_task):
    """A done submission (auto-publish off) stays off the board until an admin publishes it."""
    from leaderboard.submissions import move_state

    admin_token = make_token("root", admin=True)
    submit(client, token=admin_token, config_yaml=config("late-model"), remember="1")
    with session_factory(make_engine())() as session, session.begin():
        sub = session.get(schema.Submission, 1)
        model = session.scalar(select(schema.Model).where(schema.Model.name == "community-e5-small"))
        sub.model_name, model.published, model.submitter = "community-e5-small", False, "root"
        move_state(sub, "done", "runs stored")
    assert 'data-model="community-e5-small"' not in client.get("/benchmarks/beir").get_data(as_text=True)
    page = client.get("/submissions/1").get_data(as_text=True)
    assert 'data-action="publish"' in page
    published = client.post("/submissions/1/review", data={"action": "publish", "csrf_token": csrf_of(client), "back": "status"})
    assert published.headers["Location"] == "/submissions/1"
    status = client.get("/submissions/1").get_data(as_text=True)
    assert 'data-state="published"' in status and 'href="/models/community-e5-small" id="model-link"' in status
    board = client.get("/benchmarks/beir").get_data(as_text=True)
    assert 'data-model="community-e5-small"' in board


def test_badges_for_community_and_reference_models(seeded, client, tiny_task):
    with session_factory(make_engine())() as session, session.begin():
        model = session.scalar(select(schema.Model).where(schema.Model.name == "community-e5-small"))
        model.submitter = "<i>eve</i>"
        reference = session.scalar(select(schema.Model).where(schema.Model.name == "bm25s-flat"))
        assert reference.is_reference and not model.is_reference
    board = client.get("/benchmarks/beir").get_data(as_text=True)
    row = re.search(r'<tr data-model="community-e5-small">.*?</tr>', board, re.S).group(0)
    assert '<span class="badge community" title="submitted by &lt;i&gt;eve&lt;/i&gt;">community · &lt;i&gt;eve&lt;/i&gt;</span>' in row
    ref_row = re.search(r'<tr data-model="bm25s-flat">.*?</tr>', board, re.S).group(0)
    assert '<span class="badge ref"' in ref_row and ">reference</span>" in ref_row
    model_page = client.get("/models/community-e5-small").get_data(as_text=True)
    assert "community · &lt;i&gt;eve&lt;/i&gt;" in model_page
    assert 'submitted by <span id="submitter">&lt;i&gt;eve&lt;/i&gt;</span>' in model_page
    assert "<i>eve</i>" not in board + model_page
    assert ">reference</span>" in client.get("/models/bm25s-flat").get_data(as_text=True)
    models = client.get("/models/").get_data(as_text=True)
    assert models.count('class="badge community"') == sum(1 for c in seeded.configs if c not in _references(seeded))
    home = client.get("/").get_data(as_text=True)
    assert "community · &lt;i&gt;eve&lt;/i&gt;" in home
    task = client.get("/tasks/beir/scifact").get_data(as_text=True)
    assert "community · &lt;i&gt;eve&lt;/i&gt;" in task


def _references(seeded) -> set[str]:
    with session_factory(make_engine())() as session:
        return set(session.scalars(select(schema.Model.name).where(schema.Model.is_reference.is_(True))))
