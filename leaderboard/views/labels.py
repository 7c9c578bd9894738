"""How benchmarks and metrics are named and explained on the site.

Benchmark names and blurbs are the benchmark's own (``BENCHMARK.name`` / ``.description``, read
through :mod:`benchmarks.registry`).  A metric's label comes from the task's stored
``metric_spec`` first (the exact definition its scores were computed under), then from the
metric's declaration (:class:`~benchmarks.contract.MetricDefinition`, ``registry.metric``), and
only for a metric nobody declares (an imported or retired one) from its name.
"""

from __future__ import annotations

import re

from benchmarks import registry
from leaderboard.views.snapshot import TaskInfo


def benchmark_name(benchmark: str) -> str:
    found = registry.find_benchmark(benchmark)
    return found.name if found is not None else benchmark.upper()


def benchmark_blurb(benchmark: str) -> str:
    found = registry.find_benchmark(benchmark)
    return found.description if found is not None else ""


def _spec_metrics(task: TaskInfo | None) -> dict:
    spec = task.metric_spec if task is not None and isinstance(task.metric_spec, dict) else {}
    metrics = spec.get("metrics")
    return metrics if isinstance(metrics, dict) else {}


def metric_label(metric: str, task: TaskInfo | None = None) -> str:
    entry = _spec_metrics(task).get(metric)
    if isinstance(entry, dict) and entry.get("label"):
        return str(entry["label"])
    declared = registry.metric(task.benchmark, metric) if task is not None else _declared_anywhere(metric)
    if declared is not None:
        return declared.label
    match = re.fullmatch(r"([a-z]+)_at_(\d+)", metric)
    if match:
        short = {"recall": "R", "precision": "P", "ndcg": "nDCG", "map": "MAP", "mrr": "MRR"}.get(match[1], match[1])
        return f"{short}@{match[2]}"
    return metric.replace("_", " ")


def _declared_anywhere(metric: str):
    """A metric's declaration when no task is given: the first benchmark that declares the name."""
    for benchmark in registry.benchmarks():
        if metric in benchmark.metrics:
            return benchmark.metrics[metric]
    return None


def _scalar_items(mapping: dict, skip: set[str]) -> list[str]:
    items = []
    for key, value in mapping.items():
        if key in skip or isinstance(value, (dict, list)) or value is None or value == "":
            continue
        items.append(f"{key.replace('_', ' ')}: {value}")
    return items


def metric_definition(metric: str, task: TaskInfo | None = None, limit: int = 700) -> str:
    """A one-paragraph definition for a tooltip, built from the task's stored metric_spec."""
    parts = [metric_label(metric, task) + f" ({metric})"]
    entry = _spec_metrics(task).get(metric)
    if isinstance(entry, dict):
        parts.extend(_scalar_items(entry, {"label"}))
    elif isinstance(entry, str):
        parts.append(entry)
    elif task is not None and (declared := registry.metric(task.benchmark, metric)) is not None:
        parts.append(declared.definition)  # the spec names no definition: the metric's declaration
    spec = task.metric_spec if task is not None and isinstance(task.metric_spec, dict) else {}
    parts.extend(_scalar_items(spec, {"main_score"}))
    text = "; ".join(parts)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def task_metrics(task: TaskInfo, seen: set[str] | None = None) -> list[str]:
    """The task's metrics in display order: main score first, then the spec's order, then any others seen."""
    ordered = [task.main_score]
    ordered.extend(m for m in _spec_metrics(task) if m not in ordered)
    ordered.extend(sorted(m for m in (seen or ()) if m not in ordered))
    return ordered


def metric_specific(metric: str, task: TaskInfo | None = None) -> str:
    """Only what the spec says about this one metric (the shared parts are shown once, by :func:`spec_common`)."""
    entry = _spec_metrics(task).get(metric)
    if isinstance(entry, dict):
        return "; ".join(_scalar_items(entry, {"label"}))
    if isinstance(entry, str):
        return entry
    return ""


def spec_common(task: TaskInfo) -> list[tuple[str, str]]:
    """The spec's top-level scalar fields (library, ordering, averaging, split, …) as (name, value)."""
    spec = task.metric_spec if isinstance(task.metric_spec, dict) else {}
    return [
        (key.replace("_", " "), str(value))
        for key, value in spec.items()
        if key not in {"main_score", "metrics"} and not isinstance(value, (dict, list)) and value not in (None, "")
    ]
