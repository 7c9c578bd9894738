"""A run killed with SIGKILL at any moment leaves the database consistent, and a rerun completes
with the same scores (partial encodings are reused from the embedding cache)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from click.testing import CliRunner
from sqlalchemy import func, select

from leaderboard import schema
from leaderboard.cli import main
from leaderboard.db import make_engine, session_factory
from tests.tiny_models import make_tiny_st_model


def stored() -> tuple[int, int, int]:
    with session_factory(make_engine())() as session:
        counts = tuple(
            session.scalar(select(func.count()).select_from(t))
            for t in (schema.Run, schema.Score, schema.CurrentResult, schema.RunArtifact)
        )
    assert counts[3] == counts[0]  # every stored run has its ranking (same transaction), none is left without one
    return counts[:3]  # type: ignore[return-value]


def run_and_kill(command: list[str], marker: str | None, delay: float) -> str:
    """Start ``command``, wait for a line containing ``marker`` (None: no wait) and ``delay`` more
    seconds, SIGKILL it, and return everything it printed."""
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=os.environ)
    seen: list[str] = []
    if marker is not None:
        assert child.stdout is not None
        for line in child.stdout:  # ends at the marker, or when the child has exited
            seen.append(line)
            if marker in line:
                break
    time.sleep(delay)
    child.send_signal(signal.SIGKILL)
    rest, _ = child.communicate()
    return "".join(seen) + (rest or "")


def test_sigkill_at_several_moments_leaves_no_partial_rows(tiny_task, tmp_path):
    weights = make_tiny_st_model(tmp_path / "weights")
    config = tmp_path / "m.yaml"
    config.write_text(f"name: tiny-dense\nfamily: [dense]\nbackend: dense\nweights: {{path: {weights}}}\nbatch_size: 1\n")
    command = [sys.executable, "-m", "leaderboard.cli", "run", str(config), "--tasks", "beir/tiny"]

    reference = subprocess.run(command, capture_output=True, text=True, timeout=120, env=os.environ)
    assert reference.returncode == 0, reference.stderr[-1000:]
    expected = {r["metric"]: r["value"] for r in json.loads(CliRunner().invoke(main, ["export"]).output) if r["current"]}
    runs_before = stored()[0]

    phases_seen = set()
    # each kill waits for a line of the child's log rather than a fixed delay, so that a loaded
    # machine (a slow `import torch`) still lands kills before, during and after encoding
    for marker, delay in (
        (None, 0.5),
        ("running tiny-dense", 0.0),
        ("running tiny-dense", 0.3),
        ("running tiny-dense", 1.0),
        ("(run ", 0.0),
    ):
        output = run_and_kill(command, marker, delay)
        phases_seen.add("finished" if "(run " in output else "encoding" if "running tiny-dense" in output else "starting")
        runs, scores, current = stored()
        assert scores == runs * len(expected)  # every stored run is complete: all its scores or none
        assert current == 1  # the board still points at one complete run
        assert runs >= runs_before
    assert phases_seen == {"starting", "encoding", "finished"}, phases_seen  # the kills landed in every phase

    rerun = subprocess.run(command, capture_output=True, text=True, timeout=120, env=os.environ)
    assert rerun.returncode == 0
    latest = {r["metric"]: r["value"] for r in json.loads(CliRunner().invoke(main, ["export"]).output) if r["current"]}
    assert latest == expected
