"""Execute one (model × task): send the task to the runner of its benchmark's capability, check the result.

Pure computation: nothing here writes to the database.  The caller stores the returned
:class:`~runners.outcome.RunOutcome` in one transaction.  Each capability a benchmark can need
(:data:`benchmarks.contract.Capability`) has one runner ``run(session, task) -> RunOutcome`` in
:data:`CAPABILITY_RUNNERS`: ``run_retrieval`` (BEIR), ``run_sentences`` (STS, Tatoeba and any
other sentence-encoder benchmark), ``run_image_text`` (ARO).  The runner is found from
``registry.get_benchmark(task.benchmark).capability``; there is no table of benchmarks here.

Every run passes :func:`check_defined` before anyone can store it: a run whose scores are
undefined is refused with a :class:`UserError`, never stored as a number (see there).
"""

from __future__ import annotations

import importlib
import math

from benchmarks.contract import Capability, Task
from benchmarks.registry import get_benchmark
from common.errors import UserError
from runners.outcome import RunOutcome
from runners.session import ModelSession
from submissions.schema import ModelConfig

# capability -> runner (module:function), imported when first used
CAPABILITY_RUNNERS: dict[Capability, str] = {
    "retriever": "runners.run_retrieval:run_retrieval",
    "sentence_encoder": "runners.run_sentences:run_sentences",
    "image_text_scorer": "runners.run_image_text:run_image_text",
}


def check_defined(task: Task, outcome: RunOutcome) -> None:
    """Refuse a run whose scores are undefined; the one rule every benchmark's runs pass.

    Undefined means any of:

    - no judged item at all (an empty qrels split, an empty pair file): a mean over nothing;
    - the model answered no item (BEIR: not one judged query got a hit, e.g. every query is
      empty after analysis, or a parameter makes every BM25 score 0): the scores would all be
      0 by construction, a property of the run, not a measurement of the model;
    - a model output that is NaN or infinite (float16 overflow, a broken checkpoint);
    - a score or per-item value that is NaN or infinite (STS: every pair given the same
      similarity leaves Spearman undefined).

    A model may still score 0 on single queries, or on all of them while returning hits: that
    is a measurement and is stored.
    """
    main = outcome.scores.get(task.main_score)
    if main is None or not main.per_query:
        raise UserError(f"{task.id}: the data has no judged item to score (empty split); nothing was stored")
    if outcome.answered == 0:
        raise UserError(
            f"{task.id}: {outcome.model} returned no hit for any of the {len(main.per_query):,} judged queries, so every "
            "score would be 0 by construction (queries empty after analysis, or a parameter that makes every score 0); "
            "nothing was stored"
        )
    if outcome.non_finite_outputs:
        raise UserError(
            f"{task.id}: {outcome.model} produced {outcome.non_finite_outputs:,} NaN or infinite outputs (e.g. float16 "
            "overflow, or broken weights); the scores are undefined and nothing was stored"
        )
    for variant, scores in {"": outcome.scores, **outcome.variant_scores}.items():
        for metric, result in scores.items():
            values = [result.value, *result.per_query.values()]
            if not all(math.isfinite(value) for value in values):
                name = f"{metric} ({variant})" if variant else metric
                raise UserError(
                    f"{task.id}: {name} of {outcome.model} is undefined (NaN or infinite), e.g. a correlation over "
                    "predictions that are all equal; nothing was stored"
                )
    for name, values in outcome.item_data.items():  # e.g. STS's gold, which correlations are recomputed against
        if not all(math.isfinite(value) for value in values.values()):
            raise UserError(f"{task.id}: the item data {name!r} of the run holds NaN or infinite values; nothing was stored")


def run_task(session: ModelSession, task: Task) -> RunOutcome:
    """Run the session's model on ``task`` with the runner of its benchmark's capability."""
    capability = get_benchmark(task.benchmark).capability
    target = CAPABILITY_RUNNERS.get(capability)
    if target is None:
        raise UserError(f"{task.id}: no runner for the capability {capability!r} that benchmark {task.benchmark!r} needs")
    module_name, function_name = target.split(":")
    runner = getattr(importlib.import_module(module_name), function_name)
    outcome = runner(session, task)
    check_defined(task, outcome)
    return outcome


def run_model_on_task(config: ModelConfig, task: Task) -> RunOutcome:
    """Convenience for one task: a fresh session, one run."""
    return run_task(ModelSession(config), task)
