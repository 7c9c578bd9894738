"""Grading a reproduced number against an expected one, in the manner of Pyserini's 2CR.

- ``OK``: equal when both are rounded to the expected number's precision (at most 4 decimals).
  A published 0.925 is matched by 0.92502; a published 0.6789 needs 0.6789 to 4 decimals.
- ``OKish``: within the metric's tolerance (default 0.0005; see :data:`TOLERANCES`).
- ``FAIL``: anything else.

Comparing at the published precision is what a reader does with a table: a number printed
with 3 decimals claims no fourth.
"""

from __future__ import annotations

from decimal import Decimal

DEFAULT_TOLERANCE = 0.0005
# Per-metric tolerances where 0.0005 is not the right yardstick.  Recall@1000 over a few hundred
# queries moves in steps of ~1/(queries × relevant) and is reported with 3–4 decimals anyway.
TOLERANCES: dict[str, float] = {}

GRADES = ("OK", "OKish", "FAIL")


def decimals_of(value: float) -> int:
    """How many decimals a published number carries (0.925 → 3, 0.64508 → 5), capped at 4."""
    exponent = Decimal(repr(value)).normalize().as_tuple().exponent
    return min(4, max(0, -int(exponent)))


def tolerance_for(metric: str) -> float:
    return TOLERANCES.get(metric, DEFAULT_TOLERANCE)


def grade(expected: float, got: float, metric: str = "", tolerance: float | None = None) -> str:
    """``OK``, ``OKish`` or ``FAIL`` for ``got`` against ``expected``."""
    places = decimals_of(expected)
    if round(got, places) == round(expected, places):
        return "OK"
    limit = tolerance if tolerance is not None else tolerance_for(metric)
    return "OKish" if abs(got - expected) <= limit + 1e-12 else "FAIL"
