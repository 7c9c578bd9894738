"""Table filters, read from and written to the URL so a filtered view can be shared.

``family`` (any of), ``size`` (any of the buckets below), ``license`` (any of), ``open=1``
(open weights only), ``zero_shot=1`` (hide cells on a model's own training data),
``origin=reference|community``.  Different filters combine with AND; values of one filter
with OR.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import get_args
from urllib.parse import urlencode

from leaderboard.views.snapshot import ModelInfo
from submissions.schema import Family

FAMILIES: tuple[str, ...] = get_args(Family)  # the config schema's one definition (docs/families.md)

# (key, label, lower bound inclusive, upper bound exclusive); parameters None = "unknown"
SIZE_BUCKETS: tuple[tuple[str, str, int, int], ...] = (
    ("lt100m", "< 100M", 0, 100_000_000),
    ("100m-500m", "100M–500M", 100_000_000, 500_000_000),
    ("500m-1b", "500M–1B", 500_000_000, 1_000_000_000),
    ("1b-5b", "1B–5B", 1_000_000_000, 5_000_000_000),
    ("ge5b", "≥ 5B", 5_000_000_000, 10**18),
)
SIZE_UNKNOWN = ("unknown", "no parameters (e.g. BM25)")
SIZE_KEYS = (*(key for key, *_ in SIZE_BUCKETS), SIZE_UNKNOWN[0])
ORIGINS = ("reference", "community")


def size_bucket(parameters: int | None) -> str:
    if parameters is None:
        return SIZE_UNKNOWN[0]
    for key, _label, low, high in SIZE_BUCKETS:
        if low <= parameters < high:
            return key
    return SIZE_BUCKETS[-1][0]


def _many(args: Mapping, name: str) -> tuple[str, ...]:
    getlist = getattr(args, "getlist", None)
    raw = getlist(name) if getlist else ([args[name]] if name in args else [])
    values: list[str] = []
    for item in raw:
        values.extend(part.strip() for part in str(item).split(",") if part.strip())
    return tuple(dict.fromkeys(values))


def _flag(args: Mapping, name: str) -> bool:
    return str(args.get(name, "")).lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Filters:
    families: tuple[str, ...] = ()
    sizes: tuple[str, ...] = ()
    licenses: tuple[str, ...] = ()
    open_only: bool = False
    zero_shot: bool = False
    origin: str = ""

    @classmethod
    def from_args(cls, args: Mapping, licenses: Collection[str] | None = None) -> Filters:
        """The filters in ``args``; values that name nothing are dropped.

        Families, sizes and origins are fixed sets; ``licenses`` is the set that occurs on the
        board (``Snapshot.licenses``; None keeps any).  Dropping an unknown value (instead of
        filtering everything away) keeps the number of distinct filters, and so of cached
        tables and figures, bounded by the data, whatever a client sends.
        """
        origin = str(args.get("origin", "")).lower()
        return cls(
            families=tuple(f for f in _many(args, "family") if f in FAMILIES),
            sizes=tuple(s for s in _many(args, "size") if s in SIZE_KEYS),
            licenses=tuple(x for x in _many(args, "license") if licenses is None or x in licenses),
            open_only=_flag(args, "open"),
            zero_shot=_flag(args, "zero_shot"),
            origin=origin if origin in ORIGINS else "",
        )

    @property
    def active(self) -> bool:
        return bool(self.families or self.sizes or self.licenses or self.open_only or self.zero_shot or self.origin)

    def keeps(self, model: ModelInfo) -> bool:
        if self.families and not set(self.families) & set(model.families):
            return False
        if self.sizes and size_bucket(model.parameters) not in self.sizes:
            return False
        if self.licenses and (model.license or "unknown") not in self.licenses:
            return False
        if self.open_only and not model.open_weights:
            return False
        if self.origin == "reference" and not model.is_reference:
            return False
        return not (self.origin == "community" and model.is_reference)

    def model_filter(self):
        """A predicate for :func:`leaderboard.views.board.board_table`, or None when nothing filters models."""
        if not (self.families or self.sizes or self.licenses or self.open_only or self.origin):
            return None
        return self.keeps

    def key(self) -> tuple:
        """Equal for filters that keep the same rows, whatever order the values came in."""
        return (
            tuple(sorted(self.families)),
            tuple(sorted(self.sizes)),
            tuple(sorted(self.licenses)),
            self.open_only,
            self.zero_shot,
            self.origin,
        )

    def params(self) -> list[tuple[str, str]]:
        pairs = [("family", f) for f in self.families] + [("size", s) for s in self.sizes] + [("license", x) for x in self.licenses]
        if self.open_only:
            pairs.append(("open", "1"))
        if self.zero_shot:
            pairs.append(("zero_shot", "1"))
        if self.origin:
            pairs.append(("origin", self.origin))
        return pairs

    def query(self, **extra: object) -> str:
        """The filters plus ``extra`` as a query string (``None`` values dropped)."""
        pairs = self.params() + [(k, str(v)) for k, v in extra.items() if v is not None and v != ""]
        return urlencode(pairs)

    def describe(self) -> list[str]:
        labels = dict((k, label) for k, label, *_ in SIZE_BUCKETS) | {SIZE_UNKNOWN[0]: "unknown size"}
        out = []
        if self.families:
            out.append("family: " + " or ".join(self.families))
        if self.sizes:
            out.append("size: " + " or ".join(labels[s] for s in self.sizes))
        if self.licenses:
            out.append("licence: " + " or ".join(self.licenses))
        if self.open_only:
            out.append("open weights")
        if self.zero_shot:
            out.append("zero-shot cells only")
        if self.origin:
            out.append(f"{self.origin} models")
        return out


def request_filters() -> Filters:
    """The current request's filters, checked against the licences on the board (pages, API and plots alike)."""
    from flask import request

    from web.cache import snapshot

    return Filters.from_args(request.args, snapshot().licenses)
