"""What a console shows: the project's own log lines, and from libraries only their warnings; ``-v`` shows all.

Some libraries we use talk about their internals at INFO or DEBUG, on every run.  A user cannot
act on any of it, and in a submission's job it pushed the job's own lines out of the public log
tail.  At the default verbosity their loggers are held to WARNING (:func:`quiet_libraries`);
``leaderboard -v`` lets them through (all but pyjnius' method-by-method DEBUG dump,
:data:`NEVER_DEBUG`).

Two of them need more than a logger level:

- bm25s sets its own logger to DEBUG when it is imported, which undoes any level set before the
  import (and the CLI imports it lazily, after logging is set up).  So each quiet logger also
  gets a filter: a library can reset its level but not remove our filter.
- Anserini logs through log4j inside the JVM, not through Python.  ``runners/jvm.py`` reads the
  level of the Python logger ``anserini`` (:func:`java_log_level`) before it starts the JVM.
"""

from __future__ import annotations

import logging

# logger name -> what it says that nobody needs at the default verbosity
QUIET_LIBRARIES: dict[str, str] = {
    "faiss": "faiss.loader announces which CPU build it tries (AVX512, AVX2, generic) on every import; Pyserini imports faiss",
    "bm25s": "'Building index from IDs objects' (DEBUG) for every index",
    "alembic": "'Context impl SQLiteImpl.' and 'Will assume non-transactional DDL.' every time a database is opened",
    "anserini": "the Java side of Pyserini (log4j): index settings and counters, line by line",
    "httpx": "one line per HTTP request (Hub downloads)",
    "urllib3": "connection pool notices",
    "filelock": "lock acquired / released around every Hub cache file",
}


# held to INFO even under -v: never what a user debugging a run is looking for
NEVER_DEBUG: dict[str, str] = {
    "kivy": "pyjnius (logger kivy.jnius.*) dumps every Java method it binds at DEBUG: tens of thousands of lines per run",
}


class _BelowWarning(logging.Filter):
    """Drops a quiet library's records below WARNING, whatever level the library gave its logger."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING


_FILTER = _BelowWarning()


def quiet_libraries(*, verbose: bool = False) -> None:
    """Hold :data:`QUIET_LIBRARIES` to WARNING (or, ``verbose``, let them log everything); idempotent."""
    for name in QUIET_LIBRARIES:
        logger = logging.getLogger(name)
        if verbose:
            logger.setLevel(logging.DEBUG)
            logger.removeFilter(_FILTER)
        else:
            logger.setLevel(logging.WARNING)
            logger.addFilter(_FILTER)  # logging keeps one copy of a filter however often it is added
    for name in NEVER_DEBUG:
        logging.getLogger(name).setLevel(logging.INFO)


def java_log_level() -> str:
    """The log4j level for the JVM: ``INFO`` when the ``anserini`` logger shows INFO (``-v``), else ``ERROR``.

    ``ERROR`` rather than ``WARN``: Anserini's own ``-quiet`` means errors only, and the warnings
    it and Lucene print on every run are about the Java runtime they were built for (Java 22+
    memory mapping), which the ``lucene`` extra pins and a user cannot change.
    """
    return "INFO" if logging.getLogger("anserini").isEnabledFor(logging.INFO) else "ERROR"
