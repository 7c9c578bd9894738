"""Absolute URLs: on the configured public base URL (``LEADERBOARD_PUBLIC_URL``) when one is set, never then on a client's Host header.

Without it (a development server) they are built on the request's own host, as Flask does.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import request, url_for

from common.errors import UserError
from common.settings import settings


def public_base_url() -> str | None:
    """``LEADERBOARD_PUBLIC_URL`` (e.g. ``https://board.example.org``) without a trailing slash; None when unset.

    The links a submission reply carries (``status_url``, ``api_url``, ``model_url``) are built
    on it, so a forged ``Host`` header cannot point them elsewhere.
    """
    raw = (settings().public_url or "").strip()
    if not raw:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in {"http", "https"} or not parts.netloc or parts.query or parts.fragment:
        raise UserError(f"LEADERBOARD_PUBLIC_URL={raw!r} must be an http(s) URL such as https://board.example.org")
    return raw.rstrip("/")


def external_url(endpoint: str, **values: object) -> str:
    """An absolute URL for ``endpoint``: on the public base URL when one is configured, else on the request's host."""
    base = public_base_url()
    if base is None:
        return url_for(endpoint, _external=True, **values)
    return base + url_for(endpoint, **values).removeprefix(request.script_root)
