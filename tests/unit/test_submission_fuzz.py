"""Fuzzing the submission entry points with malformed and hostile configs (hypothesis).

Every input must end in either a stored submission or a clear one-line refusal: never a
traceback, never a server error, and nothing written for a refused config.
"""

from __future__ import annotations

import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from leaderboard import schema
from leaderboard.cli import main
from leaderboard.db import make_engine, session_factory
from tests.conftest import fuzz_examples

KEYS = [
    "name",
    "family",
    "backend",
    "weights",
    "pooling",
    "normalize",
    "max_length",
    "trust_remote_code",
    "dims",
    "batch_size",
    "reported",
    "bm25",
]
HOSTILE_TEXT = [
    "<script>alert(1)</script>", "../../etc/passwd", "!!python/object/apply:os.system ['id']", "a: &a [1]\nb: *a",
    "\x00", "{{7*7}}", "' OR 1=1 --", "x" * 300, "名字", "\ud7ff", "- - - -", "{", ": :", "name: [",
]  # fmt: skip

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=40), st.sampled_from(HOSTILE_TEXT))
values = st.recursive(
    scalars, lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)), max_leaves=12
)
configs_as_dicts = st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=12)), values, max_size=8)


def _dump(data) -> str:
    try:
        return yaml.safe_dump(data, allow_unicode=True)
    except yaml.YAMLError:
        return str(data)


hostile_yaml = st.one_of(configs_as_dicts.map(_dump), st.sampled_from(HOSTILE_TEXT), st.text(max_size=200))


def count_rows() -> tuple[int, int]:
    engine = make_engine()  # disposed at once: hundreds of examples must not hold hundreds of PostgreSQL connections
    try:
        with session_factory(engine)() as session:
            return (
                session.scalar(select(func.count()).select_from(schema.Submission)),
                session.scalar(select(func.count()).select_from(schema.Model)),
            )
    finally:
        engine.dispose()


@settings(max_examples=fuzz_examples(250), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(text=hostile_yaml)
def test_cli_submit_never_crashes(tiny_task, tmp_path, text):
    path = tmp_path / "fuzz.yaml"
    path.write_text(text, encoding="utf-8")
    before = count_rows()
    result = CliRunner().invoke(main, ["submit", str(path), "--tasks", "beir/tiny"])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    if result.exit_code != 0:
        errors = [line for line in result.output.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and len(errors[0]) > len("error: ")
        assert count_rows() == before


@settings(max_examples=fuzz_examples(250), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(text=hostile_yaml, tasks=st.one_of(st.text(max_size=30), st.sampled_from(["beir/tiny", "sts", "beir/*", ",,,", "../x"])))
def test_core_create_submission_refuses_cleanly(tiny_task, text, tasks):
    from benchmarks.errors import UserError
    from leaderboard.submissions import create_submission

    before = count_rows()
    engine = make_engine()
    try:
        with session_factory(engine)() as session, session.begin():
            create_submission(session, text, tasks, token=None, submitter="fuzz")
    except UserError as err:
        assert "\n" not in str(err) and str(err)
        assert count_rows() == before
    finally:
        engine.dispose()
