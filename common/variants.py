"""Score variants: the one place that names and parses every variant kind, and decides which are scored.

A run stores its scores as configured (variant ``""``, the main cell) and, beside them, extra
score sets called *variants*:

- a Matryoshka size, ``dim=64``: the first 64 coordinates of the same embeddings (config ``dims``);
- a precision, ``int8`` / ``bf16`` / ``fp16``: the same model run again in that arithmetic, from
  its own encoding pass (config ``precisions``);
- both, ``int8,dim=128``: a size of a precision's embeddings, which costs no second pass, since
  truncation only reads the precision's own embeddings.  The precision comes first.

Other runners may add variants of their own kind (ARO's ``fp16-aro``); :func:`parse_variant`
says ``None`` for those.  Nothing else builds or parses these strings: the runners, the views,
the site's plots and the API all come here.

The full-size rule (:func:`variant_dims`), one for every runner: a configured size larger than
the embedding is an error; a size *equal* to it is not a variant, because the run as configured
(or the precision's own variant) already is that size: storing it twice would put one number on
the board under two names.  Sizes are scored in increasing order, each once.

Pure Python (no numpy, no torch), in ``common/`` because the config schema, the runners, the
views and the site all read these names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from common.errors import UserError

DIM_PREFIX = "dim="
# The precision the main cell is computed in; it is never a variant (the run as configured is it).
REFERENCE_PRECISION = "fp32"
# Precisions a config may list (``precisions:``), in display order, with what each one is.
PRECISIONS: dict[str, str] = {
    "bf16": "bfloat16 weights and activations (CPU with AVX512-BF16 or AMX; CUDA)",
    "fp16": "float16 weights and activations (CUDA only)",
    "int8": "dynamic int8 quantisation of the Linear layers, float32 activations between them (CPU)",
}
# The embedding dtype each precision hands back (pooling and normalisation run in float32 for all):
# what one stored embedding coordinate costs is 4 bytes in every case.
EMBEDDING_BYTES_PER_DIM = 4
MAX_PRECISIONS = 3  # besides the reference fp32: every known precision once
_DIM = re.compile(r"^dim=([1-9][0-9]*)$")


@dataclass(frozen=True)
class Variant:
    """A parsed variant name: the precision (None = fp32, the reference) and the Matryoshka size (None = full)."""

    precision: str | None = None
    dim: int | None = None

    @property
    def name(self) -> str:
        return variant_name(self.dim, precision=self.precision)


def variant_name(dim: int | None = None, *, precision: str | None = None) -> str:
    """The variant's name: ``dim=64``, ``int8``, ``int8,dim=64``; ``""`` is the run as configured."""
    parts = []
    if precision is not None:
        if precision not in PRECISIONS:
            raise ValueError(f"unknown precision {precision!r}; known: {', '.join(PRECISIONS)}")
        parts.append(precision)
    if dim is not None:
        if isinstance(dim, bool) or not isinstance(dim, int) or dim < 1:
            raise ValueError(f"a Matryoshka size is a positive integer, not {dim!r}")
        parts.append(f"{DIM_PREFIX}{dim}")
    return ",".join(parts)


def parse_variant(name: str) -> Variant | None:
    """``"int8,dim=64"`` -> ``Variant("int8", 64)``; ``""`` -> ``Variant()``; None for another kind (``fp16-aro``)."""
    if not name:
        return Variant()
    parts = name.split(",")
    precision = parts[0] if parts[0] in PRECISIONS else None
    rest = parts[1:] if precision is not None else parts
    if not rest:
        return Variant(precision)
    found = _DIM.match(rest[0]) if len(rest) == 1 else None
    return Variant(precision, int(found.group(1))) if found else None


def variant_dim(name: str) -> int | None:
    """The Matryoshka size of a variant of the reference precision (``"dim=64"`` -> 64); None otherwise."""
    parsed = parse_variant(name)
    return parsed.dim if parsed is not None and parsed.precision is None else None


def variant_precision(name: str) -> str | None:
    """The precision of a variant (``"int8"`` and ``"int8,dim=64"`` -> ``"int8"``); None for fp32 and other kinds."""
    parsed = parse_variant(name)
    return parsed.precision if parsed is not None else None


def variant_order(name: str) -> tuple:
    """Display order: the run as configured, its sizes from the largest, each precision (then its sizes), then others."""
    parsed = parse_variant(name)
    if parsed is None:
        return (3, 0, 0, name)
    precision = -1 if parsed.precision is None else list(PRECISIONS).index(parsed.precision)
    if name == "":
        return (0, -1, 0, "")
    return (1 if parsed.precision is None else 2, precision, -(parsed.dim or 10**9), name)


def check_precisions(configured: Iterable[str]) -> list[str]:
    """The config's ``precisions``, validated: known names, fp32 left out, each once, at most :data:`MAX_PRECISIONS`.

    A problem is a ``ValueError`` (the schema turns it into the field's message).
    """
    values = list(configured)
    if REFERENCE_PRECISION in values or "float32" in values:
        raise ValueError("fp32 is the run as configured (the main cell); list only the extra precisions")
    unknown = [value for value in values if value not in PRECISIONS]
    if unknown:
        raise ValueError(f"unknown precision {', '.join(map(repr, unknown))}; known: {', '.join(PRECISIONS)}")
    twice = sorted({value for value in values if values.count(value) > 1})
    if twice:
        raise ValueError(f"{', '.join(twice)} listed more than once; give each precision once")
    if len(values) > MAX_PRECISIONS:
        raise ValueError(f"at most {MAX_PRECISIONS} precisions besides fp32, not {len(values)}")
    return values


def variant_dims(configured: Iterable[int] | None, full_dim: int, model: str) -> list[int]:
    """The truncated sizes to score as variants: validated, the full size dropped, sorted, each once.

    ``configured`` is the config's ``dims`` (None: no variants), ``full_dim`` the embedding size
    the model produced, ``model`` its name for the message.  A size above ``full_dim`` is a
    one-line :class:`UserError` naming every such size.
    """
    sizes = sorted(set(configured or []))
    too_big = [dim for dim in sizes if dim > full_dim]
    if too_big:
        listed = ", ".join(str(dim) for dim in too_big)
        raise UserError(
            f"model {model}: dims lists {listed}, but the model's embeddings have {full_dim} dimensions; use sizes up to {full_dim}"
        )
    return [dim for dim in sizes if dim != full_dim]
