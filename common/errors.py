"""The one exception type that reaches the user as a single line.

Every layer raises :class:`UserError` for bad input (a malformed config, a missing dataset,
a corrupt file, a model that won't load, a wrong checksum).  The CLI prints ``error: <message>``
and exits non-zero; it never shows a traceback for these.  The message must name the file or
field at fault and say how to fix it.
"""

from __future__ import annotations


class UserError(Exception):
    """Bad input that the user can fix; ``str(err)`` is the whole one-line message."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))  # always one line
