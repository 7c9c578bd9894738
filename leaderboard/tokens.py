"""API tokens: random secrets shown once; only their sha256 is stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from benchmarks.errors import UserError
from leaderboard import schema


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(session: Session, name: str, *, admin: bool = False) -> str:
    """Create a token for ``name`` and return the secret (it cannot be recovered later)."""
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
