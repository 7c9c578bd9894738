"""API tokens: random secrets shown once; only their sha256 is stored.

A token can be revoked (``leaderboard tokens revoke NAME``): the API refuses it at once, and its
``session_generation`` is bumped so that every browser session signed in with it ends too
(the site's ``remembered_token`` compares the generation on every request, :func:`token_by_hash`).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from common.errors import UserError
from leaderboard import schema


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


MAX_NAME = 100  # api_tokens.name is String(100); the submitter shown on the board


def check_token_name(name: str) -> str:
    """A token's name is the submitter shown on the board: 1–100 printable characters, not only spaces."""
    if not name.strip():
        raise UserError("a token needs a name (the submitter shown on the board), e.g. 'leaderboard tokens create alice'")
    if len(name) > MAX_NAME:
        raise UserError(f"a token name may have at most {MAX_NAME} characters, not {len(name):,}")
    if not name.isprintable() or name != name.strip():
        raise UserError("a token name may not contain control characters or start or end with spaces")
    return name


def create_token(session: Session, name: str, *, admin: bool = False) -> str:
    """Create a token for ``name`` and return the secret (it cannot be recovered later)."""
    check_token_name(name)
    if session.scalar(select(schema.ApiToken).where(schema.ApiToken.name == name)):
        raise UserError(f"a token named {name!r} exists already; pick another name")
    secret = "lb_" + secrets.token_urlsafe(32)
    session.add(schema.ApiToken(name=name, token_sha256=_digest(secret), is_admin=admin, created_at=datetime.now(UTC)))
    return secret


def verify_token(session: Session, token: str | None) -> schema.ApiToken:
    """The token's row, or a one-line error for a missing, unknown or revoked token."""
    if not token:
        raise UserError("a token is required: pass --token (CLI) or 'Authorization: Bearer <token>' (API)")
    row = session.scalar(select(schema.ApiToken).where(schema.ApiToken.token_sha256 == _digest(token)))
    if row is None or row.revoked:
        raise UserError("unknown or revoked token")
    return row


def token_by_hash(session: Session, token_sha256: str | None) -> schema.ApiToken | None:
    """The valid (not revoked) token with this sha256, or None: how a browser session finds the token it remembers."""
    if not isinstance(token_sha256, str) or not token_sha256:
        return None
    row = session.scalar(select(schema.ApiToken).where(schema.ApiToken.token_sha256 == token_sha256))
    return None if row is None or row.revoked else row


def revoke_token(session: Session, name: str) -> schema.ApiToken:
    """Revoke the token called ``name``: the API refuses it and its browser sessions end at once."""
    row = session.scalar(select(schema.ApiToken).where(schema.ApiToken.name == name))
    if row is None:
        raise UserError(f"no token named {name!r}; 'leaderboard tokens list' shows them")
    row.revoked = True
    row.session_generation = (row.session_generation or 0) + 1
    return row


def end_sessions(session: Session, token_sha256: str) -> None:
    """Sign a token out of every browser session (the site's "forget"); the token itself stays valid."""
    session.execute(
        update(schema.ApiToken)
        .where(schema.ApiToken.token_sha256 == token_sha256)
        .values(session_generation=schema.ApiToken.session_generation + 1)
    )
