"""How benchmarks and metrics are named and explained on the site.

Labels and definitions come from each task's stored ``metric_spec`` first (the exact definition
its scores were computed under); the table here is only a fallback for specs that do not name
a metric's label.
"""

from __future__ import annotations

import re

from leaderboard.queries import TaskInfo

BENCHMARK_INFO: dict[str, tuple[str, str]] = {
    "beir": ("BEIR", "zero-shot retrieval"),
    "sts": ("STS", "semantic textual similarity"),
    "tatoeba": ("Tatoeba", "bitext mining"),
    "aro": ("ARO", "vision-language compositionality"),
}

FALLBACK_LABELS = {
    "ndcg_at_10": "nDCG@10",
    "map_at_100": "MAP@100",
    "mrr_at_10": "MRR@10",
    "spearman": "Spearman",
    "cosine_spearman": "Spearman (cos)",
    "cosine_pearson": "Pearson (cos)",
    "pearson": "Pearson",
    "f1": "F1",
    "accuracy": "Accuracy",
    "macro_accuracy": "Macro acc.",
    "micro_accuracy": "Micro acc.",
    "precision": "Precision",
    "recall": "Recall",
}


def benchmark_name(benchmark: str) -> str:
    return BENCHMARK_INFO.get(benchmark, (benchmark.upper(), ""))[0]


def benchmark_blurb(benchmark: str) -> str:
    return BENCHMARK_INFO.get(benchmark, ("", ""))[1]


def _spec_metrics(task: TaskInfo | None) -> dict:
    spec = task.metric_spec if task is not None and isinstance(task.metric_spec, dict) else {}
    metrics = spec.get("metrics")
    return metrics if isinstance(metrics, dict) else {}


def metric_label(metric: str, task: TaskInfo | None = None) -> str:
    entry = _spec_metrics(task).get(metric)
    if isinstance(entry, dict) and entry.get("label"):
        return str(entry["label"])
    if metric in FALLBACK_LABELS:
        return FALLBACK_LABELS[metric]
    match = re.fullmatch(r"([a-z]+)_at_(\d+)", metric)
    if match:
        short = {"recall": "R", "precision": "P", "ndcg": "nDCG", "map": "MAP", "mrr": "MRR"}.get(match[1], match[1])
        return f"{short}@{match[2]}"
    return metric.replace("_", " ")


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
