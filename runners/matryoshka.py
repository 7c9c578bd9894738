"""Matryoshka sizes: the one place that names a truncation variant and decides which sizes are scored.

A config's ``dims: [64, 128, …]`` asks for extra score sets from the same encoding pass, each on
the first ``d`` coordinates of the embeddings.  They are stored as score *variants* named
``dim=<d>`` (:func:`variant_name`); :func:`parse_variant` reads a size back from a variant name
(``None`` for other variants, such as ARO's ``fp16-aro``).  Nothing else builds or parses that
string: dense retrieval, the sentence runner, the site's dims plot and the API all come here.

The full-size rule (:func:`variant_dims`), one for every runner: a configured size larger than
the embedding is an error; a size *equal* to it is not a variant, because the run as configured
(the main cell) already is that size: storing it twice would put one number on the board under
two names, and the site takes the full-size point from the run manifest's ``embedding_dim``.
Sizes are scored in increasing order, each once.

Pure Python (no numpy, no torch): the views import it to read variant names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from common.errors import UserError

PREFIX = "dim="
_VARIANT = re.compile(r"^dim=([1-9][0-9]*)$")


def variant_name(dim: int) -> str:
    """The score variant of the first ``dim`` coordinates: ``dim=64``."""
    if isinstance(dim, bool) or not isinstance(dim, int) or dim < 1:
        raise ValueError(f"a Matryoshka size is a positive integer, not {dim!r}")
    return f"{PREFIX}{dim}"


def parse_variant(name: str) -> int | None:
    """The size of a Matryoshka variant (``"dim=64"`` -> 64), or None for any other variant name."""
    found = _VARIANT.match(name or "")
    return int(found.group(1)) if found else None


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
