"""End to end in a real browser: submit a tiny local model through the form, a worker runs it,
the model appears on the benchmark page and its status page says "published"."""

from __future__ import annotations

import os
import threading

import pytest

from leaderboard.db import make_engine, session_factory
from leaderboard.tokens import create_token
from tests.tiny_models import make_tiny_st_model

pytestmark = pytest.mark.browser


@pytest.fixture
def weights_root(tmp_path, monkeypatch):
    root = tmp_path / "weights-root"
    make_tiny_st_model(root / "tiny")
    monkeypatch.setenv("LEADERBOARD_WEIGHT_ROOTS", str(root))
    return root


@pytest.fixture
def submit_site(tiny_task, weights_root):
    """The site over this test's own (empty) database, on a free port, in a thread of this process."""
    from werkzeug.serving import make_server

    from web import create_app

    server = make_server("127.0.0.1", 0, create_app(os.environ["LEADERBOARD_DB"]), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def page(browser):
    """Like conftest's ``page``, but the console errors are returned for the test to check: the
    refused form answers 400 on purpose, and chromium logs that status as a console error."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.console_errors = []
    page.on("pageerror", lambda error: page.console_errors.append(str(error)))
    page.on("console", lambda message: page.console_errors.append(message.text) if message.type == "error" else None)
    yield page
    context.close()


def states(page) -> list[str]:
    return page.locator("#history tr").evaluate_all("rows => rows.map(r => r.dataset.state)")


def test_browser_submission_is_run_by_a_worker_and_published(submit_site, page, weights_root, tmp_path):
    from leaderboard.worker import Worker

    base = submit_site
    with session_factory(make_engine())() as session, session.begin():
        token = create_token(session, "alice")
    good = f"name: community-tiny\nfamily: [dense]\nbackend: dense\nweights: {{path: {weights_root / 'tiny'}}}\n"

    page.goto(base + "/")
    page.get_by_role("link", name="Submit", exact=True).click()
    page.wait_for_url("**/submit")

    # A refused config first (uploaded as a file): the problem is shown next to the input, nothing is stored.
    hostile = tmp_path / "hostile.yaml"
    hostile.write_text(good.replace("community-tiny", "hostile") + "trust_remote_code: true\n")
    page.set_input_files("#config_file", str(hostile))
    page.locator("#tasks").fill("beir/tiny")
    page.locator("#token").fill(token)
    page.locator("#submit-button").click()
    page.wait_for_selector("#errors-config")
    assert "trust_remote_code" in page.locator("#errors-config").inner_text()
    assert "nothing was saved" in page.locator("#form-errors").inner_text()
    page.goto(base + "/submissions")
    assert page.locator("#empty").is_visible()

    # The real submission, pasted; the token is remembered for the session.
    page.goto(base + "/submit")
    page.locator("#config_yaml").fill(good)
    page.locator("#tasks").fill("beir/tiny")
    page.locator("#token").fill(token)
    page.locator("#submit-button").click()
    page.wait_for_url("**/submissions/1")
    assert page.locator("#state [data-state]").get_attribute("data-state") == "queued"
    assert states(page) == ["received", "queued"]
    assert "community-tiny" in page.locator("#config").inner_text()

    assert Worker("browser-test", poll_s=0.1, heartbeat_s=0.2).run_one() is True

    page.reload()
    assert page.locator("#state [data-state]").get_attribute("data-state") == "published"
    assert "published" in page.locator("#state").inner_text()
    assert states(page) == ["received", "queued", "running", "done", "published"]
    assert "community-tiny" in page.locator("#log-tail").inner_text()

    page.locator("#model-link").click()
    page.wait_for_url("**/models/community-tiny")
    assert page.locator("h1#model-name").inner_text() == "community-tiny"
    assert page.locator("#submitter").inner_text() == "alice"

    page.goto(base + "/benchmarks/beir")
    row = page.locator('#board tbody tr[data-model="community-tiny"]')
    assert row.count() == 1
    assert row.locator(".badge.community").inner_text() == "community · alice"
    score = row.locator("td.num a").inner_text()
    assert 0.0 <= float(score) <= 1.0

    page.goto(base + "/submissions?mine")
    assert page.locator('#submissions-table tr[data-submission="1"] [data-state]').inner_text() == "published"
    assert page.console_errors == ["Failed to load resource: the server responded with a status of 400 (BAD REQUEST)"]
