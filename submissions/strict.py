"""The base of every config section (``submissions/schema.py``, ``submissions/fusion.py``): one strictness rule."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    """Every config section: unknown keys are errors, and no float may be NaN or infinite.

    ``allow_inf_nan=False`` is the one rule for every float of the schema (``k1``, ``b``,
    reported values, ...): YAML's ``.nan``, ``.inf``, ``-.inf`` and strings such as ``"inf"`` or
    ``"NaN"`` that pydantic would otherwise coerce are refused with "Input should be a finite number".
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
