"""How a metric is declared: once, in its metrics module, as data (name, label, definition, aggregation).

Kept apart from :mod:`benchmarks.contract` so that the metrics modules can declare their
definitions without importing the contract (which imports ``MetricResult`` from them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Aggregation = Literal["mean", "correlation", "macro"]


@dataclass(frozen=True)
class MetricDefinition:
    """One metric, declared once in its metrics module; labels, CIs, ``compare`` and the API read it.

    ``aggregation`` says how the score relates to the per-item values stored with it:

    - ``mean``: the score is the mean of the per-item values (a bootstrap resamples items and
      averages);
    - ``correlation``: the score is a correlation (``correlation`` names which) recomputed from the
      per-item predictions and the run's per-item gold (item data ``"gold"``);
    - ``macro``: a mean over groups (ARO's relations); the per-item values do not give it back,
      so it has no confidence interval.
    """

    name: str
    label: str
    definition: str
    aggregation: Aggregation = "mean"
    correlation: Literal["spearman", "pearson"] | None = None

    def __post_init__(self) -> None:
        if (self.aggregation == "correlation") != (self.correlation is not None):
            raise ValueError(f"{self.name}: a correlation names its kind (spearman or pearson), and only a correlation does")
