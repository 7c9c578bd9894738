"""Tokens and browser sessions: revocation, sign-out, Secure cookies, public URLs, token names.

As found: there was no way to revoke a token; signing out only dropped the cookie in that
browser, so a copied cookie kept working; the cookie was ``Secure`` only with
``LEADERBOARD_SECURE_COOKIES``; ``status_url`` and ``api_url`` were built on the request's Host
header; a token could be created with an empty name.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from common.errors import UserError
from leaderboard import schema
from leaderboard.cli import main
from leaderboard.db import make_engine, session_factory
from tests.unit.test_api_submissions import hub_config, make_token
from tests.unit.test_web_submissions import csrf_of
from web import create_app


@pytest.fixture
def app():
    return create_app()


def sign_in(client, secret: str, **kwargs) -> None:
    response = client.post("/submissions/token", data={"csrf_token": csrf_of(client), "token": secret}, **kwargs)
    assert response.status_code == 303


def signed_in(client) -> bool:
    page = client.get("/submissions?mine").get_data(as_text=True)
    return 'id="need-token"' not in page


def test_a_revoked_token_stops_working_at_once_in_the_api_and_the_browser(app):
    secret = make_token("alice")
    browser = app.test_client()
    sign_in(browser, secret)
    api = app.test_client()
    assert api.get("/api/v1/submissions?mine=1", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    assert signed_in(browser)

    result = CliRunner().invoke(main, ["tokens", "revoke", "alice"])
    assert result.exit_code == 0 and result.output == "token 'alice' revoked\n"
    assert api.get("/api/v1/submissions?mine=1", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    assert not signed_in(browser)
    assert "revoked" in CliRunner().invoke(main, ["tokens", "list"]).output
    unknown = CliRunner().invoke(main, ["tokens", "revoke", "nobody"])
    assert unknown.exit_code == 1 and unknown.output.startswith("error: no token named 'nobody'")


def test_signing_out_ends_a_copied_session_cookie_too(app):
    secret = make_token("alice")
    browser = app.test_client()
    sign_in(browser, secret)
    thief = app.test_client()
    cookie = browser.get_cookie("session")
    thief.set_cookie("session", cookie.value, domain=cookie.domain)
    assert signed_in(thief)  # a copied cookie is the same session…
    out = browser.post("/submissions/forget", data={"csrf_token": csrf_of(browser)})
    assert out.status_code == 303
    assert not signed_in(browser)
    assert not signed_in(thief)  # …and signing out ends it on the server
    sign_in(browser, secret)  # the token itself still works
    assert signed_in(browser)


@pytest.mark.parametrize(
    ("base_url", "setting", "secure"),
    [("https://localhost", "", True), ("http://localhost", "", False), ("http://localhost", "1", True)],
)
def test_the_session_cookie_is_secure_over_https(monkeypatch, base_url, setting, secure):
    monkeypatch.setenv("LEADERBOARD_SECURE_COOKIES", setting)
    client = create_app().test_client()
    response = client.get("/submit", base_url=base_url)  # the CSRF secret starts the session
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("session=") and ("; Secure" in cookie) == secure, cookie
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_submission_links_use_the_public_url_not_the_host_header(monkeypatch):
    monkeypatch.setenv("LEADERBOARD_PUBLIC_URL", "https://board.example.org/")
    client = create_app().test_client()
    secret = make_token("alice")
    created = client.post(
        "/api/v1/submissions",
        json={"config_yaml": hub_config("linked"), "tasks": "beir/scifact"},
        headers={"Authorization": f"Bearer {secret}", "Host": "evil.example"},
    )
    assert created.status_code == 201
    number = created.json["id"]
    assert created.json["status_url"] == f"https://board.example.org/submissions/{number}"
    assert created.json["api_url"] == f"https://board.example.org/api/v1/submissions/{number}"
    shown = client.get(f"/api/v1/submissions/{number}", headers={"Host": "evil.example"}).json
    assert "evil.example" not in str(shown)


@pytest.mark.parametrize("url", ["board.example.org", "ftp://board.example.org", "https://", "https://x.org/?a=1"])
def test_a_malformed_public_url_stops_the_start(monkeypatch, url):
    monkeypatch.setenv("LEADERBOARD_PUBLIC_URL", url)
    with pytest.raises(UserError, match="LEADERBOARD_PUBLIC_URL"):
        create_app()


@pytest.mark.parametrize("name", ["", "   ", "\t", "x" * 101, "bad\nname", " padded "])
def test_a_token_needs_a_real_name(name):
    result = CliRunner().invoke(main, ["tokens", "create", name])
    assert result.exit_code == 1 and result.output.startswith("error: ") and result.output.count("\n") == 1, result.output
    with session_factory(make_engine())() as session:
        assert session.scalar(select(func.count()).select_from(schema.ApiToken)) == 0
