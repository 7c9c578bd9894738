"""The ``fusion:`` section of a ``backend: fusion`` config (``submissions/schema.py`` includes it).

Its own module so the schema stays one screenful per part; the definitions the fields name are
computed by ``runners/fusion.py``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from submissions.strict import StrictModel

MAX_FUSION_RUNS = 8  # source models of one fusion config: each is a stored ranking loaded per task
MAX_FUSION_DEPTH = 1000  # what a run stores per query (common/rankings.py): a deeper list does not exist


class FusionSettings(StrictModel):
    """``backend: fusion``: a ranking computed from the named models' stored rankings per task (runners/fusion.py).

    ``rrf``: reciprocal rank fusion, score(d) = sum over sources of 1 / (k + rank(d)), ranks from 1
    over each source's top ``depth`` (Cormack et al. 2009; Pyserini's ``pyserini.fusion``).
    ``interpolation``: sum over sources of weight * normalised score (``minmax`` or ``zscore`` per
    query over the source's top ``depth``; a document missing from a source adds 0).
    The names must be registered (reference) models, none of them a fusion itself: a fused run is
    only as reproducible as its sources, and one level keeps that a single ``leaderboard run``.
    """

    method: Literal["rrf", "interpolation"]
    runs: list[str] = Field(min_length=2, max_length=MAX_FUSION_RUNS)
    k: float = Field(60.0, gt=0, le=1e9)
    depth: int = Field(MAX_FUSION_DEPTH, ge=1, le=MAX_FUSION_DEPTH)
    weights: list[Annotated[float, Field(ge=0, le=1e6, allow_inf_nan=False)]] | None = None
    normalization: Literal["minmax", "zscore"] = "minmax"

    @field_validator("runs")
    @classmethod
    def _registered_sources(cls, runs: list[str]) -> list[str]:
        """Each a registered model, named once, none a fusion; returned in the registered spelling (stored runs are found by it)."""
        from submissions.registry import reference_backends

        keys = [name.casefold() for name in runs]
        twice = sorted({name for name, key in zip(runs, keys, strict=True) if keys.count(key) > 1})
        if twice:
            raise ValueError(f"{', '.join(twice)} listed more than once; name each source model once")
        known = reference_backends()
        canonical = []
        for name in runs:
            source = known.get(name.casefold())
            if source is None:
                raise ValueError(f"{name!r} is not a registered model ('leaderboard models list' names them)")
            if source[1] == "fusion":
                raise ValueError(f"{name!r} is itself a fusion; fuse its sources directly instead")
            canonical.append(source[0])
        return canonical

    @model_validator(mode="after")
    def _method_settings(self) -> FusionSettings:
        if self.method == "rrf" and (self.weights is not None or "normalization" in self.model_fields_set):
            raise ValueError("fusion: weights and normalization apply to method interpolation only; rrf takes k and depth")
        if self.method == "interpolation":
            if "k" in self.model_fields_set:
                raise ValueError("fusion.k applies to method rrf only; interpolation takes weights and normalization")
            if self.weights is not None and len(self.weights) != len(self.runs):
                raise ValueError(f"fusion.weights: {len(self.weights)} weights for {len(self.runs)} runs; give one weight per run")
            if self.weights is not None and not any(self.weights):
                raise ValueError("fusion.weights: every weight is 0; give at least one source a weight above 0")
        return self
