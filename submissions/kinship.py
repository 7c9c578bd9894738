"""How two model configs are related: the same weights, or a tuned variant of a reference config.

Policy (README, "Self-service submissions"): a submission whose weights are those of a model
already on the board is **labelled**, not refused.  Running known weights with other settings is
a legitimate experiment (another pooling, prompt or length), and a refusal would be easy to dodge
by changing one byte of a config anyway; the label makes the relation visible on both model pages.

Both rules read stored configs (``ModelConfig.model_dump(mode="json")``), so the site can apply
them to any two rows without loading a model.  The hyperparameters are named once, here
(:data:`HYPERPARAMETERS`): the settings a user tunes without changing what model it is.  Fields
that only describe a model (:data:`DESCRIPTIVE`) never make two configs different.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

# Per backend, the dotted config fields that are hyperparameters: changing them tunes the same model.
HYPERPARAMETERS: dict[str, tuple[str, ...]] = {
    "bm25": ("bm25.k1", "bm25.b"),
    "dense": (
        "pooling",
        "normalize",
        "max_length",
        "query_prompt",
        "document_prompt",
        "similarity",
        "dims",
        "batch_size",
        "batch_tokens",
    ),
}
# What says who a model is, not what runs: never a difference between two configs.
DESCRIPTIVE = ("name", "description", "family", "metadata", "reported")

Fingerprint = frozenset[tuple[str, str]]  # (weight file, sha256) pairs


def fingerprint(config: Mapping[str, Any], loaded: Iterable[Mapping[str, str]] = ()) -> Fingerprint:
    """The weight files a model is known to use: the config's pinned ``weights.sha256`` and the hashes its runs loaded (manifests)."""
    weights = config.get("weights") if isinstance(config.get("weights"), Mapping) else {}
    pairs = {(str(k), str(v).lower()) for k, v in (weights.get("sha256") or {}).items()}
    for hashes in loaded:
        pairs |= {(str(k), str(v).lower()) for k, v in (hashes or {}).items()}
    return frozenset(pairs)


def same_weights(a: Fingerprint, b: Fingerprint) -> bool:
    """At least one weight file with the same sha256, and no file named by both with different hashes."""
    if not a & b:
        return False
    hashes_a: dict[str, set[str]] = {}
    hashes_b: dict[str, set[str]] = {}
    for pairs, hashes in ((a, hashes_a), (b, hashes_b)):
        for name, digest in pairs:
            hashes.setdefault(name, set()).add(digest)
    # a file named by both must hash alike, and once: two runs of one model that loaded different bytes prove nothing
    return all(hashes_a[name] == hashes_b[name] and len(hashes_a[name]) == 1 for name in hashes_a.keys() & hashes_b.keys())


def _flatten(config: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and key != "weights":  # weights compare as one source
            out |= _flatten(value, f"{name}.")
        else:
            out[name] = value
    return out


def _weights_source(config: Mapping[str, Any]) -> tuple:
    weights = config.get("weights") if isinstance(config.get("weights"), Mapping) else {}
    return (weights.get("hf"), weights.get("revision")) if weights.get("hf") else (weights.get("package"), weights.get("path"))


def tuned_fields(config: Mapping[str, Any], reference: Mapping[str, Any], *, same_weight_files: bool = False) -> list[str] | None:
    """The hyperparameters in which ``config`` differs from ``reference``, when that is ALL it differs in; else None.

    Same backend, the same weights (the same Hub id and revision, package or path, or
    ``same_weight_files``: equal hashes), every other setting equal, and at least one
    hyperparameter different.  An identical config is no variant (None).
    """
    backend = config.get("backend")
    tunable = HYPERPARAMETERS.get(str(backend))
    if tunable is None or backend != reference.get("backend"):
        return None
    if backend != "bm25" and not (same_weight_files or _weights_source(config) == _weights_source(reference)):
        return None
    mine, theirs = _flatten(config), _flatten(reference)
    differing = sorted(k for k in mine.keys() | theirs.keys() if mine.get(k) != theirs.get(k))
    differing = [k for k in differing if k.split(".", 1)[0] not in DESCRIPTIVE and k != "weights"]
    if not differing or any(k not in tunable for k in differing):
        return None
    return differing
