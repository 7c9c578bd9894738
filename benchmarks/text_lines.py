"""Reading a release's plain-text file as lines, the one way the STS and Tatoeba loaders do.

Both read the bytes once (they feed the data sha256), refuse a file that cannot be read or is not
UTF-8 with one line naming it and the fix, and split on LF with a CR before it dropped, so CRLF
and LF copies of a release give the same lines; a final newline does not make an empty last line.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from common.errors import UserError


def read_text_lines(path: Path, digest: hashlib._Hash, *, fix: str, strip_bom: bool = False) -> list[str]:
    """The lines of ``path`` (its bytes also fed to ``digest``); ``fix`` ends the not-UTF-8 error.

    ``strip_bom``: drop a leading U+FEFF (some STS redistributions carry one; the LASER Tatoeba
    files do not, and a BOM there is kept as the release's own text).
    """
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise UserError(f"{path}: cannot be read ({err.strerror}); replace the file") from err
    digest.update(raw)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise UserError(f"{path}: not UTF-8 text ({err.reason}); {fix}") from err
    if strip_bom:
        text = text.removeprefix("\ufeff")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines]
