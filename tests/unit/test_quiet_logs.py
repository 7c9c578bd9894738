"""Quiet logs: no library chatter at the default verbosity (``-v`` shows it), and whole job lines in a public log tail."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from leaderboard import schema
from leaderboard.cli import main
from leaderboard.db import make_engine, session_factory

LEXICAL = "name: lexical-tiny\nfamily: [sparse]\nbackend: bm25\nbm25: {engine: bm25s}\n"


def leaderboard(*args: str, **env: str) -> subprocess.CompletedProcess:
    """The CLI in a fresh process, as a user runs it (logging is set up once per process, and the JVM starts once)."""
    return subprocess.run(
        [sys.executable, "-m", "leaderboard.cli", *args], capture_output=True, text=True, env=os.environ | env, timeout=600, check=False
    )


def test_a_bm25s_run_shows_no_bm25s_debug_unless_verbose(tiny_task):
    """bm25s sets its own logger to DEBUG when imported: 'Building index from IDs objects' on every run."""
    quiet = leaderboard("run", "bm25s-flat", "--tasks", "beir/tiny")
    assert quiet.returncode == 0, quiet.stderr
    assert "Building index" not in quiet.stderr and "DEBUG" not in quiet.stderr
    assert "running bm25s-flat on beir/tiny" in quiet.stderr  # our own lines stay
    verbose = leaderboard("-v", "run", "bm25s-flat", "--tasks", "beir/tiny")
    assert verbose.returncode == 0, verbose.stderr
    assert "DEBUG bm25s: Building index from IDs objects" in verbose.stderr


def test_opening_a_database_logs_no_alembic_lines_unless_verbose(tmp_path):
    quiet = leaderboard("db", "upgrade")
    assert quiet.returncode == 0, quiet.stderr
    assert "alembic" not in quiet.stderr and "Context impl" not in quiet.stderr
    assert "INFO alembic.runtime.migration: Context impl" in leaderboard("-v", "results").stderr


@pytest.mark.lucene
@pytest.mark.skipif(importlib.util.find_spec("pyserini") is None, reason="needs the 'lucene' extra (Pyserini + Java)")
def test_a_lucene_run_shows_no_faiss_notice_and_no_java_chatter_unless_verbose(tiny_task, tmp_path):
    """faiss.loader's AVX512 notices (Pyserini imports faiss), Anserini's INFO lines, SLF4J's and the JDK's notices."""
    quiet = leaderboard("run", "bm25-flat", "--tasks", "beir/tiny")
    assert quiet.returncode == 0, quiet.stderr
    for chatter in ("faiss", "AVX", "AbstractIndexer", "IndexCollection", "SLF4J", "sun.misc.Unsafe", "MMapDirectory", " INFO  ["):
        assert chatter not in quiet.stderr + quiet.stdout, chatter
    assert quiet.stdout.startswith("bm25-flat beir/tiny ndcg_at_10=")  # stdout is the result line, no Java log

    verbose = leaderboard("-v", "run", "bm25-flat", "--tasks", "beir/tiny", LEADERBOARD_CACHE_DIR=str(tmp_path / "fresh"))  # indexes again
    assert verbose.returncode == 0, verbose.stderr
    assert "INFO faiss.loader: Loading faiss" in verbose.stderr
    assert "INFO io.anserini.index.AbstractIndexer: " in verbose.stderr  # the Java log, in Python's line format, on stderr
    assert "kivy.jnius.reflect" not in verbose.stderr  # pyjnius' method-by-method dump stays out even under -v


def test_the_jvm_log_options_follow_the_verbosity(tmp_path):
    from runners.jvm import LOG4J2_CONFIG, java_feature_version, jvm_log_options

    (tmp_path / "release").write_text('IMPLEMENTOR="x"\nJAVA_VERSION="25.0.2"\n')
    quiet = jvm_log_options("ERROR", str(tmp_path))
    assert f"-Dlog4j2.configurationFile={LOG4J2_CONFIG.as_uri()}" in quiet and LOG4J2_CONFIG.is_file()
    assert "-Dleaderboard.java.log.level=ERROR" in quiet and "--sun-misc-unsafe-memory-access=allow" in quiet
    assert "--sun-misc-unsafe-memory-access=allow" not in jvm_log_options("ERROR", str(tmp_path / "no-such-java"))  # 21 refuses it
    assert jvm_log_options("INFO", str(tmp_path)) == [
        f"-Dlog4j2.configurationFile={LOG4J2_CONFIG.as_uri()}",
        "-Dleaderboard.java.log.level=INFO",
    ]
    assert java_feature_version(str(tmp_path)) == 25


# ------------------------------------------------------------------ a submission's log tail
def test_a_worker_jobs_log_has_no_alembic_lines_no_debug_and_no_progress_bars(tiny_task, tmp_path, monkeypatch):
    """The job's log (its tail is public) carried Alembic's lines for every database open, bm25s DEBUG and tqdm redraws."""
    import leaderboard.worker as worker_module

    raw: list[str] = []
    read_tail = worker_module._tail
    monkeypatch.setattr(worker_module, "_tail", lambda path, size=64_000: raw.append(read_tail(path, size)) or raw[-1])
    path = tmp_path / "lexical.yaml"
    path.write_text(LEXICAL)
    assert CliRunner().invoke(main, ["submit", str(path), "--tasks", "beir/tiny"]).exit_code == 0
    assert worker_module.Worker("w", poll_s=0.1, heartbeat_s=0.2).run_one()

    with session_factory(make_engine())() as session:
        sub = session.get(schema.Submission, 1)
        assert sub.state == "published", sub.error
        public = sub.log_tail
    output = raw[0]  # everything the child wrote
    for noise in ("alembic", "Context impl", "Will assume", "DEBUG", "Building index", "%|", "\r", "faiss"):
        assert noise not in output, noise
    assert "INFO submission #1: lexical-tiny on beir/tiny" in public and "INFO submission #1 done" in public


def test_the_workers_child_draws_no_progress_bars():
    """tqdm reads its defaults from TQDM_* variables: the child's environment turns every bar off."""
    from leaderboard.worker import child_environment

    script = "from tqdm.auto import tqdm\nfor _ in tqdm(range(3), desc='bar'): pass\n"
    drawn = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=os.environ | {"TQDM_DISABLE": ""}, check=True
    )
    assert "bar" in drawn.stderr  # the check can fail: without the variable a bar is drawn
    quiet = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=child_environment(), check=True)
    assert quiet.stderr == ""


def test_a_log_line_written_while_a_progress_bar_was_drawn_is_kept_whole():
    """A bar redraws with \\r and a log line written meanwhile follows it without a line break: it was dropped."""
    from leaderboard.public_log import public_log

    output = (
        "12:00:00 INFO submission #1: m on beir/scifact\n"
        "\rsearching:   0%|          | 0/300\rsearching:  21%|██▏       | 64/300 [00:07<00:28,  8.23query/s]"
        "12:00:07 WARNING slow query q17\n"
        "\rencoding: 100%|██████████| 300/300\r                                  \r12:00:09 INFO submission #1 done\n"
        "\rsearching:  50%|█████     | 150/300Traceback (most recent call last):\n"
        '  File "/srv/app/x.py", line 3, in <module>\n'
        "ValueError: boom\n"
    )
    assert public_log(output).splitlines() == [
        "12:00:00 INFO submission #1: m on beir/scifact",
        "12:00:07 WARNING slow query q17",
        "12:00:09 INFO submission #1 done",
        "the job raised ValueError; its traceback is in the server's log",
    ]
