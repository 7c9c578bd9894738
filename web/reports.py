"""Stand-alone HTML reports the CLI writes (``leaderboard reproduce --report``), from templates under ``web/templates``.

The CLI's composition root (``leaderboard/commands``) is the only place outside ``web/`` that
calls into it: HTML belongs to ``web/``, never to ``leaderboard/``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from pathlib import Path

import jinja2

TEMPLATES = Path(__file__).parent / "templates"


@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)


def reproduction_report(
    *, model: str, command: str, cells: Iterable, rules: Iterable, fmt: Callable[[float | None], str], signed: Callable[[float | None], str]
) -> str:
    """The page of ``leaderboard reproduce --report``: reported | board | local | Δ | grade per cell, and the tolerance rules.

    ``cells`` are :class:`leaderboard.reproduce` cells, ``rules`` :data:`leaderboard.grading.TOLERANCES`;
    ``fmt`` and ``signed`` format numbers as the command's own table does.
    """
    template = _environment().get_template("reproduction_report.html")
    return template.render(model=model, command=command, cells=list(cells), rules=list(rules), fmt=fmt, signed=signed)
