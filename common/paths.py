"""Paths as the public sees them: relative to their root, never the server's disks."""

from __future__ import annotations

from pathlib import Path


def relative_to(path: str | Path, root: Path) -> str:
    """``path`` relative to ``root`` (POSIX), symlinks on either side allowed; a path outside it keeps only its name.

    A relative ``path`` is taken as relative to ``root`` already (a loader's ``Loaded.files``).
    """
    candidate = Path(path)
    if not candidate.is_absolute():
        return candidate.as_posix()
    for inside, base in ((candidate, root), (candidate.resolve(), root.resolve())):
        try:
            return inside.relative_to(base).as_posix()
        except ValueError:
            continue
    return f"(outside {root.name or 'its root'})/{candidate.name}"
