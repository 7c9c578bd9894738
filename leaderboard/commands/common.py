"""What every command shares: one-line errors."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable

import click

from common.errors import UserError


def one_line_errors(func: Callable) -> Callable:
    """Turn a :class:`UserError` into ``error: <message>`` on stderr and exit status 1.

    A database that refuses a write (read-only, disk full, locked) or cannot be reached gets the
    same one line, with the URL's password masked: every write is one transaction, so the line
    can say that nothing was written.
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from sqlalchemy.exc import DBAPIError, SQLAlchemyError

        from leaderboard.db import describe_db_error, masked_url

        try:
            return func(*args, **kwargs)
        except UserError as err:
            click.echo(f"error: {err}", err=True)
            sys.exit(1)
        except DBAPIError as err:
            click.echo(f"error: {describe_db_error(err)}", err=True)
            sys.exit(1)
        except SQLAlchemyError as err:
            from leaderboard.db import db_url

            first = (str(err).splitlines() or [err.__class__.__name__])[0]
            click.echo(
                f"error: database error on {masked_url(db_url())} ({err.__class__.__name__}: {first}); nothing was written", err=True
            )
            sys.exit(1)

    return wrapper
