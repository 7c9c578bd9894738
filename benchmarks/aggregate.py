"""A benchmark's mean, as the field defines it; the board, the API, the CSV downloads and the CLI use it.

Tasks are grouped by ``task.group or task.id``.  A group's value is the mean of its members,
and the benchmark mean is the mean over groups: BEIR's CQADupStack is 12 forums (12 task
columns) but one dataset, so its forums are averaged first and it counts once, as the BEIR paper
and Pyserini's 2CR do (otherwise it would weigh 12 of 29 in the mean).  A benchmark without
groups (STS, Tatoeba, ARO) gets the plain mean over its tasks, computed as before: a group of
one is its value exactly, and the groups are summed in column order.

A mean exists only when every column has a value (``complete``); a missing cell never counts
as 0.  ``over_present`` is the same definition over what is there (each group over its present
members), for partial rows the board shows marked and never ranks.  ``covers`` says what a
mean averages: one entry per group with any value present (``"scifact"``,
``"cqadupstack (12 tasks)"``, or ``"cqadupstack (11 of 12 tasks)"`` for a partial group).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


class Grouped(Protocol):
    """What a mean reads of a column: a :class:`~benchmarks.contract.Task` or the site's copy of one."""

    id: str
    dataset: str
    group: str | None


@dataclass(frozen=True)
class Mean:
    value: float | None  # None unless complete
    covers: tuple[str, ...]
    complete: bool
    over_present: float | None = None  # the same grouping over the values present; None when none is


def group_key(task: Grouped) -> str:
    return task.group or task.id


def benchmark_mean(columns: Sequence[Grouped], values: Sequence[float | None]) -> Mean:
    """The mean of ``values`` (one per column, None = missing) over the columns' groups; see the module docstring."""
    if len(columns) != len(values):
        raise ValueError(f"{len(values)} values for {len(columns)} columns")
    members: dict[str, list[float | None]] = {}
    names: dict[str, str] = {}
    for task, value in zip(columns, values, strict=True):
        key = group_key(task)
        members.setdefault(key, []).append(value)
        names.setdefault(key, task.group or task.dataset)
    group_values: list[float] = []
    covers: list[str] = []
    complete = bool(columns)
    for key, group in members.items():
        present = [value for value in group if value is not None]
        complete = complete and len(present) == len(group)
        if not present:
            continue
        group_values.append(sum(present) / len(present))
        if len(group) == 1:
            covers.append(names[key])
        elif len(present) == len(group):
            covers.append(f"{names[key]} ({len(group)} tasks)")
        else:
            covers.append(f"{names[key]} ({len(present)} of {len(group)} tasks)")
    over_present = sum(group_values) / len(group_values) if group_values else None
    return Mean(over_present if complete else None, tuple(covers), complete, over_present)
