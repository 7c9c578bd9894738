"""Is a score zero-shot?  The one rule; the site, the API, the CLI and the exports all call it.

A model's ``metadata.training_datasets`` says what it was trained on:

- ``None`` (not given): we do not know.  The state is ``None`` (unknown), shown as its own
  state, never as zero-shot: MTEB and users treat a model without training data as unknown.
- ``[]`` (given, empty): the model declares it learned from no dataset (BM25): zero-shot.
- a list: the score on a task is *not* zero-shot when an entry names the task's data.

Matching: both sides are normalised (case-folded, only ``[a-z0-9]`` kept, and a trailing
``hardnegatives`` / ``retrieval`` stripped, repeatedly, as MTEB's task names add them:
``QuoraRetrievalHardNegatives`` -> ``quora``), then an entry matches a task when it *equals*
one of the task's keys: its id (``beir/nq``), its dataset name, each alias (the MTEB task name,
the tasks mteb counts as the same data, the catalogue's aliases and common spellings, see
:class:`~benchmarks.contract.Task`) and its aggregation group (``cqadupstack``: "CQADupStack"
covers every forum; the group's own names are among each forum's aliases).  There is no
prefix or leading-token rule: "FEVER" does not match ``climate-fever`` and "Climate" matches
nothing.  Stripping applies to the task's keys too, so that ``NQHardNegatives`` and
``NQ`` meet whichever side spells the suffix.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_SUFFIXES = ("hardnegatives", "retrieval")


class TaskIdentity(Protocol):
    """What the rule reads of a task: a :class:`~benchmarks.contract.Task`, or the site's copy of one."""

    id: str
    dataset: str
    aliases: tuple[str, ...]
    group: str | None


@dataclass(frozen=True)
class ZeroShot:
    """``state``: True (zero-shot), False (trained on it: ``matched`` is the entry), None (unknown)."""

    state: bool | None
    matched: str | None = None


UNKNOWN = ZeroShot(None)
ZERO_SHOT = ZeroShot(True)


@functools.lru_cache(maxsize=65536)
def normalize(name: str) -> str:
    """``MS MARCO`` -> ``msmarco``; ``QuoraRetrievalHardNegatives`` -> ``quora``; "" when nothing is left."""
    key = _NON_ALNUM.sub("", name.casefold())
    stripped = True
    while stripped:
        stripped = False
        for suffix in _SUFFIXES:
            if key.endswith(suffix) and len(key) > len(suffix):
                key, stripped = key[: -len(suffix)], True
    return key


@functools.lru_cache(maxsize=16384)
def _keys(task_id: str, dataset: str, aliases: tuple[str, ...], group: str | None) -> frozenset[str]:
    names = (task_id, dataset, *aliases, *((group,) if group else ()))
    return frozenset(key for key in map(normalize, names) if key)


def task_keys(task: TaskIdentity) -> frozenset[str]:
    """The normalised names under which a training-data list can mention this task's data."""
    return _keys(task.id, task.dataset, tuple(task.aliases), task.group)


@functools.lru_cache(maxsize=65536)
def _normalized_training(training_datasets: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    return tuple((key, entry) for entry in training_datasets if (key := normalize(entry)))


def training_match(training_datasets: Sequence[str] | None, task: TaskIdentity) -> ZeroShot:
    """Whether a score of a model with these training datasets on ``task`` is zero-shot (see the module docstring)."""
    if training_datasets is None:
        return UNKNOWN
    keys = task_keys(task)
    for key, entry in _normalized_training(tuple(training_datasets)):
        if key in keys:
            return ZeroShot(False, entry)
    return ZERO_SHOT


@functools.lru_cache(maxsize=256)
def _column_index(columns: tuple[tuple[str, str, tuple[str, ...], str | None], ...]) -> dict[str, tuple[int, ...]]:
    index: dict[str, list[int]] = {}
    for i, identity in enumerate(columns):
        for key in _keys(*identity):
            index.setdefault(key, []).append(i)
    return {key: tuple(found) for key, found in index.items()}


def trained_columns(training_datasets: Sequence[str] | None, columns: Sequence[TaskIdentity]) -> dict[int, str] | None:
    """:func:`training_match` for a whole table row at once: column -> the entry that names it; None = unknown.

    The same rule as :func:`training_match` (the first matching entry wins), with the columns'
    keys indexed once per table, because a board has up to 100,000+ cells.
    """
    if training_datasets is None:
        return None
    index = _column_index(tuple((c.id, c.dataset, tuple(c.aliases), c.group) for c in columns))
    trained: dict[int, str] = {}
    for key, entry in _normalized_training(tuple(training_datasets)):
        for i in index.get(key, ()):
            trained.setdefault(i, entry)
    return trained
