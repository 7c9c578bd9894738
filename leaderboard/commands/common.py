"""What every command shares: one-line errors."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable

import click

from benchmarks.errors import UserError


def one_line_errors(func: Callable) -> Callable:
    """Turn a :class:`UserError` into ``error: <message>`` on stderr and exit status 1."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except UserError as err:
            click.echo(f"error: {err}", err=True)
            sys.exit(1)

    return wrapper
