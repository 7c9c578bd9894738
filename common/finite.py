"""Non-finite floats out of JSON: the one function both the manifest and the site's JSON use.

Strict JSON has no NaN or Infinity, and SQLite's ``json_extract`` and PostgreSQL refuse them,
so a run manifest stores such a measurement as ``null`` and lists where it was
(``runners.manifest``), and the site writes ``null`` in its JSON (``leaderboard.serialize``).
"""

from __future__ import annotations

import math
import numbers


def finite_json(value: object, where: str = "") -> tuple[object, list[str]]:
    """``value`` with every non-finite float replaced by None, and the keys where that happened.

    Keys are dotted for mappings and bracketed for sequences (``timings_s.encode``,
    ``scores[2]``).  Any real non-integral number counts (numpy's float32 too) and comes back as
    a Python float; integers and booleans are left alone.
    """
    if isinstance(value, dict):
        cleaned: dict = {}
        replaced: list[str] = []
        for key, item in value.items():
            cleaned[key], inner = finite_json(item, f"{where}.{key}" if where else str(key))
            replaced += inner
        return cleaned, replaced
    if isinstance(value, list | tuple):
        pairs = [finite_json(item, f"{where}[{index}]") for index, item in enumerate(value)]
        return [item for item, _ in pairs], [key for _, inner in pairs for key in inner]
    if isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral):
        number = float(value)
        return (number, []) if math.isfinite(number) else (None, [where])
    return value, []
