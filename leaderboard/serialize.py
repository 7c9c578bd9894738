"""What leaves the project as JSON or CSV: strict JSON and formula-safe CSV cells.

Strict JSON: Python's ``json`` writes ``NaN`` and ``Infinity``, which RFC 8259 forbids and strict
parsers (JavaScript's ``JSON.parse``, Go, jq) refuse, and which PostgreSQL's ``json`` type
rejects.  Every JSON the project emits (API responses, downloads, ``leaderboard export``) goes
through :func:`dumps`, which writes a non-finite number as ``null``: the API's rule for a missing
score.  :func:`dumps_refusing` is the variant for what the database stores: a non-finite number
there is a bug upstream, so it is refused instead of silently turned into a missing value.

CSV cells: a spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` (also tab
and carriage return) as a formula, so a model's licence or a task name can carry
``=HYPERLINK(…)`` to whoever opens a download.  :func:`csv_cell` neutralises such *text* cells
as OWASP's CSV-injection guidance says (prefix a single quote).  Numbers are left alone: a
negative delta (``-0.01``) is a number, not a formula, and researchers read these files with
``pandas`` and ``csv`` as numbers.
"""

from __future__ import annotations

import json
import math
from typing import Any

from common.finite import finite_json

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def dumps(value: Any, **kwargs: Any) -> str:
    """Strict JSON (no NaN/Infinity: a non-finite number becomes ``null``).

    The common case (everything finite) is one ``json.dumps`` call; only a value that holds a
    non-finite number pays for the copy.
    """
    try:
        return json.dumps(value, allow_nan=False, **kwargs)
    except ValueError as err:
        if "Out of range float values are not JSON compliant" not in str(err):
            raise
        return json.dumps(finite_json(value)[0], allow_nan=False, **kwargs)


def dumps_refusing(value: Any) -> str:
    """Strict JSON for the database: a non-finite number raises ValueError (never stored)."""
    return json.dumps(value, allow_nan=False)


def csv_cell(value: Any) -> Any:
    """One CSV cell: missing is empty, a non-finite number is empty, a formula-like text is quoted.

    OWASP's rule applies to text cells only (see the module docstring): ``-0.01`` stays a number.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ""
    if isinstance(value, int):
        return value
    if isinstance(value, (list, tuple)):
        value = ",".join(str(v) for v in value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text
