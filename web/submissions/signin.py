"""The signed-in browser session (a remembered token) and CSRF protection of every submission form.

Why the session remembers the token's *sha256* and not the token: the session cookie is signed
but readable, and the hash is useless as a credential (the server hashes what it is sent), so a
copied cookie never leaks a token that works with the API.  The session also remembers the
token's ``session_generation``: signing out ("forget") and ``leaderboard tokens revoke`` bump it
in the database, so every earlier session cookie of that token (a copied one too) stops working
at once, although the cookie itself is still validly signed.

CSRF (hand-written because it is twenty lines; Flask-WTF would bring a forms framework we do
not use): every POST here must carry ``csrf_token``, a random per-session secret kept in the
signed session and sent in the form signed again with a timestamp (itsdangerous), so it expires
(``LEADERBOARD_CSRF_MAX_AGE_S``, default 4 h) and cannot be lifted from another session.  A POST
without a valid one is refused with 400 before anything is read from the database.  The JSON
API needs none: it authenticates by an ``Authorization`` header, which a cross-site form cannot
set.
"""

from __future__ import annotations

import hmac
import secrets

from flask import abort, current_app, request, session
from itsdangerous import BadData, URLSafeTimedSerializer
from werkzeug.exceptions import RequestEntityTooLarge

from common.settings import settings
from leaderboard import schema
from leaderboard.tokens import token_by_hash
from submissions.safe_yaml import MAX_BYTES
from web.submissions import submit_pages

CSRF_FIELD = "csrf_token"
TOKEN_KEY = "token_sha256"  # session key: the remembered token's hash
GENERATION_KEY = "token_generation"  # session key: the token's session_generation when it was remembered


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="leaderboard-csrf")


def csrf_token() -> str:
    """The value for a form's hidden ``csrf_token`` field (creates the session secret on first use)."""
    raw = session.get("csrf")
    if not isinstance(raw, str):
        raw = session["csrf"] = secrets.token_urlsafe(32)
    return _serializer().dumps(raw)


@submit_pages.before_request
def csrf_protect() -> None:
    if request.method in {"GET", "HEAD", "OPTIONS"}:
        return
    try:
        sent = request.form.get(CSRF_FIELD, "")
    except RequestEntityTooLarge:
        abort(413, description=f"The form is larger than the server accepts; a model config may have at most {MAX_BYTES:,} bytes.")
    expected = session.get("csrf")
    try:
        value = _serializer().loads(sent, max_age=settings().csrf_max_age_s)
    except BadData:
        value = None
    if not (isinstance(expected, str) and isinstance(value, str) and hmac.compare_digest(value, expected)):
        abort(
            400,
            description="This form is missing its CSRF token, or the token has expired or belongs to another session. "
            "Nothing was saved. Reload the form and submit it again.",
        )


submit_pages.add_app_template_global(csrf_token, "csrf_token")  # a global, so imported macros see it too


def remembered_token(db) -> schema.ApiToken | None:
    """The token this browser session signed in with, while it is valid and the session was not ended."""
    row = token_by_hash(db, session.get(TOKEN_KEY))
    if row is None or session.get(GENERATION_KEY) != row.session_generation:
        forget_in_session()
        return None
    return row


def remember(row: schema.ApiToken) -> None:
    session[TOKEN_KEY] = row.token_sha256
    session[GENERATION_KEY] = row.session_generation


def remembered_hash() -> str | None:
    return session.get(TOKEN_KEY)


def forget_in_session() -> None:
    session.pop(TOKEN_KEY, None)
    session.pop(GENERATION_KEY, None)
