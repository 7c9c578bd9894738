"""Number and date formatting shared by templates and Python-built HTML."""

from __future__ import annotations

import math
from datetime import datetime
from urllib.parse import urlsplit

from markupsafe import Markup, escape


def fmt4(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.4f}"


def signed4(value: float | None) -> str:
    """A difference to 4 decimals with its sign; one that rounds to zero has none (exact value in the tooltip)."""
    if value is None:
        return "–"
    return "0.0000" if abs(value) < 0.00005 else f"{value:+.4f}"


def human_count(value: int | None) -> str:
    """22713216 → 22.7M; None → –."""
    if value is None:
        return "–"
    for limit, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if value >= limit:
            number = value / limit
            return f"{number:.1f}{suffix}" if number < 100 else f"{number:.0f}{suffix}"
    return str(value)


def when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "–"


def link(value: str | None) -> Markup:
    """A submitted URL as a link, only when it is ``http(s)://host…``; anything else stays plain text.

    Paper, URL and source fields come from submissions (hostile input): a ``javascript:`` or
    ``data:`` URL must never become an ``href``, and the text is escaped either way.
    """
    if not value:
        return Markup("–")
    text = str(value).strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        return escape(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or any(c.isspace() or ord(c) < 32 for c in text):
        return escape(text)
    return Markup('<a href="{0}" rel="nofollow noopener noreferrer">{0}</a>').format(text)
