"""What one (model × task) run produced, ready to be stored: :class:`RunOutcome`.

Made by the capability runners, checked by :func:`runners.execute.check_defined`, stored by
``leaderboard/store.py`` in one transaction.  Runners never write to the database themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from benchmarks.metrics.retrieval import MetricResult
from common.rankings import Encoded


@dataclass
class RunOutcome:
    model: str
    task: str
    scores: dict[str, MetricResult]
    manifest: dict
    started_at: datetime
    finished_at: datetime
    metric_spec: dict = field(default_factory=dict)
    # extra score sets from the same run, e.g. {"dim=64": {...}} for Matryoshka truncations (common/variants.py)
    variant_scores: dict[str, dict[str, MetricResult]] = field(default_factory=dict)
    # how many judged items the model gave any answer for (BEIR: judged queries with at least one
    # hit); None where every item gets one by construction (STS pairs, Tatoeba sentences, ARO cases)
    answered: int | None = None
    # model outputs (embeddings, similarities, hit scores) that were NaN or infinite
    non_finite_outputs: int = 0
    # per-item facts the scores were computed against that are not scores, by name: STS gives
    # {"gold": {pair id: normalised gold}} (benchmarks.contract.Evaluation.item_data); the same for
    # every variant of the run.  Stored with the run, never as a score.
    item_data: dict[str, dict[str, float]] = field(default_factory=dict)
    # the run's ranked lists by kind (``common/rankings.py``): BEIR's "ranking" (top 1,000 per judged
    # query, as the metrics used them), Tatoeba's "neighbours"; stored in ``run_artifacts`` in the
    # run's transaction, their sha256 in the manifest's ``artifacts``.  Empty: nothing to keep (STS:
    # its predictions are the per-pair values of its scores already).
    artifacts: dict[str, Encoded] = field(default_factory=dict)
