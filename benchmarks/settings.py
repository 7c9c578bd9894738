"""Where task data lives.

``LEADERBOARD_DATA_DIR`` points at a folder laid out as ``<benchmark>/<dataset>/…``
(for BEIR: ``beir/scifact/corpus.jsonl[.gz]``, ``queries.jsonl``, ``qrels/test.tsv``).
Default: ``$XDG_DATA_HOME/leaderboard/datasets`` (``~/.local/share/leaderboard/datasets``),
which is also where ``leaderboard data fetch`` unpacks downloads.
"""

from __future__ import annotations

import os
from pathlib import Path


def data_dir() -> Path:
    """The data dir from ``LEADERBOARD_DATA_DIR``, else the XDG default."""
    explicit = os.environ.get("LEADERBOARD_DATA_DIR")
    if explicit:
        return Path(explicit).expanduser().resolve()
    xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(xdg) / "leaderboard" / "datasets"


def cache_dir() -> Path:
    """Cache for derived artefacts (Lucene indexes, verification stamps, embeddings).

    ``LEADERBOARD_CACHE_DIR``, else ``$XDG_CACHE_HOME/leaderboard`` (``~/.cache/leaderboard``).
    """
    explicit = os.environ.get("LEADERBOARD_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser().resolve()
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "leaderboard"
