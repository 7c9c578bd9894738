"""The demo's progress banner: read once per request from :mod:`leaderboard.demo_progress`.

Pages are cached as finished responses per data version (:func:`web.cache.cached_response`), so
the banner's text is part of that cache's key: a page is never served with an old banner, and
without a demo running (no record) the key is what it always was.
"""

from __future__ import annotations

from flask import g

from leaderboard.demo_progress import banner_text, read_progress


def demo_banner() -> str | None:
    """The line every page shows while ``leaderboard demo`` runs, or None."""
    if "demo_banner" not in g:
        progress = read_progress()
        g.demo_banner = banner_text(progress) if progress else None
    return g.demo_banner
